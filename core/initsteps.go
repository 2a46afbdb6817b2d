package core

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// step is one thing the init does. The Go side decides what and in which
// order; init.c only replays. what names the step in error messages. A raw
// step's operands are bytes (a seccomp program), not C strings.
type step struct {
	op    uint32
	flags uint64
	str   []string
	raw   bool
	what  string
}

// bootPlan is what the boot sequence is made from.
type bootPlan struct {
	spec *Spec
	c    *container
	sync bool // the init waits for the parent (post-mount hooks) before exec
	// detached: no one's terminal is attached; -t makes the pty inside,
	// also on the host's root, and its master goes to the monitor.
	detached bool
}

// bootSequence is the container's boot, in order, as the init will run it.
// It is the one place to read to know what a container start does inside
// the new namespaces.
func bootSequence(p bootPlan) []step {
	spec, priv := p.spec, p.spec.Security.Privileged
	var steps []step
	add := func(s ...step) { steps = append(steps, s...) }

	// Make every mount private before mounting anything: on a host whose /
	// is shared (systemd's default), the mounts below would otherwise
	// propagate to the host (the book's broken host /proc), and pivot_root
	// would fail with EINVAL.
	add(mountStep("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "", "make / private"))
	// Join the container's cgroup first, so that its device rules and
	// limits hold for everything after, then see it as the cgroup root.
	add(cgroupSteps(p.c.procsFiles())...)
	// Its network: another namespace joined, or lo up in its own, before
	// /sys is mounted (sysfs shows the mounter's network namespace).
	add(networkSteps(spec)...)
	if !spec.OwnRoot() {
		// The host's root, with a /proc for the new pid namespace.
		if spec.ReadOnly {
			add(step{op: opSetattr, flags: unix.MOUNT_ATTR_RDONLY, str: []string{"/"}, what: "make / read-only"})
		}
		add(hostEtcSteps(spec)...)
		add(procSteps("/")...)
		if !priv {
			add(maskSteps("/")...)
		}
		if spec.TTY && p.detached {
			add(consoleStep("/"))
		}
	} else {
		// Its own root: an overlay whose lower layer is --rootfs, all
		// mounted here in the container's mount namespace, so that it
		// vanishes with the container however mydocker ends.
		root := mergedDir
		add(layerSteps(spec)...)
		add(procSteps(root)...)
		add(devSteps(root, p.c.devices())...)
		add(sysSteps(root, priv)...)
		if !priv {
			add(maskSteps(root)...) // after /dev (masks bind its null) and /sys
		}
		if spec.TTY {
			add(consoleStep(root))
		}
		add(volumeSteps(root, spec.Volumes)...)
		add(tmpfsSteps(root, spec)...)
		if spec.ReadOnly {
			add(mountStep("", root, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, "", "make the root read-only"))
		}
	}
	add(step{op: opHostname, str: []string{spec.Hostname}, what: fmt.Sprintf("set hostname %q", spec.Hostname)})
	if spec.OwnRoot() {
		add(pivotSteps(mergedDir)...)
	}
	// Post-mount hooks run from here: mounts done, the root in place (a
	// root of its own is /proc/PID/root from now on), the command not yet
	// executed. The init goes on with its security steps while the hooks
	// run, on the other CPU, and waits for them just before the exec (a
	// hook's refusal still kills it before any of the command runs).
	if p.sync {
		add(step{op: opSync, flags: syncLater, what: "tell the post-mount hooks the mounts are done"})
	}
	add(workdirSteps(spec)...)
	add(securitySteps(p.c.security, spec.TTY)...)
	if p.sync {
		add(step{op: opAwait, what: "wait for post-mount hooks"})
	}
	add(execStep(spec.Args, p.c.env))
	return steps
}

// workdirSteps enter -w; inside its own root the directory is made first,
// after pivot_root, so that every path resolves inside the container.
func workdirSteps(spec *Spec) []step {
	if spec.WorkDir == "" {
		return nil
	}
	var steps []step
	if spec.OwnRoot() {
		dir := ""
		for _, part := range strings.Split(strings.Trim(filepath.Clean(spec.WorkDir), "/"), "/") {
			dir += "/" + part
			steps = append(steps, mkdirStep(dir, 0o755))
		}
	}
	return append(steps, chdirStep(spec.WorkDir))
}

func mountStep(source, target, fstype string, flags uintptr, data, what string) step {
	return step{op: opMount, flags: uint64(flags), str: []string{source, target, fstype, data}, what: what}
}

// execStep resolves the command like execvpe, with the container's PATH,
// inside the container (so that a later root filesystem is searched).
func execStep(args, env []string) step {
	str := []string{args[0], envValue(env, "PATH")}
	str = append(str, args...)
	str = append(str, env...)
	return step{op: opExec, flags: uint64(len(args)), str: str, what: fmt.Sprintf("exec %q", args[0])}
}

// envValue returns the value of the last KEY=VALUE entry for key.
func envValue(env []string, key string) string {
	for i := len(env) - 1; i >= 0; i-- {
		if v, ok := strings.CutPrefix(env[i], key+"="); ok {
			return v
		}
	}
	return ""
}

// encodeSteps writes the wire format init.c parses: per step a header
// {op u32, nstr u32, flags u64} and each string as {len u32, bytes, NUL}.
func encodeSteps(steps []step) ([]byte, error) {
	var b []byte
	ne := binary.NativeEndian
	for _, s := range steps {
		b = ne.AppendUint32(b, s.op)
		b = ne.AppendUint32(b, uint32(len(s.str)))
		b = ne.AppendUint64(b, s.flags)
		for _, str := range s.str {
			if !s.raw && strings.IndexByte(str, 0) >= 0 {
				return nil, invalidf("%s: %q contains a NUL byte", s.what, str)
			}
			b = ne.AppendUint32(b, uint32(len(str)+1))
			b = append(b, str...)
			b = append(b, 0)
		}
	}
	if len(b) > maxConfig {
		return nil, invalidf("command and environment too large (%d bytes, at most %d)", len(b), maxConfig)
	}
	return b, nil
}
