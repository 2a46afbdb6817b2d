package lifecycle

import (
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
)

// Cmdline is what `run` said that an image's config also speaks to.
type Cmdline struct {
	Args []string // the words after the image: replace its Cmd
	// Entrypoint is --entrypoint: nil when not given; empty to clear the
	// image's. Given, it also drops the image's Cmd (docker's rule).
	Entrypoint []string
	// Env is -e, KEY=VALUE, applied over the image's Env.
	Env []string
}

// applyImage makes spec run img the way docker combines an image's config with
// the command line:
//   - the command is Entrypoint + (the words after the image, or else Cmd),
//     with --entrypoint replacing Entrypoint and dropping Cmd;
//   - the environment is mydocker's defaults, then the image's Env, then -e;
//   - WorkingDir and User apply unless -w and -u are given.
//
// spec's root becomes the image's layers, topmost first. It returns
// core.ErrInvalid (wrapped) when no command results.
func applyImage(s *image.Store, spec *core.Spec, img *image.Image, cfg *v1.ConfigFile, cmd Cmdline) error {
	c := cfg.Config
	entrypoint, args := c.Entrypoint, c.Cmd
	if cmd.Entrypoint != nil {
		entrypoint, args = cmd.Entrypoint, nil
	}
	if len(cmd.Args) > 0 {
		args = cmd.Args
	}
	spec.Args = append(slices.Clone(entrypoint), args...)
	if len(spec.Args) == 0 {
		return core.Invalidf("no command given, and image %s has neither Entrypoint nor Cmd", s.Display(img.Ref))
	}
	env := core.DefaultEnv(spec.Hostname, spec.TTY)
	for _, kv := range c.Env {
		env = core.SetEnv(env, kv)
	}
	for _, kv := range cmd.Env {
		env = core.SetEnv(env, kv)
	}
	spec.Env = env
	if spec.WorkDir == "" {
		spec.WorkDir = c.WorkingDir
	}
	if spec.User == "" {
		spec.User = c.User
	}
	spec.Layers = make([]string, len(img.Layers))
	for i, l := range img.Layers {
		spec.Layers[len(img.Layers)-1-i] = s.LayerDir(l)
	}
	spec.Image, spec.ImageDigest = img.Ref, img.Digest.String()
	if spec.Image == "" {
		spec.Image = img.Repository + "@" + img.Digest.String()
	}
	return nil
}
