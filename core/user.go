package core

import (
	"errors"
	"io"
	"os"

	"github.com/moby/sys/user"
	"golang.org/x/sys/unix"
)

// resolvedUser is -u in numbers, as the init applies it.
type resolvedUser struct {
	uid, gid int
	sgids    []int
	home     string
}

// resolveUser reads -u (UID[:GID] or NAME[:GROUP], "" for root) against
// the container's own /etc/passwd and /etc/group (the host's without
// --rootfs), with moby's parser, as docker does. Supplementary groups are
// the user's groups there. The files are opened inside the root, so a
// symlink in an image can never make mydocker read a host file instead.
func resolveUser(roots []string, spec string) (resolvedUser, error) {
	passwd, closeP := openInRoots(roots, "/etc/passwd")
	defer closeP()
	group, closeG := openInRoots(roots, "/etc/group")
	defer closeG()
	defaults := &user.ExecUser{Uid: 0, Gid: 0, Home: "/"} // docker's HOME for a user passwd lacks
	u, err := user.GetExecUser(spec, defaults, passwd, group)
	if err != nil {
		return resolvedUser{}, invalidf("invalid --user %q: %v", spec, err)
	}
	if u.Uid < 0 || u.Gid < 0 || u.Uid > 1<<31 || u.Gid > 1<<31 {
		return resolvedUser{}, invalidf("invalid --user %q: ids must be from 0 to 2147483648", spec)
	}
	return resolvedUser{uid: u.Uid, gid: u.Gid, sgids: u.Sgids, home: u.Home}, nil
}

// openInRoots opens path inside the first of roots that has it (an
// image's layers, topmost first; none for the host's root); a missing
// file, or one a layer's whiteout deletes, is a nil reader, which the
// parser treats as an empty database.
func openInRoots(roots []string, path string) (io.Reader, func()) {
	var f *os.File
	var err error
	if len(roots) == 0 {
		f, err = os.Open(path)
	}
	for _, root := range roots {
		f, err = openInside(root, path)
		if errors.Is(err, unix.ENXIO) || errors.Is(err, unix.ENODEV) {
			return nil, func() {} // a whiteout (a 0:0 device): deleted by this layer
		}
		if !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err != nil || f == nil {
		if err != nil && !errors.Is(err, os.ErrNotExist) {
			return errReader{err}, func() {}
		}
		return nil, func() {}
	}
	return f, func() { f.Close() }
}

// openInside opens path for reading as if root were "/": the kernel
// resolves every component, symlinks and ".." included, inside root
// (openat2 with RESOLVE_IN_ROOT).
func openInside(root, path string) (*os.File, error) {
	dir, err := os.Open(root)
	if err != nil {
		return nil, err
	}
	defer dir.Close()
	fd, err := unix.Openat2(int(dir.Fd()), path, &unix.OpenHow{
		Flags: unix.O_RDONLY | unix.O_CLOEXEC | unix.O_NONBLOCK, Resolve: unix.RESOLVE_IN_ROOT | unix.RESOLVE_NO_MAGICLINKS})
	if err != nil {
		return nil, &os.PathError{Op: "open", Path: path, Err: err}
	}
	return os.NewFile(uintptr(fd), path), nil
}

// errReader makes a read failure (not a missing file) surface as an error
// of the parser rather than as an unknown user.
type errReader struct{ err error }

func (r errReader) Read([]byte) (int, error) { return 0, r.err }
