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
func newRunFlags(s *Spec, env *[]string, hostname *string) *pflag.FlagSet {
	fs := pflag.NewFlagSet("run", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard) // errors are returned, never printed here
	fs.BoolVarP(&s.Interactive, "interactive", "i", false, "keep stdin attached to the container")
	fs.BoolVarP(&s.TTY, "tty", "t", false, "give the container its own pseudo-terminal")
	fs.StringVar(hostname, "hostname", "", "container hostname (default: the container id)")
	fs.StringArrayVarP(env, "env", "e", nil, "set KEY=VALUE in the container (repeatable); KEY alone copies it from here")
	fs.BoolVar(&s.Debug, "debug", false, "print the container's boot steps to stderr")
	return fs
}

// ParseRun turns the words after `run` into a validated Spec with a fresh id.
// Errors wrap ErrInvalid and name the offending flag or value.
func ParseRun(args []string) (*Spec, error) {
	s := &Spec{ID: NewID()}
	var env []string
	var hostname string
	fs := newRunFlags(s, &env, &hostname)
	if err := fs.Parse(args); err != nil {
		return nil, invalidf("%v", err)
	}
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
	var env []string
	var hostname string
	newRunFlags(&Spec{}, &env, &hostname).VisitAll(func(f *pflag.Flag) {
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
