package core

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"path/filepath"
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
	Rootfs string
	// Layers are an image's unpacked layer directories, topmost first:
	// the container's root is an overlay of them, as of Rootfs (never
	// both).
	Layers []string
	// Image and ImageDigest name the image Layers come from (its full
	// reference and manifest digest), for ps, rmi and plugins.
	Image, ImageDigest string
	Volumes            []Volume // bind mounts (-v), only with its own root
	Limits             Limits   // resource limits, enforced by a cgroup per container
	// Security is what the container may do; the zero value is docker's
	// default (security.go).
	Security Security
	Devices  []Device // host devices made usable (--device)
	// User is -u: UID[:GID] or NAME[:GROUP], looked up in the container's
	// /etc/passwd and /etc/group; "" is root. HOME comes from its passwd
	// entry unless Env sets it.
	User string
	// WorkDir is the command's working directory (-w); with Rootfs it is
	// created if missing. "" is /.
	WorkDir  string
	ReadOnly bool    // the container's root is read-only (--read-only)
	Tmpfs    []Tmpfs // tmpfs mounts (--tmpfs), only with Rootfs
	// Labels are the user's KEY=VALUE notes on the container (--label),
	// for plugins.
	Labels map[string]string
	// Network is --network (network.go); the zero value is none.
	Network Network
	// DNS are --dns nameservers for /etc/resolv.conf; ExtraHosts are
	// --add-host lines for /etc/hosts ("IP\tNAME", ParseExtraHost).
	DNS, ExtraHosts []string
	// Ports are -p: what a network plugin publishes on the host.
	Ports []Port
	// StorageSize bounds the container's writes to its root (the overlay's
	// upper layer, a tmpfs) and each --tmpfs without a size: 0 means the
	// default, the smaller of Limits.Memory and DefaultStorageSize.
	StorageSize int64
}

// OwnRoot reports whether the container has a root of its own (Rootfs or
// an image's Layers) rather than the host's.
func (s *Spec) OwnRoot() bool { return s.Rootfs != "" || len(s.Layers) > 0 }

// userRoots are where -u is looked up: the container's own files, or the
// host's (none).
func (s *Spec) userRoots() []string {
	switch {
	case s.Rootfs != "":
		return []string{s.Rootfs}
	case len(s.Layers) > 0:
		return s.Layers
	}
	return nil
}

// MaxLayers is the most image layers overlayfs stacks (its
// OVL_MAX_STACK).
const MaxLayers = 500

// DefaultStorageSize is the most a --rootfs container writes to its root
// unless -m or --storage-size says otherwise.
const DefaultStorageSize = 1 << 30

// Tmpfs is a tmpfs mounted in the container (--tmpfs PATH[:OPTIONS]).
type Tmpfs struct {
	Path     string // absolute, clean
	Size     int64  // bytes; 0 for the container's storage size
	Mode     uint32 // permission bits of its root; 0 for 1777
	ReadOnly bool
	NoExec   bool
}

// storageSize is the effective size of the upper layer.
func (s *Spec) storageSize() int64 {
	switch {
	case s.StorageSize > 0:
		return s.StorageSize
	case s.Limits.Memory > 0 && s.Limits.Memory < DefaultStorageSize:
		return s.Limits.Memory
	}
	return DefaultStorageSize
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

// NewID returns a fresh container id: 64 hex digits, as docker's, safe as
// a path component; ShortID is its first 12, the default hostname.
func NewID() string {
	var b [32]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}

// ShortID is the first 12 characters of an id, as docker shows them.
func ShortID(id string) string {
	if len(id) > 12 {
		return id[:12]
	}
	return id
}

// DefaultEnv is the clean environment every container starts from, before
// -e entries: the caller's environment is never passed through. HOME is
// added at the start, from the user's passwd entry, unless set.
func DefaultEnv(hostname string, tty bool) []string {
	env := []string{"PATH=" + DefaultPath, "HOSTNAME=" + hostname}
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
	if err := s.validateNetwork(); err != nil {
		return err
	}
	if err := s.Security.validate(); err != nil {
		return err
	}
	for i := range s.Devices {
		if err := s.Devices[i].validate(); err != nil {
			return err
		}
	}
	if s.WorkDir != "" && (!filepath.IsAbs(s.WorkDir) || strings.ContainsRune(s.WorkDir, 0)) {
		return invalidf("invalid --workdir %q: must be an absolute path", s.WorkDir)
	}
	if s.StorageSize < 0 {
		return invalidf("invalid --storage-size: must be positive")
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
