package core

import (
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

func TestHostID(t *testing.T) {
	maps := []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 1000}, {ContainerID: 5000, HostID: 7, Size: 1}}
	for _, tc := range []struct {
		id   uint32
		want int
		ok   bool
	}{
		{0, 100000, true}, {999, 100999, true}, {1000, 0, false}, {5000, 7, true}, {5001, 0, false},
	} {
		if got, ok := hostID(maps, tc.id); got != tc.want || ok != tc.ok {
			t.Errorf("hostID(%d) = %d, %v; want %d, %v", tc.id, got, ok, tc.want, tc.ok)
		}
	}
}

// An exec enters a container's user namespace only when it has one of
// its own (setns refuses to enter one's own).
func TestExecNamespaces(t *testing.T) {
	requireRoot(t)
	if got, err := execNamespaces(os.Getpid()); err != nil || got&unix.CLONE_NEWUSER != 0 || got&cloneFlags != cloneFlags {
		t.Errorf("this process: %#x %v", got, err)
	}
	cmd := exec.Command("sleep", "100")
	cmd.SysProcAttr = &syscall.SysProcAttr{Cloneflags: unix.CLONE_NEWUSER}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Wait()
	defer cmd.Process.Kill()
	if got, err := execNamespaces(cmd.Process.Pid); err != nil || got&unix.CLONE_NEWUSER == 0 {
		t.Errorf("a process in a user namespace of its own: %#x %v", got, err)
	}
	if _, err := execNamespaces(1 << 30); err == nil {
		t.Error("no such process: no error")
	}
}

// Device nodes in subdirectories: their directories come first, outermost
// first, whether the node is made or (in a user namespace) bound.
func TestDevNodeStepsOrder(t *testing.T) {
	nodes := []deviceNode{{path: "a/b/c", kind: 'c', major: 1, minor: 3}}
	for _, bind := range []bool{false, true} {
		var got []string
		for _, s := range devNodeSteps("/r/dev", nodes, bind) {
			got = append(got, s.what)
		}
		want := []string{"create /r/dev/a", "create /r/dev/a/b"}
		if bind {
			want = append(want, "create /r/dev/a/b/c", "bind the host's /dev/a/b/c")
		} else {
			want = append(want, "create /dev/a/b/c")
		}
		if strings.Join(got, "|") != strings.Join(want, "|") {
			t.Errorf("bind=%v: steps %q, want %q", bind, got, want)
		}
	}
}
