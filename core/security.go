package core

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/moby/sys/capability"
	"golang.org/x/sys/unix"
)

// Security is what a container's processes may do to the kernel. Its zero
// value is docker's default, with runc's choices where they are stricter:
// docker's capability set, docker's seccomp profile, docker's device list,
// a session of its own, a fresh session keyring, masked and read-only
// kernel paths. The same applies to every process started in a container.
type Security struct {
	// Privileged gives every capability, no seccomp filter, no masked or
	// read-only paths, a writable /sys and every device: docker's
	// --privileged, which is root on the host.
	Privileged bool
	// CapAdd and CapDrop change the default set: names with or without
	// CAP_, any case, or ALL.
	CapAdd, CapDrop []string
	// Seccomp is "" for docker's default profile, "unconfined" for none,
	// or a profile file in docker's JSON format.
	Seccomp string
	// NoNewPrivileges stops setuid binaries and file capabilities from
	// raising privileges (PR_SET_NO_NEW_PRIVS).
	NoNewPrivileges bool
}

// DefaultCapabilities is docker's default capability set.
var DefaultCapabilities = []string{
	"CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER", "CAP_MKNOD", "CAP_NET_RAW",
	"CAP_SETGID", "CAP_SETUID", "CAP_SETFCAP", "CAP_SETPCAP", "CAP_NET_BIND_SERVICE",
	"CAP_SYS_CHROOT", "CAP_KILL", "CAP_AUDIT_WRITE",
}

// SeccompUnconfined is the Security.Seccomp value that loads no filter.
const SeccompUnconfined = "unconfined"

// knownCaps maps CAP_NAME to its number, for every capability this build
// knows of (moby/sys/capability's list).
var knownCaps = func() map[string]capability.Cap {
	m := map[string]capability.Cap{}
	for _, c := range capability.ListKnown() {
		m["CAP_"+strings.ToUpper(c.String())] = c
	}
	return m
}()

// canonicalCap turns "net_admin", "CAP_NET_ADMIN" or "all" into its
// canonical spelling, or says what is wrong.
func canonicalCap(flag, name string) (string, error) {
	up := strings.ToUpper(name)
	if up == "ALL" {
		return up, nil
	}
	if !strings.HasPrefix(up, "CAP_") {
		up = "CAP_" + up
	}
	if _, ok := knownCaps[up]; !ok {
		return "", invalidf("invalid %s %q: no such capability (see capabilities(7))", flag, name)
	}
	return up, nil
}

// Capabilities returns the container's capability set, docker's way: the
// default set, or all of them with --cap-add ALL, or none with --cap-drop
// ALL; then the named drops, then the named adds. Sorted by number.
func (s *Security) Capabilities() ([]string, error) {
	adds, err := canonicalCaps("--cap-add", s.CapAdd)
	if err != nil {
		return nil, err
	}
	drops, err := canonicalCaps("--cap-drop", s.CapDrop)
	if err != nil {
		return nil, err
	}
	set := map[string]bool{}
	switch {
	case s.Privileged || slices.Contains(adds, "ALL"):
		for name, c := range knownCaps {
			if inBoundingSet(c) { // all that mydocker itself may give
				set[name] = true
			}
		}
	case !slices.Contains(drops, "ALL"):
		for _, name := range DefaultCapabilities {
			set[name] = true
		}
	}
	for _, name := range drops {
		delete(set, name)
	}
	for _, name := range adds {
		if name == "ALL" {
			continue
		}
		if !inBoundingSet(knownCaps[name]) {
			return nil, invalidf("invalid --cap-add %s: mydocker itself does not have this capability to give", name)
		}
		set[name] = true
	}
	names := make([]string, 0, len(set))
	for name := range set {
		names = append(names, name)
	}
	slices.SortFunc(names, func(a, b string) int { return int(knownCaps[a]) - int(knownCaps[b]) })
	return names, nil
}

// inBoundingSet reports whether this process may still have c. The set
// is read once: a process's bounding set only ever shrinks, and mydocker
// never shrinks its own.
func inBoundingSet(c capability.Cap) bool { return ownBoundingSet()[c] }

var ownBoundingSet = sync.OnceValue(func() map[capability.Cap]bool {
	set := map[capability.Cap]bool{}
	for _, c := range knownCaps {
		if in, err := unix.PrctlRetInt(unix.PR_CAPBSET_READ, uintptr(c), 0, 0, 0); err == nil && in == 1 {
			set[c] = true
		}
	}
	return set
})

func canonicalCaps(flag string, names []string) ([]string, error) {
	out := make([]string, 0, len(names))
	for _, n := range names {
		c, err := canonicalCap(flag, n)
		if err != nil {
			return nil, err
		}
		out = append(out, c)
	}
	return out, nil
}

// capMask is the bit mask of a set of capability names.
func capMask(names []string) uint64 {
	var m uint64
	for _, n := range names {
		m |= 1 << uint(knownCaps[n])
	}
	return m
}

// validate checks the security options as user input.
func (s *Security) validate() error {
	if _, err := s.Capabilities(); err != nil {
		return err
	}
	if s.Privileged && s.Seccomp != "" && s.Seccomp != SeccompUnconfined {
		return invalidf("--privileged runs without seccomp: it cannot be combined with --security-opt seccomp=%s", s.Seccomp)
	}
	return nil
}

// securityPlan is a container's security, resolved on the host before the
// clone: everything the init needs to apply it, as numbers and bytes.
type securityPlan struct {
	caps    uint64 // the bounding set; also the other sets for uid 0
	seccomp []byte // a BPF program, nil for none
	nnp     bool
	user    resolvedUser
}

// planSecurity resolves spec's security: capability names to a mask, the
// seccomp profile to a program (compiled once per process, see seccomp.go),
// the user to numbers from the container's own /etc/passwd.
func planSecurity(spec *Spec, cacheDir string, userRoots []string) (securityPlan, error) {
	names, err := spec.Security.Capabilities()
	if err != nil {
		return securityPlan{}, err
	}
	p := securityPlan{caps: capMask(names), nnp: spec.Security.NoNewPrivileges}
	if !spec.Security.Privileged && spec.Security.Seccomp != SeccompUnconfined {
		if p.seccomp, err = seccompProgram(spec.Security.Seccomp, names, cacheDir); err != nil {
			return securityPlan{}, err
		}
	}
	if p.user, err = resolveUser(userRoots, spec.User); err != nil {
		return securityPlan{}, err
	}
	return p, nil
}

// securitySteps are the last steps before exec, in runc's order: a new
// keyring and session while all is still allowed, the bounding set, the
// seccomp filter while still privileged unless no-new-privileges lets an
// unprivileged process load it as the very last step, the user, and the
// capability sets.
func securitySteps(p securityPlan, tty bool) []step {
	steps := []step{{op: opReset, what: "reset signals and descriptors"}, {op: opKeyring, what: "join a new session keyring"}}
	if !tty {
		// No controlling terminal: TIOCSTI and friends cannot reach the
		// caller's terminal. (-t made a session with the container's pty.)
		steps = append(steps, step{op: opSetsid, what: "start a session without a terminal"})
	}
	steps = append(steps, step{op: opBounding, flags: p.caps, what: "drop capabilities from the bounding set"})
	seccomp := step{op: opSeccomp, str: []string{string(p.seccomp)}, raw: true, what: "load the seccomp filter"}
	if p.seccomp != nil && !p.nnp {
		steps = append(steps, seccomp)
	}
	u := p.user
	gids := make([]string, len(u.sgids))
	for i, g := range u.sgids {
		gids[i] = strconv.Itoa(g)
	}
	steps = append(steps, step{op: opUser, flags: uint64(u.uid)<<32 | uint64(u.gid), str: gids,
		what: fmt.Sprintf("switch to user %d:%d", u.uid, u.gid)})
	caps := p.caps
	if u.uid != 0 {
		caps = 0 // as docker: a non-root user keeps only the bounding set
	}
	steps = append(steps, step{op: opCapset, flags: caps, what: "set capabilities"})
	if p.nnp {
		steps = append(steps, step{op: opNoNewPrivs, what: "set no-new-privileges"})
		if p.seccomp != nil {
			steps = append(steps, seccomp)
		}
	}
	return steps
}

// cgroupSteps put the init in its cgroup before anything else runs, then
// give it a cgroup namespace rooted there, so that it sees its own cgroup
// as "/" and cannot name the host's.
func cgroupSteps(procs []string) []step {
	var steps []step
	for _, p := range procs {
		steps = append(steps, step{op: opJoinCgroup, str: []string{p}, what: "join cgroup " + p})
	}
	return append(steps, step{op: opUnshare, flags: unix.CLONE_NEWCGROUP, what: "enter a new cgroup namespace"})
}
