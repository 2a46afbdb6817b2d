package core

import (
	"encoding/binary"
	"fmt"
	"strings"

	"golang.org/x/sys/unix"
)

// Step operations; keep in sync with init.c.
const (
	opMount    uint32 = 1
	opHostname uint32 = 2
	opSync     uint32 = 3
	opExec     uint32 = 4
)

// step is one thing the init does. The Go side decides what and in which
// order; init.c only replays. what names the step in error messages.
type step struct {
	op    uint32
	flags uint64
	str   []string
	what  string
}

// bootPlan is what the boot sequence is made from.
type bootPlan struct {
	spec *Spec
	sync bool // the init waits for the parent (hooks, cgroup) before exec
}

// bootSequence is the container's boot, in order, as the init will run it.
// It is the one place to read to know what a container start does inside
// the new namespaces.
func bootSequence(p bootPlan) []step {
	var steps []step
	add := func(s ...step) { steps = append(steps, s...) }

	// Make every mount private before mounting anything: on a host whose /
	// is shared (systemd's default), the mounts below would otherwise
	// propagate to the host (the book's broken host /proc), and pivot_root
	// would fail with EINVAL.
	add(mountStep("", "/", "", unix.MS_REC|unix.MS_PRIVATE, "", "make / private"))
	if p.spec.Rootfs == "" {
		// The host's root, with a /proc for the new pid namespace.
		add(procSteps("/")...)
	} else {
		// Its own root: an overlay whose lower layer is --rootfs, all
		// mounted here in the container's mount namespace, so that it
		// vanishes with the container however mydocker ends.
		root := mergedDir
		add(layerSteps(p.spec)...)
		add(procSteps(root)...)
		add(devSteps(root)...)
		add(sysSteps(root)...)
		add(maskSteps(root)...) // after /dev (masks bind its null) and /sys
		if p.spec.TTY {
			add(consoleStep(root))
		}
		add(volumeSteps(root, p.spec.Volumes)...)
	}
	add(step{op: opHostname, str: []string{p.spec.Hostname}, what: fmt.Sprintf("set hostname %q", p.spec.Hostname)})
	// The parent joins the init to its cgroup and runs post-mount hooks
	// while the init waits here: mounts done, host paths still reachable
	// (hooks may write into the root), the command not yet executed.
	if p.sync {
		add(step{op: opSync, what: "wait for the cgroup and post-mount hooks"})
	}
	if p.spec.Rootfs != "" {
		add(pivotSteps(mergedDir)...)
	}
	add(execStep(p.spec))
	return steps
}

func mountStep(source, target, fstype string, flags uintptr, data, what string) step {
	return step{op: opMount, flags: uint64(flags), str: []string{source, target, fstype, data}, what: what}
}

// execStep resolves the command like execvpe, with the container's PATH,
// inside the container (so that a later root filesystem is searched).
func execStep(spec *Spec) step {
	str := []string{spec.Args[0], envValue(spec.Env, "PATH")}
	str = append(str, spec.Args...)
	str = append(str, spec.Env...)
	return step{op: opExec, flags: uint64(len(spec.Args)), str: str, what: fmt.Sprintf("exec %q", spec.Args[0])}
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
			if strings.IndexByte(str, 0) >= 0 {
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

const maxConfig = 64 << 20 // CONFIG_MAX in init.c
