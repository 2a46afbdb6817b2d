// Package hostcheck lets tests prove they left the host as they found it:
// the mount table, the hostname, the test process's descriptors and
// children, and no process left running in another pid namespace (a
// container). It also holds the root gate shared by every package's tests.
package hostcheck

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// Snapshot is the host state taken before tests run.
type Snapshot struct {
	mountinfo string
	hostname  string
	fds       []string
	pids      map[string]bool
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
	pids := map[string]bool{}
	for _, p := range allPids() {
		pids[p] = true
	}
	return Snapshot{string(mi), host, openFds(), pids}, nil
}

// Diff describes how the host differs from the snapshot, or returns "".
// A container killed a moment ago may still be exiting (its namespaces
// are torn down asynchronously), so processes get a grace period to go.
func (s Snapshot) Diff() string {
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if len(children()) == 0 && len(s.newContainerProcs()) == 0 {
			break
		}
	}
	now, err := Take()
	if err != nil {
		return err.Error()
	}
	var b strings.Builder
	if now.mountinfo != s.mountinfo {
		fmt.Fprintf(&b, "host mount table changed:\nbefore:\n%s\nafter:\n%s\n", s.mountinfo, now.mountinfo)
	}
	if now.hostname != s.hostname {
		fmt.Fprintf(&b, "host hostname changed: %q -> %q\n", s.hostname, now.hostname)
	}
	if !slices.Equal(now.fds, s.fds) {
		fmt.Fprintf(&b, "open fds changed: %v -> %v\n", s.fds, now.fds)
	}
	if kids := children(); len(kids) > 0 {
		fmt.Fprintf(&b, "child processes left behind: %v\n", kids)
	}
	if left := s.newContainerProcs(); len(left) > 0 {
		fmt.Fprintf(&b, "container processes left running: %v\n", left)
	}
	if _, err := os.Readlink("/proc/self/exe"); err != nil {
		fmt.Fprintf(&b, "host /proc broken: %v\n", err)
	}
	return b.String()
}

// Main runs m and fails the run if the host was changed. Use it as
// TestMain's body.
func Main(m *testing.M) int {
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

func children() []string {
	var kids []string
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		kids = append(kids, strings.Fields(string(b))...)
	}
	return kids
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

// newContainerProcs lists processes that appeared since the snapshot and
// live in a pid namespace other than the host's.
func (s Snapshot) newContainerProcs() []string {
	hostNs, _ := os.Readlink("/proc/self/ns/pid")
	var left []string
	for _, p := range allPids() {
		if s.pids[p] {
			continue
		}
		ns, err := os.Readlink("/proc/" + p + "/ns/pid")
		if err == nil && ns != hostNs && !isZombie(p) {
			cmd, _ := os.ReadFile("/proc/" + p + "/cmdline")
			left = append(left, p+" "+strings.ReplaceAll(string(cmd), "\x00", " "))
		}
	}
	return left
}

// isZombie reports a process that has exited and waits for its parent
// (for an orphan, the host's init) to reap it.
func isZombie(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return true // gone
	}
	rest := string(b[strings.LastIndexByte(string(b), ')')+1:])
	return strings.HasPrefix(strings.TrimSpace(rest), "Z")
}
