package core

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	securejoin "github.com/cyphar/filepath-securejoin"
	"golang.org/x/sys/unix"
)

// Steps that build a container's own root under merged/, before pivot_root.
// Each is planned here, in Go, from what the host looks like; the init only
// replays them.

// maskedPaths are kernel interfaces a container must not read (runc's
// list): a file is covered with /dev/null, a directory with an empty
// read-only tmpfs.
var maskedPaths = []string{
	"/proc/acpi", "/proc/asound", "/proc/interrupts", "/proc/kcore", "/proc/keys",
	"/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
	"/proc/sched_debug", "/proc/scsi", "/sys/firmware", "/sys/devices/virtual/powercap",
}

// readonlyPaths are kernel interfaces a container may read but not change.
var readonlyPaths = []string{"/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"}

// layersDir is where the init mounts a tmpfs of its own for the overlay's
// upper and work layers: over /proc, in the container's mount namespace
// only. /proc always exists, cannot hold the --rootfs directory, and is
// not needed by the init until it mounts the container's own. So no state
// directory exists on the host at all: the layers live and die with the
// container's mount namespace, however mydocker ends, and the container's
// writes are tmpfs pages, charged to its memory cgroup.
const layersDir = "/proc"

// mergedDir is the container's root before pivot_root, in the init's view.
const mergedDir = layersDir + "/merged"

func chdirStep(dir string) step {
	return step{op: opChdir, str: []string{dir}, what: fmt.Sprintf("enter %s", dir)}
}

func mkdirStep(path string, mode uint64) step {
	return step{op: opMkdir, flags: mode, str: []string{path}, what: "create " + path}
}

func writeFileStep(path, content string, mode uint64) step {
	return step{op: opWriteFile, flags: mode, str: []string{path, content}, what: "write " + path}
}

// layerSteps prepares the overlay's layers in a private tmpfs: empty upper
// and work directories, a "lower" link to --rootfs (so that the overlay's
// options name only relative paths and no host path shows in the
// container's mountinfo), and in the upper layer what the root must have.
// Mount points made there are real directories, which shadow whatever the
// rootfs has at the same place: a mount target can never be a symlink of
// the rootfs leading out into the host.
func layerSteps(spec *Spec) []step {
	steps := []step{
		mountStep("tmpfs", layersDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV, fmt.Sprintf("mode=700,size=%d", spec.storageSize()),
			"mount a private tmpfs for the container's layers"),
		chdirStep(layersDir),
		mkdirStep("upper", 0o755), mkdirStep("work", 0o700), mkdirStep("merged", 0o755),
	}
	lowers := "lower"
	if spec.Rootfs != "" {
		steps = append(steps, step{op: opSymlink, str: []string{spec.Rootfs, "lower"}, what: "link the --rootfs directory"})
	} else {
		// One short name per layer, so that even MaxLayers of them fit
		// in mount(2)'s one-page option string.
		names := make([]string, len(spec.Layers))
		for i, l := range spec.Layers {
			names[i] = strconv.Itoa(i)
			steps = append(steps, step{op: opSymlink, str: []string{l, names[i]}, what: "link image layer " + names[i]})
		}
		lowers = strings.Join(names, ":")
	}
	for _, d := range []string{"proc", "dev", "sys", "etc"} {
		steps = append(steps, mkdirStep("upper/"+d, 0o755))
	}
	steps = append(steps, mkdirStep("upper/tmp", 0o1777))
	files := etcFiles(spec)
	for _, name := range etcFileNames {
		steps = append(steps, writeFileStep("upper/etc/"+name, files[name], 0o644))
	}
	for _, v := range spec.Volumes {
		steps = append(steps, mountPointSteps(v.Container, v.isDir())...)
	}
	for _, t := range spec.Tmpfs {
		steps = append(steps, mountPointSteps(t.Path, true)...)
	}
	return append(steps, mountStep("overlay", "merged", "overlay", 0, "lowerdir="+lowers+",upperdir=upper,workdir=work",
		"mount the container's root (an overlay over --rootfs or the image)"))
}

// etcFileNames are the files etcFiles makes, in the order they are written.
var etcFileNames = []string{"hostname", "hosts", "resolv.conf"}

// hostEtcSteps give a container on the host's root its own /etc/hostname,
// /etc/hosts and /etc/resolv.conf without touching the host's: written in
// a small tmpfs on /proc (hidden by the container's /proc mounted next)
// and bind-mounted over the host's files in the container's mount
// namespace only. A file the host lacks is skipped.
func hostEtcSteps(spec *Spec) []step {
	steps := []step{mountStep("tmpfs", layersDir, "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "mode=755,size=1m",
		"mount a tmpfs for the container's /etc files")}
	files := etcFiles(spec)
	for _, name := range etcFileNames {
		src := filepath.Join(layersDir, name)
		steps = append(steps, writeFileStep(src, files[name], 0o644),
			optional(mountStep(src, "/etc/"+name, "", unix.MS_BIND, "", "bind the container's /etc/"+name)))
	}
	return steps
}

// mountPointSteps creates a mount target in the upper layer, directory by
// directory: a directory, or an empty file for a file mount.
func mountPointSteps(target string, dir bool) []step {
	var steps []step
	parts := strings.Split(strings.TrimPrefix(target, "/"), "/")
	path := "upper"
	for i, part := range parts {
		path += "/" + part
		if i < len(parts)-1 || dir {
			steps = append(steps, mkdirStep(path, 0o755))
		} else {
			steps = append(steps, writeFileStep(path, "", 0o644))
		}
	}
	return steps
}

// procSteps mounts a /proc for the new pid namespace at root/proc.
func procSteps(root string) []step {
	return []step{mountStep("proc", filepath.Join(root, "proc"), "proc", unix.MS_NOSUID|unix.MS_NOEXEC|unix.MS_NODEV, "",
		"mount proc on /proc")}
}

// devSteps gives the container a /dev of its own: a tmpfs with its
// devices (docker's few and --device's), a private devpts, /dev/shm, and
// the usual links.
func devSteps(root string, nodes []deviceNode) []step {
	dev := filepath.Join(root, "dev")
	steps := []step{mountStep("tmpfs", dev, "tmpfs", unix.MS_NOSUID|unix.MS_STRICTATIME, "mode=755,size=65536k", "mount a tmpfs on /dev")}
	steps = append(steps, devNodeSteps(dev, nodes, false)...)
	steps = append(steps,
		step{op: opMkdir, flags: 0o755, str: []string{filepath.Join(dev, "pts")}, what: "create /dev/pts"},
		mountStep("devpts", filepath.Join(dev, "pts"), "devpts", unix.MS_NOSUID|unix.MS_NOEXEC,
			"newinstance,ptmxmode=0666,mode=0620,gid=5", "mount a private devpts on /dev/pts"),
		step{op: opMkdir, flags: 0o1777, str: []string{filepath.Join(dev, "shm")}, what: "create /dev/shm"},
		mountStep("shm", filepath.Join(dev, "shm"), "tmpfs", unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC,
			"mode=1777,size=65536k", "mount a tmpfs on /dev/shm"),
	)
	return append(steps, devLinkSteps(dev)...)
}

// devNodeSteps makes the device nodes in dev; with bind, a container
// that cannot mknod (a user namespace of its own: userns.go) gets the
// host's nodes bind-mounted instead, as runc does.
func devNodeSteps(dev string, nodes []deviceNode, bind bool) []step {
	var steps []step
	for _, d := range nodes {
		if d.path == "" {
			continue
		}
		var parents []step
		for sub := filepath.Dir(d.path); sub != "."; sub = filepath.Dir(sub) {
			parents = append([]step{mkdirStep(filepath.Join(dev, sub), 0o755)}, parents...)
		}
		steps = append(steps, parents...)
		target := filepath.Join(dev, d.path)
		if bind {
			steps = append(steps, step{op: opTouch, flags: 0o644, str: []string{target}, what: "create " + target},
				mountStep(filepath.Join("/dev", d.path), target, "", unix.MS_BIND, "", "bind the host's /dev/"+d.path))
			continue
		}
		steps = append(steps, step{op: opMknod, flags: uint64(d.mode())<<32 | uint64(unix.Mkdev(d.major, d.minor)),
			str: []string{target}, what: "create /dev/" + d.path})
	}
	return steps
}

// devLinkSteps makes the usual links in dev (optional: an OCI bundle's
// /dev may have them).
func devLinkSteps(dev string) []step {
	var steps []step
	for _, l := range [][2]string{{"pts/ptmx", "ptmx"}, {"/proc/self/fd", "fd"}, {"/proc/self/fd/0", "stdin"}, {"/proc/self/fd/1", "stdout"}, {"/proc/self/fd/2", "stderr"}} {
		steps = append(steps, step{op: opSymlink, str: []string{l[0], filepath.Join(dev, l[1])}, what: "link /dev/" + l[1]})
	}
	return steps
}

// consoleStep makes the -t terminal inside the container's own devpts, so
// that `tty` and /dev/pts make sense there; the parent gets the master.
func consoleStep(root string) step {
	return step{op: opConsole, str: []string{filepath.Join(root, "dev", "pts", "ptmx")}, what: "create the container's terminal"}
}

// sysSteps mounts a sysfs (it shows the container's network namespace),
// read-only unless --privileged.
func sysSteps(root string, privileged bool) []step {
	flags := uintptr(unix.MS_NOSUID | unix.MS_NOEXEC | unix.MS_NODEV)
	if !privileged {
		flags |= unix.MS_RDONLY
	}
	return []step{mountStep("sysfs", filepath.Join(root, "sys"), "sysfs", flags, "", "mount sysfs on /sys")}
}

// tmpfsSteps mounts each --tmpfs, bounded by its size or the storage size.
func tmpfsSteps(root string, spec *Spec) []step {
	var steps []step
	for _, t := range spec.Tmpfs {
		size, mode := t.Size, t.Mode
		if size == 0 {
			size = spec.storageSize()
		}
		if mode == 0 {
			mode = 0o1777
		}
		flags := uintptr(unix.MS_NOSUID | unix.MS_NODEV)
		if t.ReadOnly {
			flags |= unix.MS_RDONLY
		}
		if t.NoExec {
			flags |= unix.MS_NOEXEC
		}
		steps = append(steps, mountStep("tmpfs", filepath.Join(root, t.Path), "tmpfs", flags,
			fmt.Sprintf("mode=%o,size=%d", mode, size), "mount a tmpfs on "+t.Path))
	}
	return steps
}

// maskSteps hides and write-protects the kernel interfaces listed above.
// The host's /proc and /sys tell which are files and which directories
// (the container's are of the same kernel); absent ones are skipped.
func maskSteps(root string) []step { return maskListSteps(root, maskedPaths, readonlyPaths, false) }

// maskListSteps masks the paths in masked and makes those in readonly
// read-only. Paths in /proc and /sys are the kernel's: they are looked at
// on the host. With inImage (an OCI bundle's lists), any other path is the
// image's: resolved inside root, where it is looked at.
func maskListSteps(root string, masked, readonly []string, inImage bool) []step {
	var steps []step
	null := filepath.Join(root, "dev", "null")
	for _, p := range masked {
		stat, target := p, filepath.Join(root, p)
		if inImage && !kernelPath(p) {
			resolved, err := securejoin.SecureJoin(root, p)
			if err != nil {
				continue
			}
			stat, target = resolved, resolved
		}
		info, err := os.Stat(stat)
		if err != nil {
			continue
		}
		if info.IsDir() {
			steps = append(steps, optional(mountStep("tmpfs", target, "tmpfs", unix.MS_RDONLY, "size=0", "mask "+p)))
		} else {
			steps = append(steps, optional(mountStep(null, target, "", unix.MS_BIND, "", "mask "+p)))
		}
	}
	for _, p := range readonly {
		target := filepath.Join(root, p)
		if inImage && !kernelPath(p) {
			resolved, err := securejoin.SecureJoin(root, p)
			if err != nil {
				continue
			}
			target = resolved
		}
		steps = append(steps,
			optional(mountStep(target, target, "", unix.MS_BIND|unix.MS_REC, "", "protect "+p)),
			optional(mountStep("", target, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY|unix.MS_NOSUID|unix.MS_NODEV|unix.MS_NOEXEC, "", "make "+p+" read-only")))
	}
	return steps
}

// kernelPath reports whether p is in /proc or /sys, the kernel's files.
func kernelPath(p string) bool {
	clean := filepath.Clean("/" + p)
	return clean == "/proc" || clean == "/sys" || strings.HasPrefix(clean, "/proc/") || strings.HasPrefix(clean, "/sys/")
}

// volumeSteps bind-mounts each -v; :ro makes the whole bound tree
// read-only, submounts included (mount_setattr with AT_RECURSIVE), so no
// part of it can be written or remounted writable without CAP_SYS_ADMIN.
func volumeSteps(root string, volumes []Volume) []step {
	var steps []step
	for _, v := range volumes {
		target := filepath.Join(root, v.Container)
		steps = append(steps, mountStep(v.Host, target, "", unix.MS_BIND|unix.MS_REC, "", fmt.Sprintf("bind-mount -v %s:%s", v.Host, v.Container)))
		if v.ReadOnly {
			steps = append(steps, step{op: opSetattr, flags: unix.MOUNT_ATTR_RDONLY, str: []string{target},
				what: fmt.Sprintf("make -v %s read-only", v.Container)})
		}
	}
	return steps
}

// pivotSteps makes root the container's root and detaches the host's.
func pivotSteps(root string) []step {
	return []step{chdirStep(root), {op: opPivot, what: "pivot_root into the container's root"}}
}

func optional(s step) step {
	s.op |= opOptional
	return s
}
