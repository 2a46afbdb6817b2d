package core

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
)

// validateRootfs checks --rootfs and -v as user input and makes their host
// paths absolute, so that later steps never depend on the working directory.
func (s *Spec) validateRootfs() error {
	if s.Rootfs == "" {
		if len(s.Volumes) > 0 {
			return invalidf("-v needs --rootfs: without its own root the container already sees the host's files")
		}
		return nil
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
	for i := range s.Volumes {
		if err := s.Volumes[i].validate(); err != nil {
			return err
		}
	}
	return nil
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
	case !filepath.IsAbs(v.Container):
		return bad("the container path must be absolute")
	case filepath.Clean(v.Container) != v.Container || strings.Contains(v.Container, "/../"):
		return bad("the container path must be clean (no .., //, or trailing /)")
	case v.Container == "/":
		return bad("cannot mount over the container's root")
	case strings.ContainsAny(v.Container, ":,"):
		return bad("the container path cannot contain ':' or ','")
	}
	return nil
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
	case l.CPUs < 0:
		return invalidf("invalid --cpus %v: must be more than 0", l.CPUs)
	case l.CPUs > float64(runtime.NumCPU()):
		return invalidf("invalid --cpus %v: this host has %d CPUs", l.CPUs, runtime.NumCPU())
	case l.Pids < 0:
		return invalidf("invalid --pids-limit %d: must be at least 1", l.Pids)
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
	if err != nil || n <= 0 || n*float64(mult) > 1<<62 {
		return 0, bad
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
