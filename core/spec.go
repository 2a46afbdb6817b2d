package core

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"slices"
	"strings"
)

// DefaultPath is the PATH a container gets unless -e PATH=... says otherwise.
const DefaultPath = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// Spec is what to run in a container. It is built from `run` flags
// (ParseRun) or by a program embedding the runtime, and may be edited by
// pre-clone hooks; Validate checks it again after them.
type Spec struct {
	ID          string   // unique per run; also the default hostname
	Args        []string // the command and its arguments, passed as is
	Env         []string // KEY=VALUE, the container's whole environment
	Hostname    string   // the container's hostname (UTS namespace)
	TTY         bool     // give the container its own pseudo-terminal (-t)
	Interactive bool     // attach stdin (-i); otherwise stdin is empty
	Debug       bool     // print the boot steps to stderr (--debug)
	// Rootfs is a host directory that becomes the container's root,
	// read-only under a per-container overlay; "" shares the host's root.
	Rootfs  string
	Volumes []Volume // bind mounts (-v), only with Rootfs
	Limits  Limits   // resource limits, enforced by a cgroup per container
}

// Volume is a host path bind-mounted into the container.
type Volume struct {
	Host, Container string // absolute paths
	ReadOnly        bool
}

// Limits are a container's resource limits; zero means no limit.
type Limits struct {
	Memory int64   // bytes (-m)
	CPUs   float64 // CPUs' worth of time (--cpus)
	Pids   int64   // processes (--pids-limit)
}

// Any reports whether some limit is set, i.e. the container needs a cgroup.
func (l Limits) Any() bool { return l.Memory > 0 || l.CPUs > 0 || l.Pids > 0 }

// NewID returns a fresh container id: 12 hex digits, as docker's short ids,
// safe as a hostname and as a path component.
func NewID() string {
	var b [6]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

// DefaultEnv is the clean environment every container starts from, before
// -e entries: the caller's environment is never passed through.
func DefaultEnv(hostname string, tty bool) []string {
	env := []string{"PATH=" + DefaultPath, "HOSTNAME=" + hostname, "HOME=/root"}
	if tty {
		env = append(env, "TERM=xterm")
	}
	return env
}

// SetEnv sets KEY=VALUE in env, replacing an earlier entry for KEY.
func SetEnv(env []string, kv string) []string {
	key, _, _ := strings.Cut(kv, "=")
	env = slices.DeleteFunc(env, func(e string) bool { return strings.HasPrefix(e, key+"=") })
	return append(env, kv)
}

// Validate checks a spec as user input; every error wraps ErrInvalid and
// says what the rule is.
func (s *Spec) Validate() error {
	if len(s.Args) == 0 || s.Args[0] == "" {
		return invalidf("no command given")
	}
	if err := ValidateHostname(s.Hostname); err != nil {
		return err
	}
	for _, kv := range s.Env {
		if err := validateEnvEntry(kv); err != nil {
			return err
		}
	}
	if err := s.validateRootfs(); err != nil {
		return err
	}
	return s.Limits.validate()
}

// ValidateHostname accepts RFC 1123 host names of at most 64 bytes (the
// kernel's HOST_NAME_MAX): dot-separated labels of letters, digits and
// hyphens, each 1 to 63 long, not starting or ending with a hyphen.
func ValidateHostname(name string) error {
	bad := func(why string) error {
		return invalidf("invalid hostname %q: %s", name, why)
	}
	if name == "" {
		return bad("empty")
	}
	if len(name) > 64 {
		return bad("longer than 64 bytes")
	}
	for _, label := range strings.Split(name, ".") {
		switch {
		case label == "":
			return bad("empty label")
		case len(label) > 63:
			return bad("label longer than 63 bytes")
		case label[0] == '-' || label[len(label)-1] == '-':
			return bad("a label starts or ends with '-'")
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return bad(fmt.Sprintf("%q is not a letter, digit, '-' or '.'", c))
			}
		}
	}
	return nil
}

func validateEnvEntry(kv string) error {
	key, _, ok := strings.Cut(kv, "=")
	switch {
	case !ok:
		return invalidf("invalid environment entry %q: want KEY=VALUE", kv)
	case key == "":
		return invalidf("invalid environment entry %q: empty name", kv)
	case strings.ContainsRune(kv, 0):
		return invalidf("invalid environment entry %q: contains a NUL byte", kv)
	}
	return nil
}
