package core

import (
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// validateRootfs checks --rootfs and -v as user input and makes their host
// paths absolute, so that later steps never depend on the working directory.
func (s *Spec) validateRootfs() error {
	if !s.OwnRoot() {
		if len(s.Volumes) > 0 {
			return invalidf("-v needs --rootfs or an image: without its own root the container already sees the host's files")
		}
		if len(s.Tmpfs) > 0 {
			return invalidf("--tmpfs needs --rootfs or an image: without its own root the mount point would be made on the host")
		}
		return nil
	}
	if len(s.Layers) > 0 {
		if err := s.validateLayers(); err != nil {
			return err
		}
		return s.validateMounts()
	}
	abs, err := filepath.Abs(s.Rootfs)
	if err != nil {
		return invalidf("invalid --rootfs %q: %v", s.Rootfs, err)
	}
	info, err := os.Stat(abs)
	switch {
	case err != nil:
		return invalidf("invalid --rootfs %q: %v", s.Rootfs, unwrapPathError(err))
	case !info.IsDir():
		return invalidf("invalid --rootfs %q: not a directory", s.Rootfs)
	}
	s.Rootfs = abs
	return s.validateMounts()
}

// validateLayers checks an image's layer directories: absolute, existing,
// no more than overlayfs stacks, and no --rootfs beside them.
func (s *Spec) validateLayers() error {
	if s.Rootfs != "" {
		return invalidf("--rootfs and an image cannot both be the container's root")
	}
	if len(s.Layers) > MaxLayers {
		return invalidf("image has %d layers; overlayfs stacks at most %d", len(s.Layers), MaxLayers)
	}
	for _, l := range s.Layers {
		if !filepath.IsAbs(l) {
			return invalidf("image layer %q: not an absolute path", l)
		}
		if info, err := os.Stat(l); err != nil || !info.IsDir() {
			return invalidf("image layer %s is missing: pull the image again", l)
		}
	}
	return nil
}

// validateMounts checks -v and --tmpfs of a container with its own root.
func (s *Spec) validateMounts() error {
	for i := range s.Volumes {
		if err := s.Volumes[i].validate(); err != nil {
			return err
		}
	}
	for _, t := range s.Tmpfs {
		if err := validateMountTarget("--tmpfs", t.Path); err != nil {
			return err
		}
	}
	return nil
}

// validateMountTarget checks a path in the container that something is
// mounted on: absolute, clean, not the root, and safe in mount options.
func validateMountTarget(flag, path string) error {
	bad := func(why string) error { return invalidf("invalid %s %s: %s", flag, path, why) }
	switch {
	case !filepath.IsAbs(path):
		return bad("the container path must be absolute")
	case filepath.Clean(path) != path:
		return bad("the container path must be clean (no .., //, or trailing /)")
	case path == "/":
		return bad("cannot mount over the container's root")
	case strings.ContainsAny(path, ":,\x00"):
		return bad("the container path cannot contain ':' or ','")
	}
	return nil
}

// ParseTmpfs reads --tmpfs PATH[:OPTIONS], OPTIONS a comma list of
// size=SIZE, mode=OCTAL, ro, rw, exec, noexec.
func ParseTmpfs(s string) (Tmpfs, error) {
	path, opts, _ := strings.Cut(s, ":")
	t := Tmpfs{Path: path}
	bad := func(why string) (Tmpfs, error) {
		return Tmpfs{}, invalidf("invalid --tmpfs %q: %s", s, why)
	}
	if opts == "" {
		return t, nil
	}
	for _, o := range strings.Split(opts, ",") {
		k, v, _ := strings.Cut(o, "=")
		switch k {
		case "size":
			n, err := ParseSize(v)
			if err != nil {
				return bad("size: want a size such as 64m")
			}
			t.Size = n
		case "mode":
			m, err := strconv.ParseUint(v, 8, 32)
			if err != nil || m > 0o7777 {
				return bad("mode: want octal permission bits such as 1777")
			}
			t.Mode = uint32(m)
		case "ro", "rw":
			t.ReadOnly = k == "ro"
		case "exec", "noexec":
			t.NoExec = k == "noexec"
		default:
			return bad(fmt.Sprintf("unknown option %q (size=, mode=, ro, rw, exec, noexec)", o))
		}
	}
	return t, nil
}

func (v *Volume) validate() error {
	bad := func(why string) error {
		return invalidf("invalid -v %s:%s: %s", v.Host, v.Container, why)
	}
	abs, err := filepath.Abs(v.Host)
	if err != nil {
		return bad(err.Error())
	}
	if _, err := os.Stat(abs); err != nil {
		return bad(fmt.Sprintf("host path: %v", unwrapPathError(err)))
	}
	v.Host = abs
	switch {
	}
	return validateMountTarget("-v "+v.Host+":", v.Container)
}

// isDir reports whether the host side is a directory (validate made sure
// it exists).
func (v Volume) isDir() bool {
	info, err := os.Stat(v.Host)
	return err == nil && info.IsDir()
}

func (l Limits) validate() error {
	switch {
	case l.Memory < 0:
		return invalidf("invalid --memory: must be positive")
	case l.Memory > 0 && l.Memory < 6<<20:
		return invalidf("invalid --memory: %d bytes is below 6m, the least a container starts with", l.Memory)
	case l.Pids < 0:
		return invalidf("invalid --pids-limit %d: must be at least 1", l.Pids)
	case l.CPUs != 0:
		return ValidateCPUs(l.CPUs)
	}
	return nil
}

// ValidateCPUs checks a --cpus value: a finite number of CPUs above 0 that
// does not round to a zero quota, at most the host's. Limits.CPUs of 0
// means no limit, so a front end checks a given value with this.
func ValidateCPUs(cpus float64) error {
	switch {
	case math.IsNaN(cpus) || math.IsInf(cpus, 0) || cpus <= 0:
		return invalidf("invalid --cpus %v: must be more than 0", cpus)
	case cpuQuota(cpus) < 1000:
		return invalidf("invalid --cpus %v: at least 0.01", cpus)
	case cpus > float64(runtime.NumCPU()):
		return invalidf("invalid --cpus %v: this host has %d CPUs", cpus, runtime.NumCPU())
	}
	return nil
}

// ParseSize reads a size such as 64m, 512k, 1g or 1048576 (bytes), as -m
// takes it. Suffixes are powers of 1024, case-insensitive, with or without
// a trailing b.
func ParseSize(s string) (int64, error) {
	bad := invalidf("invalid size %q: want a number with an optional k, m or g suffix, such as 64m", s)
	t := strings.TrimSuffix(strings.ToLower(strings.TrimSpace(s)), "b")
	mult := int64(1)
	if n := len(t); n > 0 {
		switch t[n-1] {
		case 'k':
			mult, t = 1<<10, t[:n-1]
		case 'm':
			mult, t = 1<<20, t[:n-1]
		case 'g':
			mult, t = 1<<30, t[:n-1]
		}
	}
	n, err := strconv.ParseFloat(t, 64)
	if err != nil || math.IsNaN(n) || math.IsInf(n, 0) || n*float64(mult) < 1 || n*float64(mult) > 1<<62 {
		return 0, bad // also a size that rounds to 0 bytes: never "no limit"
	}
	return int64(n * float64(mult)), nil
}

// ParseVolume reads -v HOST:CTR[:ro|:rw].
func ParseVolume(s string) (Volume, error) {
	parts := strings.Split(s, ":")
	v := Volume{}
	switch {
	case len(parts) == 2:
	case len(parts) == 3 && (parts[2] == "ro" || parts[2] == "rw"):
		v.ReadOnly = parts[2] == "ro"
	default:
		return v, invalidf("invalid -v %q: want HOST:CONTAINER or HOST:CONTAINER:ro", s)
	}
	if parts[0] == "" || parts[1] == "" {
		return v, invalidf("invalid -v %q: want HOST:CONTAINER or HOST:CONTAINER:ro", s)
	}
	v.Host, v.Container = parts[0], parts[1]
	return v, nil
}

// unwrapPathError drops the path from an *os.PathError, which the
// message around it already names.
func unwrapPathError(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
