package core

import (
	"fmt"
	"path/filepath"
	"strconv"
	"strings"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// An OCI bundle (a config.json and a root filesystem) runs through the
// same init as a `run`: ociSequence turns the runtime-spec config into a
// step list, with the same security steps in the same order, and a start
// fifo the init parks on between `create` and `start` (oci_create.go).

// ociPlan is what the init is told for an OCI container.
type ociPlan struct {
	id, bundle, root, fifo string
	cfg                    *specs.Spec
	cloneFlags             uintptr
	c                      *container // its cgroup
	seccomp                []byte
	caps                   [5]uint64    // bounding, effective, permitted, inheritable, ambient
	hookSync               bool         // wait before pivot_root for the runtime's hooks
	userns                 bool         // a user namespace of its own (userns.go)
	bindSources            []bindSource // with userns: what the init gets cloned (bindStep)
}

// createdWhat names the sync step that ends `create`.
const createdWhat = "report the container created"

// nsFlags are the runtime-spec namespace types.
var nsFlags = map[specs.LinuxNamespaceType]uintptr{
	specs.PIDNamespace: unix.CLONE_NEWPID, specs.NetworkNamespace: unix.CLONE_NEWNET,
	specs.MountNamespace: unix.CLONE_NEWNS, specs.IPCNamespace: unix.CLONE_NEWIPC,
	specs.UTSNamespace: unix.CLONE_NEWUTS, specs.CgroupNamespace: unix.CLONE_NEWCGROUP,
	specs.UserNamespace: unix.CLONE_NEWUSER, specs.TimeNamespace: unix.CLONE_NEWTIME,
}

// planOCI checks cfg and works out the container; nothing is made.
func (r *Runtime) planOCI(id, bundle, fifo string, cfg *specs.Spec) (*ociPlan, error) {
	if cfg.Process == nil || len(cfg.Process.Args) == 0 {
		return nil, invalidf("config.json: process.args is empty")
	}
	if cfg.Root == nil || cfg.Root.Path == "" {
		return nil, invalidf("config.json: root.path is empty")
	}
	if cfg.Linux == nil {
		return nil, invalidf("config.json: no linux section")
	}
	p := &ociPlan{id: id, bundle: bundle, fifo: fifo, cfg: cfg, root: cfg.Root.Path}
	if !filepath.IsAbs(p.root) {
		p.root = filepath.Join(bundle, p.root)
	}
	hasMountNS := false
	for _, ns := range cfg.Linux.Namespaces {
		flag, ok := nsFlags[ns.Type]
		switch {
		case !ok:
			return nil, invalidf("config.json: unknown namespace type %q", ns.Type)
		case ns.Type == specs.TimeNamespace:
			return nil, invalidf("config.json: %s namespaces are not supported", ns.Type)
		case ns.Path == "" && ns.Type != specs.CgroupNamespace:
			p.cloneFlags |= flag
		}
		hasMountNS = hasMountNS || ns.Type == specs.MountNamespace
	}
	if !hasMountNS {
		return nil, invalidf("config.json: a container without a mount namespace is not supported")
	}
	var err error
	if p.userns, err = userNamespace(cfg); err != nil {
		return nil, err
	}
	spec := &Spec{ID: id, Limits: ociLimits(cfg.Linux.Resources)}
	c := &container{spec: spec}
	host, err := detectCgroups()
	if err != nil {
		return nil, err
	}
	allowed := deviceNodes(nil)
	for _, d := range ociDevices(cfg.Linux.Devices) {
		if d.kind != 'p' { // a fifo is no device: nothing to allow
			allowed = append(allowed, d)
		}
	}
	cg := cgroupConfig{limits: spec.Limits, devices: allowed, every: true, raw: ociResourceFiles(cfg.Linux.Resources, host.v2)}
	group, name, err := cgroupsPath(cfg.Linux.CgroupsPath, id)
	if err != nil {
		return nil, err
	}
	if c.cgroup, err = host.planAt(group, name, cg); err != nil {
		return nil, err
	}
	p.c = c
	if caps := cfg.Process.Capabilities; caps != nil {
		for i, set := range [][]string{caps.Bounding, caps.Effective, caps.Permitted, caps.Inheritable, caps.Ambient} {
			if p.caps[i], err = ociCapMask(set); err != nil {
				return nil, err
			}
		}
	}
	if cfg.Linux.Seccomp != nil {
		if p.seccomp, err = compileCached(cfg.Linux.Seccomp, r.CacheDir); err != nil {
			return nil, invalidf("config.json: linux.seccomp: %v", err)
		}
	}
	return p, nil
}

// cgroupsPath reads linux.cgroupsPath: "" is mydocker/ID, "/a/b" (or
// "a/b") is that path in every hierarchy; systemd's "slice:prefix:name"
// needs systemd, which mydocker does not drive.
func cgroupsPath(path, id string) (group, name string, err error) {
	switch {
	case path == "":
		return "mydocker", id, nil
	case strings.Count(path, ":") == 2 && !strings.HasPrefix(path, "/"):
		return "", "", invalidf("config.json: cgroupsPath %q is systemd's form: mydocker manages cgroupfs only", path)
	}
	clean := filepath.Clean("/" + path)
	if clean == "/" {
		return "", "", invalidf("config.json: cgroupsPath %q is the root cgroup", path)
	}
	return strings.TrimPrefix(filepath.Dir(clean), "/"), filepath.Base(clean), nil
}

// ociLimits maps linux.resources onto mydocker's limits (the CPU's are
// written as given: ociResourceFiles).
func ociLimits(res *specs.LinuxResources) Limits {
	var l Limits
	if res == nil {
		return l
	}
	if res.Memory != nil && res.Memory.Limit != nil && *res.Memory.Limit > 0 {
		l.Memory = *res.Memory.Limit
	}
	if res.Pids != nil && res.Pids.Limit != nil && *res.Pids.Limit > 0 {
		l.Pids = *res.Pids.Limit
	}
	return l
}

// ociResourceFiles are the control files for linux.resources' CPU and
// cpuset settings, and the memory reservation and swappiness, as runc
// writes them.
func ociResourceFiles(res *specs.LinuxResources, v2 bool) []limitFile {
	if res == nil {
		return nil
	}
	var files []limitFile
	add := func(ctrl, file, value string) {
		files = append(files, limitFile{ctrl, "linux.resources", file, value})
	}
	if c := res.CPU; c != nil {
		switch {
		case v2 && c.Quota != nil && *c.Quota > 0:
			period := uint64(cpuPeriod)
			if c.Period != nil && *c.Period > 0 {
				period = *c.Period
			}
			add("cpu", "cpu.max", fmt.Sprintf("%d %d", *c.Quota, period))
		case !v2:
			if c.Shares != nil && *c.Shares > 0 {
				add("cpu", "cpu.shares", strconv.FormatUint(*c.Shares, 10))
			}
			if c.Period != nil && *c.Period > 0 {
				add("cpu", "cpu.cfs_period_us", strconv.FormatUint(*c.Period, 10))
			}
			if c.Quota != nil && *c.Quota != 0 {
				add("cpu", "cpu.cfs_quota_us", strconv.FormatInt(*c.Quota, 10))
			}
		}
		if c.Cpus != "" {
			add("cpuset", "cpuset.cpus", c.Cpus)
		}
		if c.Mems != "" {
			add("cpuset", "cpuset.mems", c.Mems)
		}
	}
	if m := res.Memory; m != nil && !v2 {
		if m.Reservation != nil && *m.Reservation > 0 {
			add("memory", "memory.soft_limit_in_bytes", strconv.FormatInt(*m.Reservation, 10))
		}
		if m.Swappiness != nil && *m.Swappiness <= 100 {
			add("memory", "memory.swappiness", strconv.FormatUint(*m.Swappiness, 10))
		}
	}
	return files
}

// ociDevices are linux.devices as device nodes: made in /dev (with their
// type and mode) and allowed (a fifo needs no rule).
func ociDevices(devs []specs.LinuxDevice) []deviceNode {
	var nodes []deviceNode
	for _, d := range devs {
		n := deviceNode{kind: 'c', major: uint32(d.Major), minor: uint32(d.Minor), perms: "rwm",
			path: strings.TrimPrefix(filepath.Clean(d.Path), "/dev/")}
		switch d.Type {
		case "b", "p":
			n.kind = d.Type[0]
		}
		if d.FileMode != nil {
			n.fileMode = uint32(*d.FileMode)
		}
		nodes = append(nodes, n)
	}
	return nodes
}

// ociCapMask turns capability names into a mask. One this process does
// not hold itself (this host's root may lack some) cannot be given, and is
// left out, as the kernel would refuse it.
func ociCapMask(names []string) (uint64, error) {
	var m uint64
	for _, n := range names {
		c, ok := knownCaps[strings.ToUpper(n)]
		if !ok {
			return 0, invalidf("config.json: unknown capability %q", n)
		}
		if inBoundingSet(c) {
			m |= 1 << uint(c)
		}
	}
	return m, nil
}

// ociSequence is an OCI container's boot, in order, as the init runs it.
func ociSequence(p *ociPlan) ([]step, error) {
	cfg, root := p.cfg, p.root
	var steps []step
	add := func(s ...step) { steps = append(steps, s...) }
	// Nothing mounted here may reach the host: every mount becomes a slave
	// (host mounts still come in) until pivot_root; linux.rootfsPropagation
	// applies to the container's root after it, where a shared root is a
	// peer group of its own.
	add(mountStep("", "/", "", unix.MS_SLAVE|unix.MS_REC, "", "make every mount a slave of the host's"))
	joinedPid := false
	for _, ns := range cfg.Linux.Namespaces {
		if ns.Path != "" {
			add(step{op: opNspath, flags: uint64(nsFlags[ns.Type]), str: []string{ns.Path}, what: "join " + string(ns.Type) + " namespace " + ns.Path})
			joinedPid = joinedPid || ns.Type == specs.PIDNamespace
		}
	}
	if joinedPid {
		// A joined pid namespace holds only the children of who joined it:
		// the container's process is a child, the caller's (CLONE_PARENT).
		add(step{op: opFork, what: "fork into the joined pid namespace"})
	}
	if !p.userns { // else Create moves it (joinCgroups)
		for _, f := range p.c.procsFiles() {
			add(step{op: opJoinCgroup, str: []string{f}, what: "join cgroup " + f})
		}
	}
	for _, ns := range cfg.Linux.Namespaces {
		if ns.Type == specs.CgroupNamespace && ns.Path == "" {
			add(step{op: opUnshare, flags: unix.CLONE_NEWCGROUP, what: "enter a new cgroup namespace"})
		}
	}
	add(step{op: opFifo, str: []string{p.fifo}, what: "open the start fifo"})
	bindRoot := "bind the root filesystem"
	if p.userns {
		bindRoot += " (the container's root, an ordinary uid of the host, must be able to reach it)"
	}
	add(mountStep(root, root, "", unix.MS_BIND|unix.MS_REC, "", bindRoot))
	var bindStep func(source, target string, flags uintptr, what string) []step // mount(2)'s, unless
	if p.userns {
		bindStep = p.bindStep
	}
	for _, m := range cfg.Mounts {
		if m.Source != "" && !filepath.IsAbs(m.Source) && (m.Type == "bind" || strings.Contains(strings.Join(m.Options, ","), "bind")) {
			m.Source = filepath.Join(p.bundle, m.Source)
		}
		ms, err := ociMountSteps(root, m, bindStep)
		if err != nil {
			return nil, err
		}
		add(ms...)
	}
	dev := filepath.Join(root, "dev")
	for _, s := range devNodeSteps(dev, append(deviceNodes(nil), ociDevices(cfg.Linux.Devices)...), p.userns) {
		add(optional(s)) // a bundle's /dev may have them
	}
	for _, s := range devLinkSteps(dev) {
		add(optional(s))
	}
	for key, value := range cfg.Linux.Sysctl {
		path := filepath.Join(root, "proc", "sys", strings.ReplaceAll(key, ".", "/"))
		add(step{op: opWriteFile, flags: 0o644, str: []string{path, value}, what: "set sysctl " + key})
	}
	add(maskListSteps(root, cfg.Linux.MaskedPaths, cfg.Linux.ReadonlyPaths, true)...)
	if cfg.Process.Terminal {
		add(consoleStep(root))
	}
	if cfg.Hostname != "" && p.cloneFlags&unix.CLONE_NEWUTS != 0 {
		add(step{op: opHostname, str: []string{cfg.Hostname}, what: fmt.Sprintf("set hostname %q", cfg.Hostname)})
	}
	if cfg.Root.Readonly {
		add(mountStep("", root, "", unix.MS_BIND|unix.MS_REMOUNT|unix.MS_RDONLY, "", "make the root read-only"))
	}
	if p.hookSync {
		add(step{op: opSync, what: "wait for the prestart and createRuntime hooks"})
	}
	add(pivotSteps(root)...)
	if v, ok := propagations[cfg.Linux.RootfsPropagation]; ok {
		add(mountStep("", "/", "", v, "", "set the root's propagation to "+cfg.Linux.RootfsPropagation))
	} else if cfg.Linux.RootfsPropagation != "" {
		return nil, invalidf("config.json: unknown rootfsPropagation %q", cfg.Linux.RootfsPropagation)
	}
	cwd := cfg.Process.Cwd
	if cwd == "" {
		cwd = "/"
	}
	add(chdirStep(cwd))
	for _, rl := range cfg.Process.Rlimits {
		res, ok := rlimits[rl.Type]
		if !ok {
			return nil, invalidf("config.json: unknown rlimit %q", rl.Type)
		}
		add(step{op: opRlimit, flags: uint64(res), str: []string{rlimitValue(rl.Soft), rlimitValue(rl.Hard)}, what: "set " + rl.Type})
	}
	if adj := cfg.Process.OOMScoreAdj; adj != nil {
		add(step{op: opWriteFile, flags: 0o644, str: []string{"/proc/self/oom_score_adj", strconv.Itoa(*adj)}, what: "set oom_score_adj"})
	}
	if u := cfg.Process.User.Umask; u != nil {
		add(step{op: opUmask, flags: uint64(*u), what: "set the umask"})
	}
	// Created: the parent returns from `create`, and the init waits here
	// for `start`.
	add(step{op: opSync, what: createdWhat}, step{op: opPark, what: "wait for start"})
	add(ociSecuritySteps(p)...)
	env := cfg.Process.Env
	add(execStep(cfg.Process.Args, env))
	return steps, nil
}

// ociSecuritySteps are securitySteps with OCI's own capability sets.
func ociSecuritySteps(p *ociPlan) []step {
	cfg := p.cfg
	steps := []step{{op: opReset, what: "reset signals and descriptors"}, {op: opKeyring, what: "join a new session keyring"}}
	if !cfg.Process.Terminal {
		steps = append(steps, step{op: opSetsid, what: "start a session without a terminal"})
	}
	steps = append(steps, step{op: opBounding, flags: p.caps[0], what: "drop capabilities from the bounding set"})
	seccomp := step{op: opSeccomp, str: []string{string(p.seccomp)}, raw: true, what: "load the seccomp filter"}
	nnp := cfg.Process.NoNewPrivileges
	if p.seccomp != nil && !nnp {
		steps = append(steps, seccomp)
	}
	u := cfg.Process.User
	gids := make([]string, len(u.AdditionalGids))
	for i, g := range u.AdditionalGids {
		gids[i] = strconv.FormatUint(uint64(g), 10)
	}
	steps = append(steps, step{op: opUser, flags: uint64(u.UID)<<32 | uint64(u.GID), str: gids, what: fmt.Sprintf("switch to user %d:%d", u.UID, u.GID)})
	hex := func(m uint64) string { return strconv.FormatUint(m, 16) }
	steps = append(steps, step{op: opCapsets, str: []string{hex(p.caps[1]), hex(p.caps[2]), hex(p.caps[3]), hex(p.caps[4])}, what: "set the capabilities"})
	if nnp {
		steps = append(steps, step{op: opNoNewPrivs, what: "set no_new_privs"})
		if p.seccomp != nil {
			steps = append(steps, seccomp)
		}
	}
	return steps
}

// rlimits are the runtime-spec rlimit names.
var rlimits = map[string]int{
	"RLIMIT_AS": unix.RLIMIT_AS, "RLIMIT_CORE": unix.RLIMIT_CORE, "RLIMIT_CPU": unix.RLIMIT_CPU,
	"RLIMIT_DATA": unix.RLIMIT_DATA, "RLIMIT_FSIZE": unix.RLIMIT_FSIZE, "RLIMIT_LOCKS": unix.RLIMIT_LOCKS,
	"RLIMIT_MEMLOCK": unix.RLIMIT_MEMLOCK, "RLIMIT_MSGQUEUE": unix.RLIMIT_MSGQUEUE, "RLIMIT_NICE": unix.RLIMIT_NICE,
	"RLIMIT_NOFILE": unix.RLIMIT_NOFILE, "RLIMIT_NPROC": unix.RLIMIT_NPROC, "RLIMIT_RSS": unix.RLIMIT_RSS,
	"RLIMIT_RTPRIO": unix.RLIMIT_RTPRIO, "RLIMIT_RTTIME": unix.RLIMIT_RTTIME, "RLIMIT_SIGPENDING": unix.RLIMIT_SIGPENDING,
	"RLIMIT_STACK": unix.RLIMIT_STACK,
}

func rlimitValue(v uint64) string {
	if v == unix.RLIM_INFINITY {
		return "-1"
	}
	return strconv.FormatUint(v, 10)
}
