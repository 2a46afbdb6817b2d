package core

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// mountOption is what one OCI mount option means for mount(2): flags to
// set or clear, or propagation.
type mountOption struct {
	clear bool
	flag  uintptr
}

// mountOptions are the options runc understands as flags; any other
// option is passed to the filesystem as data (size=, mode=, ...).
var mountOptions = map[string]mountOption{
	"ro": {false, unix.MS_RDONLY}, "rw": {true, unix.MS_RDONLY},
	"nosuid": {false, unix.MS_NOSUID}, "suid": {true, unix.MS_NOSUID},
	"nodev": {false, unix.MS_NODEV}, "dev": {true, unix.MS_NODEV},
	"noexec": {false, unix.MS_NOEXEC}, "exec": {true, unix.MS_NOEXEC},
	"sync": {false, unix.MS_SYNCHRONOUS}, "async": {true, unix.MS_SYNCHRONOUS},
	"dirsync": {false, unix.MS_DIRSYNC}, "remount": {false, unix.MS_REMOUNT},
	"mand": {false, unix.MS_MANDLOCK}, "nomand": {true, unix.MS_MANDLOCK},
	"atime": {true, unix.MS_NOATIME}, "noatime": {false, unix.MS_NOATIME},
	"diratime": {true, unix.MS_NODIRATIME}, "nodiratime": {false, unix.MS_NODIRATIME},
	"relatime": {false, unix.MS_RELATIME}, "norelatime": {true, unix.MS_RELATIME},
	"strictatime": {false, unix.MS_STRICTATIME}, "nostrictatime": {true, unix.MS_STRICTATIME},
	"bind": {false, unix.MS_BIND}, "rbind": {false, unix.MS_BIND | unix.MS_REC},
}

// propagations are the propagation options, applied by a mount call of
// their own after the mount.
var propagations = map[string]uintptr{
	"private": unix.MS_PRIVATE, "rprivate": unix.MS_PRIVATE | unix.MS_REC,
	"shared": unix.MS_SHARED, "rshared": unix.MS_SHARED | unix.MS_REC,
	"slave": unix.MS_SLAVE, "rslave": unix.MS_SLAVE | unix.MS_REC,
	"unbindable": unix.MS_UNBINDABLE, "runbindable": unix.MS_UNBINDABLE | unix.MS_REC,
}

// parseMountOptions splits options into flags, propagation and data.
func parseMountOptions(opts []string) (flags, prop uintptr, data string) {
	var extra []string
	for _, o := range opts {
		if m, ok := mountOptions[o]; ok {
			if m.clear {
				flags &^= m.flag
			} else {
				flags |= m.flag
			}
		} else if p, ok := propagations[o]; ok {
			prop |= p
		} else if o != "tmpcopyup" { // runc's; an empty tmpfs here
			extra = append(extra, o)
		}
	}
	return flags, prop, strings.Join(extra, ",")
}

// ociMountSteps mounts m inside root. Its destination is resolved inside
// root now (symlinks in the image are followed as the container would,
// never out of it), its mount point made, then it is mounted (a bind
// mount by bindStep, if set: userns.go).
func ociMountSteps(root string, m specs.Mount, bindStep func(source, target string, flags uintptr, what string) []step) ([]step, error) {
	if !filepath.IsAbs(m.Destination) {
		m.Destination = "/" + m.Destination
	}
	target, err := securejoin.SecureJoin(root, m.Destination)
	if err != nil {
		return nil, invalidf("mount %s: %v", m.Destination, err)
	}
	flags, prop, data := parseMountOptions(m.Options)
	typ := m.Type
	bind := flags&unix.MS_BIND != 0 || typ == "bind"
	if bind {
		flags |= unix.MS_BIND
		typ = ""
	}
	if typ == "cgroup" || typ == "cgroup2" {
		// The container sees an empty, read-only /sys/fs/cgroup: its own
		// cgroup's files stay the host's business (v1 would need one bind
		// per controller; not done).
		typ, data, flags = "tmpfs", "mode=755,size=0", flags|unix.MS_RDONLY
	}
	what := fmt.Sprintf("mount %s on %s", orDash(m.Source, typ), m.Destination)
	steps := ociMountPoint(root, target, bind && isFile(m.Source))
	source := m.Source
	if typ == "" && !bind {
		return nil, invalidf("mount %s: no type", m.Destination)
	}
	if bind && bindStep != nil {
		steps = append(steps, bindStep(source, target, flags, what)...)
	} else {
		steps = append(steps, mountStep(source, target, typ, flags&^unix.MS_RDONLY&^(remountOnly(bind)), data, what))
	}
	if bind && flags&(unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC) != 0 {
		// A bind mount takes its flags from a remount.
		steps = append(steps, mountStep("", target, "", unix.MS_BIND|unix.MS_REMOUNT|(flags&^unix.MS_REC), "", what+" (flags)"))
	} else if !bind && flags&unix.MS_RDONLY != 0 {
		steps[len(steps)-1].flags |= unix.MS_RDONLY
	}
	if prop != 0 {
		steps = append(steps, mountStep("", target, "", prop, "", what+" (propagation)"))
	}
	return steps, nil
}

// remountOnly are the flags a bind mount ignores on its first call.
func remountOnly(bind bool) uintptr {
	if bind {
		return unix.MS_NOSUID | unix.MS_NODEV | unix.MS_NOEXEC
	}
	return 0
}

// ociMountPoint makes target's missing directories under root, and
// target itself as a file for a file's bind mount.
func ociMountPoint(root, target string, file bool) []step {
	rel, err := filepath.Rel(root, target)
	if err != nil || rel == "." {
		return nil
	}
	var steps []step
	parts := strings.Split(rel, "/")
	dir := root
	for i, p := range parts {
		dir = filepath.Join(dir, p)
		if i == len(parts)-1 && file {
			steps = append(steps, step{op: opTouch, flags: 0o644, str: []string{dir}, what: "create " + dir})
		} else {
			steps = append(steps, mkdirStep(dir, 0o755))
		}
	}
	return steps
}

func isFile(path string) bool {
	info, err := os.Stat(path)
	return err == nil && !info.IsDir()
}

func orDash(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
