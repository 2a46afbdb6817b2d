package core

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// hostSnapshot is what the tests promise to leave as they found it.
type hostSnapshot struct {
	mountinfo string // the host's mount table
	hostname  string
	fds       []string // this process's open descriptors
}

func takeSnapshot() (hostSnapshot, error) {
	mi, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return hostSnapshot{}, err
	}
	host, err := os.Hostname()
	if err != nil {
		return hostSnapshot{}, err
	}
	fds, err := openFds()
	return hostSnapshot{string(mi), host, fds}, err
}

func openFds() ([]string, error) {
	d, err := os.ReadDir("/proc/self/fd")
	var fds []string
	for _, e := range d {
		target, _ := os.Readlink(filepath.Join("/proc/self/fd", e.Name()))
		if strings.HasPrefix(target, "anon_inode:[eventpoll]") || strings.HasPrefix(target, "anon_inode:[eventfd]") || strings.HasPrefix(target, "anon_inode:[pidfd]") || strings.HasPrefix(target, "pipe:") {
			continue // the Go runtime's poller, and os/exec's process tracking
		}
		fds = append(fds, e.Name()+"->"+target)
	}
	return fds, err
}

// childPids lists this process's live children (zombies included).
func childPids() []string {
	var kids []string
	tasks, _ := filepath.Glob("/proc/self/task/*/children")
	for _, t := range tasks {
		b, _ := os.ReadFile(t)
		kids = append(kids, strings.Fields(string(b))...)
	}
	return kids
}

// diff reports how the host differs from the snapshot, or "".
func (s hostSnapshot) diff() string {
	now, err := takeSnapshot()
	if err != nil {
		return err.Error()
	}
	var b bytes.Buffer
	if now.mountinfo != s.mountinfo {
		fmt.Fprintf(&b, "host mount table changed:\nbefore:\n%s\nafter:\n%s\n", s.mountinfo, now.mountinfo)
	}
	if now.hostname != s.hostname {
		fmt.Fprintf(&b, "host hostname changed: %q -> %q\n", s.hostname, now.hostname)
	}
	if strings.Join(now.fds, " ") != strings.Join(s.fds, " ") {
		fmt.Fprintf(&b, "open fds changed: %v -> %v\n", s.fds, now.fds)
	}
	if kids := childPids(); len(kids) > 0 {
		fmt.Fprintf(&b, "processes left behind: %v\n", kids)
	}
	if _, err := os.Readlink("/proc/self/exe"); err != nil {
		fmt.Fprintf(&b, "host /proc broken: %v\n", err)
	}
	return b.String()
}

// TestMain checks that the whole run left the host as it found it.
func TestMain(m *testing.M) {
	before, err := takeSnapshot()
	if err != nil {
		fmt.Fprintln(os.Stderr, "snapshot host:", err)
		os.Exit(1)
	}
	code := m.Run()
	if d := before.diff(); d != "" {
		fmt.Fprint(os.Stderr, "FAIL: the tests changed the host:\n", d)
		code = 1
	}
	os.Exit(code)
}

// requireRoot skips a test that needs root, except under CI, where a skip
// would hide a test that never ran.
func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() == 0 {
		return
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("this test needs root, and CI must not skip it")
	}
	t.Skip("needs root")
}
