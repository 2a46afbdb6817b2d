// Package hostcheck lets tests prove they left the host as they found it:
// the mount table, the hostname, the test process's descriptors, and no
// process left behind. The test process makes itself a child subreaper, so
// a container orphaned by a killed mydocker is reparented to it rather than
// to the host's init, and is seen as its own leftover: other test binaries
// running at the same time (go test runs packages in parallel) do not
// disturb the check. It also holds the root gate shared by every package's
// tests.
package hostcheck

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// Snapshot is the host state taken before tests run.
type Snapshot struct {
	mountinfo string
	hostname  string
	fds       []string
	state     []string // mydocker's cgroups and state directories
}

// Take records the host state now.
func Take() (Snapshot, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return Snapshot{}, err
	}
	host, err := os.Hostname()
	if err != nil {
		return Snapshot{}, err
	}
	return Snapshot{hostMounts(string(mi)), host, openFds(), mydockerState()}, nil
}

// hostMounts is the mount table without the mounts inside tests' own
// temporary directories (t.TempDir: /tmp/TestName...): a daemon another
// package's test runs (containerd mounts its containers' roots under its
// state directory there) comes and goes while this package runs. A test's
// own mount left there fails its TempDir clean-up instead.
func hostMounts(mountinfo string) string {
	prefix := filepath.Join(os.TempDir(), "Test")
	var kept []string
	for _, line := range strings.Split(mountinfo, "\n") {
		if f := strings.Fields(line); len(f) > 4 && strings.HasPrefix(f[4], prefix) {
			continue
		}
		kept = append(kept, line)
	}
	return strings.Join(kept, "\n")
}

// Diff describes how the host differs from the snapshot, or returns "".
// A container killed a moment ago may still be exiting (its namespaces
// are torn down asynchronously), and the cgroups are host-wide, so a test
// package running in parallel may have a container of its own running, at
// the snapshot (it may be gone since: fine) or now (it gets a grace period
// to go).
func (s Snapshot) Diff() string {
	var left []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		reapOrphans()
		// Another package's container may be between its cgroup's mkdir
		// and its init joining it: judge on a moment when none is.
		if left = leftovers(mydockerState(), s.state); len(descendants()) == 0 && len(left) == 0 {
			break
		}
	}
	now, err := Take()
	if err != nil {
		return err.Error()
	}
	now.state = left
	var b strings.Builder
	if now.mountinfo != s.mountinfo {
		fmt.Fprintf(&b, "host mount table changed:\nbefore:\n%s\nafter:\n%s\n", s.mountinfo, now.mountinfo)
	}
	if now.hostname != s.hostname {
		fmt.Fprintf(&b, "host hostname changed: %q -> %q\n", s.hostname, now.hostname)
	}
	if len(now.state) > 0 {
		fmt.Fprintf(&b, "mydocker cgroups or state directories left behind: %v\n", now.state)
	}
	if !slices.Equal(now.fds, s.fds) {
		fmt.Fprintf(&b, "open fds changed: %v -> %v\n", s.fds, now.fds)
	}
	if left := descendants(); len(left) > 0 {
		fmt.Fprintf(&b, "processes left behind: %v\n", left)
	}
	if _, err := net.InterfaceByName("mydocker0"); err == nil {
		// Network tests run in namespaces of their own: the bridge in the
		// machine's namespace means one did not.
		fmt.Fprintf(&b, "the host has a mydocker0 bridge: a test used --network bridge outside a namespace of its own (mydocker network prune removes it)\n")
	}
	if _, err := os.Readlink("/proc/self/exe"); err != nil {
		fmt.Fprintf(&b, "host /proc broken: %v\n", err)
	}
	return b.String()
}

// Main runs m and fails the run if the host was changed. Use it as
// TestMain's body.
//
// It also points image pulls that a test does not aim at its own registry
// at a closed loopback port: a run whose first word is taken for an image
// must never send traffic off the machine.
func Main(m *testing.M) int {
	if os.Getenv("MYDOCKER_REGISTRY") == "" {
		os.Setenv("MYDOCKER_REGISTRY", "127.0.0.1:1")
	}
	if err := unix.Prctl(unix.PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); err != nil {
		fmt.Fprintln(os.Stderr, "become child subreaper:", err)
		return 1
	}
	before, err := Take()
	if err != nil {
		fmt.Fprintln(os.Stderr, "snapshot host:", err)
		return 1
	}
	code := m.Run()
	if d := before.Diff(); d != "" {
		fmt.Fprint(os.Stderr, "FAIL: the tests changed the host:\n", d)
		code = 1
	}
	return code
}

// RequireRoot skips a test that needs root, except under CI (CI=true),
// where a skip would hide a test that never ran.
func RequireRoot(tb testing.TB) {
	tb.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		tb.Fatal("this test needs root, and CI must not skip it")
	}
	tb.Skip("needs root")
}

// mydockerState lists what mydocker creates on the host while a container
// runs: cgroup directories and the default state directory, down to each
// container's entry.
func mydockerState() []string {
	var found []string
	for _, pattern := range []string{"/sys/fs/cgroup/mydocker", "/sys/fs/cgroup/mydocker/*", "/sys/fs/cgroup/*/mydocker", "/sys/fs/cgroup/*/mydocker/*",
		"/var/lib/mydocker", "/var/lib/mydocker/containers/*", "/run/mydocker", "/run/mydocker/*"} {
		m, _ := filepath.Glob(pattern)
		for _, p := range m {
			if info, err := os.Stat(p); err == nil && info.IsDir() {
				found = append(found, p)
			}
		}
	}
	slices.Sort(found)
	return found
}

// leftovers are the entries of now that were not there before and are
// not a live container's: a cgroup with processes, and a parent of one,
// belong to a container of another test package running in parallel
// (this package's own leftover processes are its descendants, checked
// apart). What vanished since the snapshot was such a container, ending.
func leftovers(now, before []string) []string {
	var left []string
	for _, p := range now {
		if slices.Contains(before, p) || liveCgroup(p) {
			continue
		}
		if slices.ContainsFunc(now, func(q string) bool { return filepath.Dir(q) == p && liveCgroup(q) }) {
			continue
		}
		left = append(left, p)
	}
	return left
}

// liveCgroup reports whether dir is a cgroup with processes in it.
func liveCgroup(dir string) bool {
	procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs"))
	return err == nil && len(strings.TrimSpace(string(procs))) > 0
}

func openFds() []string {
	d, _ := os.ReadDir("/proc/self/fd")
	var fds []string
	for _, e := range d {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if strings.HasPrefix(target, "anon_inode:") || strings.HasPrefix(target, "pipe:") {
			continue // the Go runtime's poller, os/exec's pidfds, signal pipes
		}
		fds = append(fds, e.Name()+"->"+target)
	}
	return fds
}

// descendants lists the processes below this one, as "pid cmdline".
func descendants() []string {
	parent := map[string]string{}
	for _, p := range allPids() {
		b, err := os.ReadFile("/proc/" + p + "/stat")
		if err != nil {
			continue
		}
		fields := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if len(fields) > 1 {
			parent[p] = fields[1]
		}
	}
	self := fmt.Sprint(os.Getpid())
	var out []string
	for p := range parent {
		for q, hops := parent[p], 0; q != "" && hops < 64; q, hops = parent[q], hops+1 {
			if q == self {
				cmd, _ := os.ReadFile("/proc/" + p + "/cmdline")
				out = append(out, p+" "+strings.TrimSpace(strings.ReplaceAll(string(cmd), "\x00", " ")))
				break
			}
		}
	}
	slices.Sort(out)
	return out
}

// reapOrphans waits for exited children that nobody else will: orphans
// reparented to this subreaper. It runs after the tests, when no os/exec
// command of theirs is still waiting for its own child.
func reapOrphans() {
	for {
		pid, err := unix.Wait4(-1, nil, unix.WNOHANG, nil)
		if pid <= 0 || err != nil {
			return
		}
	}
}

func allPids() []string {
	d, _ := os.ReadDir("/proc")
	var pids []string
	for _, e := range d {
		if e.Name()[0] >= '0' && e.Name()[0] <= '9' {
			pids = append(pids, e.Name())
		}
	}
	return pids
}
