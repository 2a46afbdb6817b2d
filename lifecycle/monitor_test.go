package lifecycle

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/mydocker/mydocker/store"
)

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
