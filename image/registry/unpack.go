package registry

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
	"time"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// Whiteouts as layers carry them (the OCI image spec) and as overlayfs
// wants them in a lower directory.
const (
	whiteoutPrefix = ".wh."
	opaqueMarker   = ".wh..wh..opq"
	overlayOpaque  = "trusted.overlay.opaque"
)

// errEscape is wrapped by unpack for an entry that tries to leave its
// layer's directory.
var errEscape = errors.New("path escapes the layer")

// unpacker extracts one layer's tar stream into dir, a fresh directory, in
// the form overlayfs takes as a lower layer: `.wh.NAME` becomes a 0:0
// character device NAME, `.wh..wh..opq` the opaque xattr on its directory.
//
// Nothing it writes is outside dir: names with `..` are refused, each
// entry's parent is resolved inside dir (an earlier symlink of the layer
// is followed as the container would see it, never into the host), hard
// links must point inside dir, and device nodes are not created (a
// container's /dev is its own tmpfs). Extended attributes other than
// user.* and security.capability are dropped: trusted.overlay.* ones
// would steer the overlay itself.
type unpacker struct {
	dir     string
	parents map[string]string // resolved parent directories, by name
	dirs    []dirTime         // directory times, set last
	size    int64             // bytes of regular files
	skipped int               // device nodes left out
	buf     []byte
}

type dirTime struct {
	path        string
	atime, mtim time.Time
}

func unpack(r io.Reader, dir string) (size int64, err error) {
	u := &unpacker{dir: dir, parents: map[string]string{}, buf: make([]byte, 256<<10)}
	tr := tar.NewReader(r)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read the layer: %w", err)
		}
		if err := u.entry(hdr, tr); err != nil {
			return 0, fmt.Errorf("unpack %q: %w", hdr.Name, err)
		}
	}
	for i := len(u.dirs) - 1; i >= 0; i-- {
		d := u.dirs[i]
		_ = os.Chtimes(d.path, d.atime, d.mtim)
	}
	return u.size, nil
}

// entry unpacks one tar entry.
func (u *unpacker) entry(hdr *tar.Header, body io.Reader) error {
	for _, part := range strings.Split(hdr.Name, "/") {
		if part == ".." {
			return errEscape
		}
	}
	rel := strings.TrimPrefix(path.Clean("/"+hdr.Name), "/")
	if rel == "" {
		return nil // the layer's root itself
	}
	parent, err := u.parent(path.Dir(rel))
	if err != nil {
		return err
	}
	base := path.Base(rel)
	if strings.HasPrefix(base, whiteoutPrefix) {
		return u.whiteout(parent, base)
	}
	target := filepath.Join(parent, base)
	if fi, err := os.Lstat(target); err == nil {
		if fi.IsDir() && hdr.Typeflag == tar.TypeDir {
			return u.meta(target, hdr, -1)
		}
		if err := u.remove(target, fi); err != nil {
			return err
		}
	}
	fd := -1
	switch hdr.Typeflag {
	case tar.TypeDir:
		if err := unix.Mkdir(target, 0o700); err != nil {
			return err
		}
	case tar.TypeReg, tar.TypeRegA:
		f, err := os.OpenFile(target, os.O_WRONLY|os.O_CREATE|os.O_EXCL|unix.O_NOFOLLOW, 0o600)
		if err != nil {
			return err
		}
		defer f.Close()
		n, err := io.CopyBuffer(f, body, u.buf)
		if err != nil {
			return err
		}
		u.size += n
		fd = int(f.Fd())
	case tar.TypeSymlink:
		if err := unix.Symlink(hdr.Linkname, target); err != nil {
			return err
		}
	case tar.TypeLink:
		src, err := u.linkSource(hdr.Linkname)
		if err != nil {
			return err
		}
		if err := unix.Linkat(unix.AT_FDCWD, src, unix.AT_FDCWD, target, 0); err != nil {
			return fmt.Errorf("hard link to %q: %w", hdr.Linkname, err)
		}
		return nil // the link shares its source's metadata
	case tar.TypeFifo:
		if err := unix.Mknod(target, unix.S_IFIFO|0o600, 0); err != nil {
			return err
		}
	case tar.TypeChar, tar.TypeBlock:
		u.skipped++
		return nil
	default:
		return nil // global headers and the like carry no file
	}
	return u.meta(target, hdr, fd)
}

// parent resolves the directory dir (relative to the layer) inside the
// layer and creates it if missing.
func (u *unpacker) parent(dir string) (string, error) {
	if dir == "." {
		return u.dir, nil
	}
	if p, ok := u.parents[dir]; ok {
		return p, nil
	}
	p, err := securejoin.SecureJoin(u.dir, dir)
	if err != nil {
		return "", err
	}
	if err := os.MkdirAll(p, 0o755); err != nil {
		return "", err
	}
	u.parents[dir] = p
	return p, nil
}

// linkSource is where a hard link's target is inside the layer: its
// directory resolved inside it, its last component taken as is.
func (u *unpacker) linkSource(name string) (string, error) {
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return "", fmt.Errorf("hard link to %q: %w", name, errEscape)
		}
	}
	rel := strings.TrimPrefix(path.Clean("/"+name), "/")
	if rel == "" {
		return "", fmt.Errorf("hard link to the layer's root")
	}
	dir, err := securejoin.SecureJoin(u.dir, path.Dir(rel))
	if err != nil {
		return "", err
	}
	return filepath.Join(dir, path.Base(rel)), nil
}

// remove deletes what an entry replaces. A directory replaced by anything
// else takes its resolved subdirectories with it.
func (u *unpacker) remove(target string, fi os.FileInfo) error {
	if fi.IsDir() {
		clear(u.parents)
	}
	return os.RemoveAll(target)
}

// whiteout turns `.wh.` entries into what overlayfs reads.
func (u *unpacker) whiteout(parent, base string) error {
	if base == opaqueMarker {
		return unix.Lsetxattr(parent, overlayOpaque, []byte("y"), 0)
	}
	name := strings.TrimPrefix(base, whiteoutPrefix)
	if strings.HasPrefix(name, whiteoutPrefix) {
		return nil // aufs metadata (.wh..wh.plnk and the like)
	}
	target := filepath.Join(parent, name)
	if fi, err := os.Lstat(target); err == nil {
		if err := u.remove(target, fi); err != nil {
			return err
		}
	}
	return unix.Mknod(target, unix.S_IFCHR, 0)
}

// meta applies owner, mode, extended attributes and times; fd is the open
// regular file, or -1.
func (u *unpacker) meta(target string, hdr *tar.Header, fd int) error {
	if fd >= 0 {
		if err := unix.Fchown(fd, hdr.Uid, hdr.Gid); err != nil {
			return err
		}
	} else if err := unix.Lchown(target, hdr.Uid, hdr.Gid); err != nil {
		return err
	}
	for key, value := range hdr.PAXRecords {
		attr, ok := strings.CutPrefix(key, "SCHILY.xattr.")
		if !ok || !(strings.HasPrefix(attr, "user.") || attr == "security.capability") {
			continue
		}
		if err := unix.Lsetxattr(target, attr, []byte(value), 0); err != nil && !errors.Is(err, unix.ENOTSUP) {
			return fmt.Errorf("set %s: %w", attr, err)
		}
	}
	if hdr.Typeflag == tar.TypeSymlink {
		ts := []unix.Timespec{unix.NsecToTimespec(hdr.AccessTime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
		_ = unix.UtimesNanoAt(unix.AT_FDCWD, target, ts, unix.AT_SYMLINK_NOFOLLOW)
		return nil
	}
	// After chown, which clears set-id bits.
	mode := uint32(hdr.Mode & 0o7777)
	if fd >= 0 {
		if err := unix.Fchmod(fd, mode); err != nil {
			return err
		}
	} else if err := unix.Chmod(target, mode); err != nil {
		return err
	}
	atime := hdr.AccessTime
	if atime.IsZero() {
		atime = hdr.ModTime
	}
	if hdr.Typeflag == tar.TypeDir {
		u.dirs = append(u.dirs, dirTime{target, atime, hdr.ModTime})
		return nil
	}
	if fd >= 0 {
		tv := []unix.Timeval{unix.NsecToTimeval(atime.UnixNano()), unix.NsecToTimeval(hdr.ModTime.UnixNano())}
		return unix.Futimes(fd, tv)
	}
	ts := []unix.Timespec{unix.NsecToTimespec(atime.UnixNano()), unix.NsecToTimespec(hdr.ModTime.UnixNano())}
	return unix.UtimesNanoAt(unix.AT_FDCWD, target, ts, 0)
}
