package lifecycle

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mydocker/mydocker/store"
)

// A detached start leaves this process no zombie: the monitor's first
// process is reaped as the monitor answers. The monitor (a clone sharing
// that process's memory until it exits) leads a session of its own, with
// the container's PID 1 as its only child. (Its parent is then the host's
// init, or this test process, a subreaper: hostcheck.)
func TestMonitorDetached(t *testing.T) {
	m := newManager(t)
	for i := range 3 {
		before := childZombies(t) // monitors of earlier tests, ended: ours by hostcheck's subreaper
		c := runDetached(t, m, fmt.Sprint("detached", i), spec("sleep", "100"))
		if zombies := childZombies(t); len(zombies) > len(before) {
			t.Fatalf("unreaped children after run -d: %v, before it %v", zombies, before)
		}
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", c.Monitor))
		if err != nil {
			t.Fatal(err)
		}
		// pid (comm) state ppid pgrp session ...
		f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+1:]))
		if f[3] != strconv.Itoa(c.Monitor) {
			t.Errorf("monitor %d: session %s, not its own", c.Monitor, f[3])
		}
		if kids := children(c.Monitor); len(kids) != 1 || kids[0] != strconv.Itoa(c.Pid) {
			t.Errorf("monitor's children %v, want the init %d", kids, c.Pid)
		}
	}
	for i := range 3 {
		if _, err := m.Remove(context.Background(), fmt.Sprint("detached", i), true); err != nil {
			t.Error(err)
		}
	}
}

// children lists pid's child processes.
func children(pid int) []string {
	var out []string
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", pid))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		out = append(out, strings.Fields(string(b))...)
	}
	return out
}

// A monitor killed with SIGKILL takes its container with it; the record
// says so, and rm removes what is left (its cgroup).
func TestMonitorKilled(t *testing.T) {
	m := newManager(t)
	s := spec("sleep", "100")
	s.Limits.Memory = 32 << 20
	c := runDetached(t, m, "orphan", s)
	if err := syscall.Kill(c.Monitor, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var now *store.Container
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if now, _ = m.Store.Resolve("orphan"); now.Status == store.Exited && now.Lost != "" {
			break
		}
	}
	if now.Status != store.Exited || now.Lost != "its monitor was killed" || now.Exit != nil {
		t.Fatalf("after the monitor was killed: %s %q", now.Status, now.Lost)
	}
	if _, err := m.Remove(context.Background(), "orphan", false); err != nil {
		t.Fatal(err)
	}
	if dirs, _ := filepath.Glob("/sys/fs/cgroup/*/mydocker/" + c.ID); len(dirs) > 0 {
		t.Errorf("cgroup left: %v", dirs)
	}
}

// A monitor sent SIGTERM (a shutdown, a kill of the wrong pid) passes it
// on to the container's PID 1 and goes on: the container's own exit is
// recorded and its cgroup removed, as for any end.
func TestMonitorForwardsTerm(t *testing.T) {
	m := newManager(t)
	s := spec("sh", "-c", "trap 'exit 3' TERM; echo trapped; while :; do sleep 0.05; done")
	c := runDetached(t, m, "termed", s)
	waitLog(t, m, "termed", "trapped\n")
	if err := syscall.Kill(c.Monitor, syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	// Wait, as `mydocker wait` does, for the exit record: a container
	// whose PID 1 is gone is exited a moment before its monitor has
	// written how it ended.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	now, err := m.Wait(ctx, "termed")
	if err != nil {
		t.Fatal(err)
	}
	if now.Status != store.Exited || now.Lost != "" || now.Exit == nil || now.Exit.ExitCode != 3 {
		t.Fatalf("after SIGTERM to the monitor: %s %q %+v, want exited 3 by the container's own trap", now.Status, now.Lost, now.Exit)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if dirs, _ := filepath.Glob("/sys/fs/cgroup/*/mydocker/" + c.ID); len(dirs) == 0 {
			return
		}
	}
	t.Errorf("cgroup left after the container ended")
}
