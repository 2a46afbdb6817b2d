package core

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// An OCI container may have a user namespace of its own (podman's
// --userns, runtime-tools' linux_uid_mappings): root inside is an
// ordinary uid of the host, given by linux.uidMappings and gidMappings.
// What changes for it, all decided here:
//
//   - Go's clone makes the namespace and writes the mappings before the
//     init runs (SysProcAttr), and switches to the mapped root (uid and gid
//     0 inside), so that the init holds its capabilities in the namespace.
//   - The init cannot write its host cgroup's cgroup.procs (a host root's
//     file): this process moves it there before sending its steps
//     (joinCgroups), while it waits.
//   - It cannot mknod: device nodes are the host's, bind-mounted
//     (devNodeSteps), as runc does.
//   - A bind remount repeats the host's locked flags (init_fs.c's
//     init_mount).
//   - The start fifo, in mydocker's state directory, is handed to the init
//     open (O_PATH), and belongs to the container's root (startFifo).
//     Every bind mount's source, which that root may not be able to
//     reach, is cloned on the host (open_tree) and attached by the init
//     (bindStep). The root filesystem itself must be reachable.
//   - Whatever enters the container later (exec) enters its user
//     namespace first (execNamespaces), and takes its uid there.

// userNamespace reports whether cfg asks for a new user namespace, and
// checks its mappings. Joining one by path is not supported.
func userNamespace(cfg *specs.Spec) (bool, error) {
	want := false
	for _, ns := range cfg.Linux.Namespaces {
		if ns.Type != specs.UserNamespace {
			continue
		}
		if ns.Path != "" {
			return false, invalidf("config.json: joining a user namespace (%s) is not supported", ns.Path)
		}
		want = true
	}
	hasMaps := len(cfg.Linux.UIDMappings) > 0 || len(cfg.Linux.GIDMappings) > 0
	switch {
	case want && (len(cfg.Linux.UIDMappings) == 0 || len(cfg.Linux.GIDMappings) == 0):
		return false, invalidf("config.json: a user namespace needs both linux.uidMappings and linux.gidMappings")
	case !want && hasMaps:
		return false, invalidf("config.json: linux.uidMappings and gidMappings need a user namespace")
	}
	if _, ok := hostID(cfg.Linux.UIDMappings, 0); want && !ok {
		return false, invalidf("config.json: linux.uidMappings must map the container's root (uid 0)")
	}
	if _, ok := hostID(cfg.Linux.GIDMappings, 0); want && !ok {
		return false, invalidf("config.json: linux.gidMappings must map the container's root (gid 0)")
	}
	return want, nil
}

// hostID is the host's id for id inside, through maps.
func hostID(maps []specs.LinuxIDMapping, id uint32) (int, bool) {
	for _, m := range maps {
		if id >= m.ContainerID && id-m.ContainerID < m.Size {
			return int(m.HostID + id - m.ContainerID), true
		}
	}
	return 0, false
}

// userFifoFd is the start fifo's descriptor in the init of a container
// with a user namespace: it cannot reach mydocker's state directory.
const userFifoFd = 4

// bindSource is a bind mount's source, cloned on the host for the init.
type bindSource struct {
	path      string
	recursive bool // rbind
}

// bindStep is a bind mount of source at target for the init of a
// container with a user namespace: mydocker clones the source's mount
// tree on the host (openBindSources) and hands it over, after the start
// fifo, for the init to attach. A clone of a shared host mount is the
// host's peer: it is made a slave at once, as every other mount of the
// container was (nothing mounted in it may reach the host).
func (p *ociPlan) bindStep(source, target string, flags uintptr, what string) []step {
	p.bindSources = append(p.bindSources, bindSource{source, flags&unix.MS_REC != 0})
	fd := strconv.Itoa(userFifoFd + len(p.bindSources))
	return []step{{op: opMoveMount, str: []string{fd, target}, what: what},
		mountStep("", target, "", unix.MS_SLAVE|unix.MS_REC, "", what+" (a slave of the host's)")}
}

// openBindSources clones the bind mount sources' trees (open_tree), in
// the order of their descriptors.
func openBindSources(sources []bindSource) (files []*os.File, err error) {
	for _, b := range sources {
		flags := unix.OPEN_TREE_CLONE | unix.OPEN_TREE_CLOEXEC
		if b.recursive {
			flags |= unix.AT_RECURSIVE
		}
		fd, err := unix.OpenTree(unix.AT_FDCWD, b.path, uint(flags))
		if err != nil {
			for _, f := range files {
				f.Close()
			}
			return nil, fmt.Errorf("open the bind mount source %s: %w", b.path, err)
		}
		files = append(files, os.NewFile(uintptr(fd), b.path))
	}
	return files, nil
}

// startFifo gives the start fifo to the container's root, and opens it
// (O_PATH) for the init, which reopens it through /proc/self/fd.
func startFifo(path string, cfg *specs.Spec) (*os.File, error) {
	uid, _ := hostID(cfg.Linux.UIDMappings, 0)
	gid, _ := hostID(cfg.Linux.GIDMappings, 0)
	if err := os.Chown(path, uid, gid); err != nil {
		return nil, fmt.Errorf("give the start fifo to the container's root: %w", err)
	}
	fd, err := unix.Open(path, unix.O_PATH|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("open the start fifo: %w", err)
	}
	return os.NewFile(uintptr(fd), path), nil
}

// idMappings sets cmd's user namespace mappings from cfg, and makes the
// init root inside it.
func idMappings(attr *syscall.SysProcAttr, cfg *specs.Spec) {
	conv := func(ms []specs.LinuxIDMapping) []syscall.SysProcIDMap {
		out := make([]syscall.SysProcIDMap, len(ms))
		for i, m := range ms {
			out[i] = syscall.SysProcIDMap{ContainerID: int(m.ContainerID), HostID: int(m.HostID), Size: int(m.Size)}
		}
		return out
	}
	attr.UidMappings = conv(cfg.Linux.UIDMappings)
	attr.GidMappings = conv(cfg.Linux.GIDMappings)
	attr.GidMappingsEnableSetgroups = true // the process's additionalGids
	attr.Credential = &syscall.Credential{Uid: 0, Gid: 0}
}

// joinCgroups moves pid into the cgroups whose cgroup.procs files are
// procs (an init in a user namespace cannot).
func joinCgroups(pid int, procs []string) error {
	for _, f := range procs {
		if err := os.WriteFile(f, []byte(strconv.Itoa(pid)), 0); err != nil {
			return fmt.Errorf("move the init into cgroup %s: %w", filepath.Dir(f), err)
		}
	}
	return nil
}

// execNamespaces are the namespaces an exec into the process pid enters:
// all of mydocker's, and its user namespace when it has one of its own.
// Not knowing is an error: entering the rest without it would run the
// command as the host's root in a container whose root is not.
func execNamespaces(pid int) (uintptr, error) {
	flags := uintptr(cloneFlags | unix.CLONE_NEWCGROUP)
	theirs, err := os.Readlink(filepath.Join("/proc", strconv.Itoa(pid), "ns", "user"))
	if err != nil {
		return 0, fmt.Errorf("the container's user namespace: %w", err)
	}
	ours, err := os.Readlink("/proc/self/ns/user")
	if err != nil {
		return 0, fmt.Errorf("this process's user namespace: %w", err)
	}
	if theirs != ours {
		flags |= unix.CLONE_NEWUSER
	}
	return flags, nil
}
