package core

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// DefaultStateDir is where per-container state lives: the overlay's upper
// and work directories. Only root can enter it (0700).
const DefaultStateDir = "/var/lib/mydocker"

// containerDir is one container's state directory, for --rootfs:
//
//	lower   -> the --rootfs directory (a symlink: the overlay's options then
//	           name only "lower", and no host path shows in the container's
//	           /proc/self/mountinfo)
//	upper/  the container's writes, gone when it ends
//	work/   overlayfs's scratch space
//	merged/ where the init mounts the overlay, in its own mount namespace
type containerDir struct{ path string }

// newContainerDir creates the state directory for spec and prepares the
// upper layer: mount points the rootfs may lack, and the container's
// /etc/hostname and /etc/hosts. The returned remove deletes it again.
func newContainerDir(root string, spec *Spec) (_ *containerDir, retErr error) {
	if root == "" {
		root = DefaultStateDir
	}
	base := filepath.Join(root, "containers")
	if err := os.MkdirAll(base, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	d := &containerDir{path: filepath.Join(base, spec.ID)}
	if err := os.Mkdir(d.path, 0o700); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	defer func() {
		if retErr != nil {
			_ = d.remove()
		}
	}()
	for _, sub := range []string{"upper", "work", "merged"} {
		if err := os.Mkdir(filepath.Join(d.path, sub), 0o755); err != nil {
			return nil, fmt.Errorf("create state directory: %w", err)
		}
	}
	if err := os.Symlink(spec.Rootfs, filepath.Join(d.path, "lower")); err != nil {
		return nil, fmt.Errorf("create state directory: %w", err)
	}
	if err := d.prepareUpper(spec); err != nil {
		return nil, fmt.Errorf("prepare the container's root: %w", err)
	}
	return d, nil
}

func (d *containerDir) merged() string { return filepath.Join(d.path, "merged") }

// prepareUpper creates, in the upper layer, what the container's root must
// have. Paths made here are real directories, which shadow whatever the
// rootfs has at the same place: a mount target inside the container can
// never be a symlink of the rootfs pointing out into the host.
func (d *containerDir) prepareUpper(spec *Spec) error {
	upper := filepath.Join(d.path, "upper")
	for _, dir := range []string{"proc", "dev", "sys", "etc", "tmp"} {
		if err := os.MkdirAll(filepath.Join(upper, dir), 0o755); err != nil {
			return err
		}
	}
	if err := os.Chmod(filepath.Join(upper, "tmp"), 0o1777|os.ModeSticky); err != nil {
		return err
	}
	for _, v := range spec.Volumes {
		if err := makeMountPoint(filepath.Join(upper, v.Container), v.Host); err != nil {
			return fmt.Errorf("mount point for -v %s: %w", v.Container, err)
		}
	}
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost %[1]s\n::1\tlocalhost ip6-localhost ip6-loopback %[1]s\n", spec.Hostname)
	if err := os.WriteFile(filepath.Join(upper, "etc", "hostname"), []byte(spec.Hostname+"\n"), 0o644); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(upper, "etc", "hosts"), []byte(hosts), 0o644)
}

// makeMountPoint creates a directory, or an empty file if source is one.
func makeMountPoint(path, source string) error {
	info, err := os.Stat(source)
	if err != nil {
		return err
	}
	if info.IsDir() {
		return os.MkdirAll(path, 0o755)
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	return f.Close()
}

// errMounted refuses to delete through a mount point.
var errMounted = errors.New("something is still mounted under it; not deleting through a mount point")

// remove deletes the state directory. The container's mounts lived in its
// own mount namespace and died with it; if anything under the directory is
// still mounted in ours, nothing is deleted.
func (d *containerDir) remove() error {
	mounted, err := mountedUnder(d.path)
	if err != nil {
		return fmt.Errorf("remove state directory %s: %w", d.path, err)
	}
	if mounted != "" {
		return fmt.Errorf("remove state directory %s: %s: %w", d.path, mounted, errMounted)
	}
	if err := os.RemoveAll(d.path); err != nil {
		return fmt.Errorf("remove state directory: %w", err)
	}
	return nil
}

// mountedUnder returns a mount point at or below dir in this process's
// mount namespace, or "".
func mountedUnder(dir string) (string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return "", err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		fields := strings.Fields(sc.Text())
		if len(fields) > 4 {
			mp := unescapeMountPath(fields[4])
			if mp == dir || strings.HasPrefix(mp, dir+"/") {
				return mp, nil
			}
		}
	}
	return "", sc.Err()
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
