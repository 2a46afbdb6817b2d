package cli

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/core"
)

// Command is a parsed container command (ps, logs, exec, stop, kill, rm,
// wait, inspect, top) or image command (images.go): its flags, docker's,
// and the containers or images it names.
type Command struct {
	All, Quiet, Follow, Timestamps, Force bool
	Digests, PasswordStdin                bool          // images --digests, login
	Username, Password                    string        // login -u, -p
	Tail                                  int           // logs --tail; -1: all
	Time                                  time.Duration // stop -t
	Signal                                syscall.Signal
	Exec                                  *core.ExecSpec // exec's command
	Refs                                  []string       // names, ids or id prefixes
}

// commandSpec declares one container command's flags and operands.
type commandSpec struct {
	usage    string
	min, max int // container operands; max -1: any number
	flags    func(fs *pflag.FlagSet, c *Command, v *commandValues)
}

// commandValues are flags parsed further after pflag.
type commandValues struct {
	tail, signal string
	time         int
	env          []string
}

var containerCommands = map[string]commandSpec{
	"ps": {"ps [-a] [-q]", 0, 0, func(fs *pflag.FlagSet, c *Command, _ *commandValues) {
		fs.BoolVarP(&c.All, "all", "a", false, "also list containers that have ended")
		fs.BoolVarP(&c.Quiet, "quiet", "q", false, "print only the ids")
	}},
	"logs": {"logs [-f] [--tail N] [-t] CONTAINER", 1, 1, func(fs *pflag.FlagSet, c *Command, v *commandValues) {
		fs.BoolVarP(&c.Follow, "follow", "f", false, "go on printing output until the container ends")
		fs.StringVarP(&v.tail, "tail", "n", "all", "print only the last `N` lines")
		fs.BoolVarP(&c.Timestamps, "timestamps", "t", false, "prefix each line with the time it was written")
	}},
	"exec": {"exec [-i] [-t] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...]", 1, 1, func(fs *pflag.FlagSet, c *Command, v *commandValues) {
		fs.BoolVarP(&c.Exec.Interactive, "interactive", "i", false, "keep stdin attached")
		fs.BoolVarP(&c.Exec.TTY, "tty", "t", false, "give the command its own pseudo-terminal")
		fs.StringArrayVarP(&v.env, "env", "e", nil, "set `KEY=VALUE` for the command (repeatable)")
		fs.StringVarP(&c.Exec.User, "user", "u", "", "run as `USER[:GROUP]` (default: the container's user)")
		fs.StringVarP(&c.Exec.WorkDir, "workdir", "w", "", "working directory `DIR` (default: the container's)")
		fs.BoolVar(&c.Exec.Debug, "debug", false, "print the exec's steps to stderr")
	}},
	"stop": {"stop [-t SECS] CONTAINER...", 1, -1, func(fs *pflag.FlagSet, _ *Command, v *commandValues) {
		fs.IntVarP(&v.time, "time", "t", 10, "seconds to wait after SIGTERM before SIGKILL")
	}},
	"kill": {"kill [-s SIGNAL] CONTAINER...", 1, -1, func(fs *pflag.FlagSet, _ *Command, v *commandValues) {
		fs.StringVarP(&v.signal, "signal", "s", "KILL", "the `SIGNAL` to send, a name or a number")
	}},
	"rm": {"rm [-f] CONTAINER...", 1, -1, func(fs *pflag.FlagSet, c *Command, _ *commandValues) {
		fs.BoolVarP(&c.Force, "force", "f", false, "kill a running container first")
	}},
	"wait":    {"wait CONTAINER...", 1, -1, nil},
	"inspect": {"inspect CONTAINER...", 1, -1, nil},
	"top":     {"top CONTAINER", 1, 1, nil},
}

// CommandUsage is a container command's synopsis ("" for other words).
func CommandUsage(name string) string { return containerCommands[name].usage }

// IsContainerCommand reports whether name is one of the container commands.
func IsContainerCommand(name string) bool {
	_, ok := containerCommands[name]
	return ok
}

func newCommandFlags(name string, c *Command, v *commandValues) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetInterspersed(name != "exec") // exec's command keeps its own flags
	fs.SetOutput(io.Discard)
	fs.BoolP("help", "", false, "show this help")
	if spec := containerCommands[name]; spec.flags != nil {
		spec.flags(fs, c, v)
	}
	return fs
}

// ParseCommand parses the words after a container command's name.
// Errors wrap ErrInvalid and say what was wrong; --help is core.ErrHelp.
func ParseCommand(name string, args []string) (*Command, error) {
	spec, ok := containerCommands[name]
	if !ok {
		return nil, core.Invalidf("unknown command %q", name)
	}
	c := &Command{Tail: -1, Exec: &core.ExecSpec{}}
	var v commandValues
	fs := newCommandFlags(name, c, &v)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			return nil, core.ErrHelp
		}
		return nil, core.Invalidf("%v (usage: %s)", err, spec.usage)
	}
	if help, _ := fs.GetBool("help"); help {
		return nil, core.ErrHelp
	}
	c.Refs = fs.Args()
	if name == "exec" {
		if len(c.Refs) < 2 {
			return nil, core.Invalidf("want a container and a command (usage: %s)", spec.usage)
		}
		c.Exec.Args, c.Refs = c.Refs[1:], c.Refs[:1]
		for _, kv := range v.env {
			if kv == "" || kv[0] == '=' {
				return nil, core.Invalidf("invalid -e %q: want KEY=VALUE", kv)
			}
			if !strings.Contains(kv, "=") {
				val, set := os.LookupEnv(kv)
				if !set {
					continue // as run: -e KEY with KEY unset passes nothing
				}
				kv += "=" + val
			}
			c.Exec.Env = append(c.Exec.Env, kv)
		}
	}
	switch {
	case len(c.Refs) < spec.min && IsImageCommand(name):
		return nil, core.Invalidf("missing argument (usage: %s)", spec.usage)
	case len(c.Refs) < spec.min && spec.min == 1:
		return nil, core.Invalidf("want a container name or id (usage: %s)", spec.usage)
	case spec.max >= 0 && len(c.Refs) > spec.max:
		return nil, core.Invalidf("too many arguments (usage: %s)", spec.usage)
	}
	if (name == "image" || name == "network") && c.Refs[0] != "prune" {
		return nil, core.Invalidf("unknown %s command %q (usage: %s)", name, c.Refs[0], spec.usage)
	}
	var err error
	if v.tail != "all" && v.tail != "" {
		if c.Tail, err = strconv.Atoi(v.tail); err != nil || c.Tail < 0 {
			return nil, core.Invalidf("invalid --tail %q: want a number of lines or all", v.tail)
		}
	}
	if name == "stop" {
		if v.time < 0 {
			return nil, core.Invalidf("invalid --time %d: want seconds, 0 or more", v.time)
		}
		c.Time = time.Duration(v.time) * time.Second
	}
	if name == "kill" {
		if c.Signal, err = ParseSignal(v.signal); err != nil {
			return nil, err
		}
	}
	return c, nil
}

// ParseSignal reads a signal as a number or a name, with or without SIG.
func ParseSignal(s string) (syscall.Signal, error) {
	if n, err := strconv.Atoi(s); err == nil {
		if n < 1 || n > 64 {
			return 0, core.Invalidf("invalid signal %q: want 1 to 64 or a name such as TERM", s)
		}
		return syscall.Signal(n), nil
	}
	name := strings.ToUpper(s)
	if !strings.HasPrefix(name, "SIG") {
		name = "SIG" + name
	}
	if sig := unix.SignalNum(name); sig != 0 {
		return sig, nil
	}
	return 0, core.Invalidf("invalid signal %q: want a number or a name such as TERM, KILL, HUP", s)
}

// CommandFlagHelp describes a container command's flags, for help and
// completion.
func CommandFlagHelp(name string) []FlagHelp {
	var out []FlagHelp
	newCommandFlags(name, &Command{Exec: &core.ExecSpec{}}, &commandValues{}).VisitAll(func(f *pflag.Flag) {
		if f.Name == "help" {
			return
		}
		value, usage := pflag.UnquoteUsage(f)
		if f.Value.Type() == "bool" {
			value = ""
		}
		out = append(out, FlagHelp{Name: f.Name, Short: f.Shorthand, Usage: usage, Value: value, TakesValue: value != ""})
	})
	return out
}
