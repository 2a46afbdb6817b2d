package core

import (
	"io"
	"os"
	"strings"

	"github.com/spf13/pflag"
)

// RunUsage is the one-line synopsis of `run`.
const RunUsage = "run [OPTIONS] COMMAND [ARG...]"

// newRunFlags declares the flags of `run`, docker style: short flags
// combine (-it, -ti), and the first non-flag word ends the flags, so the
// command's own flags are left alone (`run ls -l`).
// runFlagValues are the `run` flags that are parsed further after pflag.
type runFlagValues struct {
	env, volumes []string
	hostname     string
	memory       string
}

func newRunFlags(s *Spec, v *runFlagValues) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard) // errors are returned, never printed here
	fs.BoolVarP(&s.Interactive, "interactive", "i", false, "keep stdin attached to the container")
	fs.BoolVarP(&s.TTY, "tty", "t", false, "give the container its own pseudo-terminal")
	fs.StringVar(&v.hostname, "hostname", "", "container hostname (default: the container id)")
	fs.StringArrayVarP(&v.env, "env", "e", nil, "set KEY=VALUE in the container (repeatable); KEY alone copies it from here")
	fs.StringVar(&s.Rootfs, "rootfs", "", "run in its own root filesystem: DIR, read-only, under a throwaway overlay")
	fs.StringArrayVarP(&v.volumes, "volume", "v", nil, "bind-mount HOST:CONTAINER[:ro] (repeatable; needs --rootfs)")
	fs.StringVarP(&v.memory, "memory", "m", "", "memory limit, e.g. 64m or 1g; the container is killed beyond it")
	fs.Float64Var(&s.Limits.CPUs, "cpus", 0, "CPU limit in CPUs' worth of time, e.g. 0.5")
	fs.Int64Var(&s.Limits.Pids, "pids-limit", 0, "most processes the container may have at once")
	fs.BoolVar(&s.Debug, "debug", false, "print the container's boot steps to stderr")
	return fs
}

// ParseRun turns the words after `run` into a validated Spec with a fresh id.
// Errors wrap ErrInvalid and name the offending flag or value.
func ParseRun(args []string) (*Spec, error) {
	s := &Spec{ID: NewID()}
	var v runFlagValues
	fs := newRunFlags(s, &v)
	if err := fs.Parse(args); err != nil {
		return nil, invalidf("%v", err)
	}
	if fs.Changed("pids-limit") && s.Limits.Pids < 1 {
		return nil, invalidf("invalid --pids-limit %d: must be at least 1", s.Limits.Pids)
	}
	if fs.Changed("cpus") && s.Limits.CPUs <= 0 {
		return nil, invalidf("invalid --cpus %v: must be more than 0", s.Limits.CPUs)
	}
	if v.memory != "" {
		m, err := ParseSize(v.memory)
		if err != nil {
			return nil, invalidf("invalid --memory %q: want a size such as 64m, 512k or 1g", v.memory)
		}
		s.Limits.Memory = m
	}
	for _, vol := range v.volumes {
		parsed, err := ParseVolume(vol)
		if err != nil {
			return nil, err
		}
		s.Volumes = append(s.Volumes, parsed)
	}
	env, hostname := v.env, v.hostname
	s.Args = fs.Args()
	if len(s.Args) == 0 {
		return nil, invalidf("no command given (usage: %s)", RunUsage)
	}
	s.Hostname = hostname
	if s.Hostname == "" {
		s.Hostname = s.ID
	}
	s.Env = DefaultEnv(s.Hostname, s.TTY)
	for _, kv := range env {
		if err := validateEnvFlag(kv); err != nil {
			return nil, err
		}
		if !strings.Contains(kv, "=") {
			v, set := os.LookupEnv(kv)
			if !set {
				continue // docker habit: -e KEY with KEY unset passes nothing
			}
			kv += "=" + v
		}
		s.Env = SetEnv(s.Env, kv)
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	return s, nil
}

// RunFlagHelp describes each `run` flag: name, shorthand and usage, for
// help text and completion.
func RunFlagHelp() []FlagHelp {
	var out []FlagHelp
	newRunFlags(&Spec{}, &runFlagValues{}).VisitAll(func(f *pflag.Flag) {
		out = append(out, FlagHelp{Name: f.Name, Short: f.Shorthand, Usage: f.Usage, TakesValue: f.Value.Type() != "bool"})
	})
	return out
}

// FlagHelp describes one flag of `run`.
type FlagHelp struct {
	Name, Short, Usage string
	TakesValue         bool
}

func validateEnvFlag(kv string) error {
	if kv == "" || kv[0] == '=' {
		return invalidf("invalid -e %q: want KEY=VALUE or KEY, with a non-empty KEY", kv)
	}
	return nil
}
