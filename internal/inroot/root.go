// Package inroot reads and writes files of a container's root from the
// host, every path resolved by the kernel inside that root: the plugin
// SDK's Root (post-mount hooks), and the bridge network's /etc/hosts
// lines, whichever process writes them.
package inroot

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// Root is a container's root filesystem, for post-mount hooks that read or
// write files in it. Use it rather than plain paths under Spec.Rootfs: the
// image is the container's, and its symlinks are absolute paths of the
// container. Joined to Spec.Rootfs by hand, `etc/motd -> /tmp/x` would
// send a write to the host's /tmp/x. Through Root, every path, symlinks
// and ".." included, is resolved by the kernel inside the root (openat2
// with RESOLVE_IN_ROOT), so whatever the image holds, a write lands inside
// the container.
type Root struct{ dir string }

// Open opens the container root dir (post-mount: the state's Rootfs).
func Open(dir string) (*Root, error) {
	if dir == "" {
		return nil, errors.New("no container root: the container shares the host's (no --rootfs)")
	}
	return &Root{dir: dir}, nil
}

// open resolves name inside the root and opens it with flags.
func (r *Root) open(name string, flags int, mode uint32) (*os.File, error) {
	dir, err := os.Open(r.dir)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	fd, err := unix.Openat2(int(dir.Fd()), clean(name), &unix.OpenHow{
		Flags: uint64(flags | unix.O_CLOEXEC), Mode: uint64(mode),
		Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS,
	})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: name, Err: err}
	}
	return os.NewFile(uintptr(fd), name), nil
}

// clean makes name relative to the root ("/etc/motd" and "etc/motd" are
// the same file).
func clean(name string) string {
	c := strings.TrimPrefix(path.Clean("/"+name), "/")
	if c == "" {
		return "."
	}
	return c
}

// ReadFile reads a file of the container.
func (r *Root) ReadFile(name string) ([]byte, error) {
	f, err := r.open(name, unix.O_RDONLY, 0)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return io.ReadAll(f)
}

// WriteFile writes a file of the container, creating it with perm (before
// the umask) or truncating it.
func (r *Root) WriteFile(name string, data []byte, perm os.FileMode) error {
	f, err := r.open(name, unix.O_WRONLY|unix.O_CREAT|unix.O_TRUNC, uint32(perm.Perm()))
	if err != nil {
		return err
	}
	_, werr := f.Write(data)
	if cerr := f.Close(); werr == nil {
		werr = cerr
	}
	return werr
}

// MkdirAll makes a directory of the container and its missing parents,
// each created under a parent resolved inside the root.
func (r *Root) MkdirAll(name string, perm os.FileMode) error {
	parts := strings.Split(clean(name), "/")
	for i := range parts {
		if parts[i] == "." {
			continue
		}
		parent, err := r.open(strings.Join(parts[:i], "/")+"/.", unix.O_PATH|unix.O_DIRECTORY, 0)
		if err != nil {
			return err
		}
		err = unix.Mkdirat(int(parent.Fd()), parts[i], uint32(perm.Perm()))
		parent.Close()
		if err != nil && !errors.Is(err, unix.EEXIST) {
			return &os.PathError{Op: "mkdir", Path: name, Err: err}
		}
	}
	return nil
}

// Chmod changes the mode of a file of the container.
func (r *Root) Chmod(name string, mode os.FileMode) error {
	f, err := r.open(name, unix.O_PATH, 0)
	if err != nil {
		return err
	}
	defer f.Close()
	// An O_PATH descriptor is changed through its /proc link: the file it
	// names was resolved inside the root already.
	if err := os.Chmod("/proc/self/fd/"+strconv.Itoa(int(f.Fd())), mode.Perm()); err != nil {
		return fmt.Errorf("chmod %s: %w", name, errors.Unwrap(err))
	}
	return nil
}
