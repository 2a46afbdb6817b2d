package cli

import "github.com/spf13/pflag"

// The image commands, docker's words and flags, parsed like the container
// commands (ParseCommand) into a Command whose Refs are image references
// (or, for login and logout, a registry).
var imageCommands = map[string]commandSpec{
	"pull": {"pull [-q] IMAGE", 1, 1, func(fs *pflag.FlagSet, c *Command, _ *commandValues) {
		fs.BoolVarP(&c.Quiet, "quiet", "q", false, "print only the image's digest")
	}},
	"images": {"images [-q] [--digests]", 0, 0, func(fs *pflag.FlagSet, c *Command, _ *commandValues) {
		fs.BoolVarP(&c.Quiet, "quiet", "q", false, "print only the image ids")
		fs.BoolVar(&c.Digests, "digests", false, "show the images' digests")
	}},
	"rmi": {"rmi [-f] IMAGE...", 1, -1, func(fs *pflag.FlagSet, c *Command, _ *commandValues) {
		fs.BoolVarP(&c.Force, "force", "f", false, "remove also an image containers use, or one with several names")
	}},
	"tag": {"tag SOURCE TARGET", 2, 2, nil},
	"image": {"image prune [-a]", 1, 1, func(fs *pflag.FlagSet, c *Command, _ *commandValues) {
		fs.BoolVarP(&c.All, "all", "a", false, "remove every image no container uses, not only untagged ones")
		fs.BoolVarP(&c.Force, "force", "f", false, "do not ask (accepted for docker's sake: mydocker never asks)")
	}},
	"login": {"login [-u USER] [-p PASSWORD | --password-stdin] REGISTRY", 1, 1, func(fs *pflag.FlagSet, c *Command, _ *commandValues) {
		fs.StringVarP(&c.Username, "username", "u", "", "the `USER` name")
		fs.StringVarP(&c.Password, "password", "p", "", "the `PASSWORD` (visible in ps and history: prefer --password-stdin)")
		fs.BoolVar(&c.PasswordStdin, "password-stdin", false, "read the password from stdin")
	}},
	"logout":  {"logout REGISTRY", 1, 1, nil},
	"network": {"network prune", 1, 1, nil},
}

func init() {
	for name, spec := range imageCommands {
		containerCommands[name] = spec
	}
}

// IsImageCommand reports whether name is one of the image commands.
func IsImageCommand(name string) bool {
	_, ok := imageCommands[name]
	return ok
}
