package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/store"
)

// ErrRunning means rm was asked to remove a running container without -f.
var ErrRunning = errors.New("is running")

// recordGrace is how long a container's exit may take to be recorded
// after its PID 1 died (the monitor reaps it and removes its cgroup).
const recordGrace = 10 * time.Second

// finishGrace is how long rm waits for a detached container's monitor to
// finish its post-stop hooks (their own timeout is 10s by default).
const finishGrace = 15 * time.Second

// signal sends sig to c's PID 1 through a pidfd opened after checking its
// start time, so that a reused pid is never signalled.
func signal(c *store.Container, sig syscall.Signal) error {
	if !c.Running() {
		return fmt.Errorf("container %s %w", c.Name, core.ErrNotRunning)
	}
	err := core.SignalProcess(c.Pid, c.PidStart, sig)
	switch {
	case errors.Is(err, core.ErrNotRunning):
		return fmt.Errorf("container %s %w", c.Name, err)
	case err != nil:
		return fmt.Errorf("signal container %s: %w", c.Name, err)
	}
	return nil
}

// Kill sends sig to the container's PID 1.
func (m *Manager) Kill(ref string, sig syscall.Signal) (*store.Container, error) {
	c, err := m.Store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	return c, signal(c, sig)
}

// Stop sends SIGTERM, then SIGKILL after grace, and returns once the
// container's end is recorded. Stopping an ended container does nothing.
func (m *Manager) Stop(ctx context.Context, ref string, grace time.Duration) (*store.Container, error) {
	c, err := m.Store.Resolve(ref)
	if err != nil || !c.Running() {
		return c, err
	}
	if err := signal(c, syscall.SIGTERM); err != nil && !errors.Is(err, core.ErrNotRunning) {
		return c, err
	}
	if !m.waitDead(ctx, c, grace) {
		if err := signal(c, syscall.SIGKILL); err != nil && !errors.Is(err, core.ErrNotRunning) {
			return c, err
		}
	}
	return m.waitRecorded(ctx, c)
}

// waitDead waits up to d for c's PID 1 to die, and says if it did.
func (m *Manager) waitDead(ctx context.Context, c *store.Container, d time.Duration) bool {
	return waitGone(ctx, c.Pid, c.PidStart, d)
}

// waitGone waits up to d (no limit if negative) for the process pid that
// started at start to die, and says if it did.
func waitGone(ctx context.Context, pid int, start uint64, d time.Duration) bool {
	f, err := core.OpenProcess(pid, start)
	if err != nil {
		return true
	}
	defer f.Close()
	fd := int(f.Fd())
	deadline := time.Now().Add(d)
	for {
		left := time.Until(deadline)
		if d < 0 {
			left = time.Second // no limit: check ctx each second
		}
		if left <= 0 {
			return false
		}
		fds := []unix.PollFd{{Fd: int32(fd), Events: unix.POLLIN}}
		n, err := unix.Poll(fds, int(min(left, time.Second)/time.Millisecond)+1)
		if n > 0 {
			return true
		}
		if err != nil && err != unix.EINTR {
			return false
		}
		if ctx.Err() != nil {
			return false
		}
	}
}

// waitRecorded waits, after c's PID 1 died (or was killed), for its end
// to be recorded, and returns the container as recorded; a PID 1 still
// alive after recordGrace is an error.
func (m *Manager) waitRecorded(ctx context.Context, c *store.Container) (*store.Container, error) {
	deadline := time.Now().Add(recordGrace)
	for {
		now, err := m.Store.Get(c.ID)
		if err != nil {
			return c, nil // removed (--rm): nothing more to wait for
		}
		if now.Status == store.Exited && (now.Exit != nil || time.Now().After(deadline)) {
			return now, nil
		}
		if now.Status == store.Exited && now.Lost != "" && !now.Recorder() {
			return now, nil
		}
		if now.Status != store.Exited && time.Now().After(deadline) {
			// A PID 1 that cannot finish dying (a process of its pid
			// namespace that nobody reaps): say so, never hang.
			return now, fmt.Errorf("container %s %w: its PID 1 (%d) has not ended within %v", now.Name, ErrRunning, now.Pid, recordGrace)
		}
		select {
		case <-ctx.Done():
			return now, ctx.Err()
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// Wait blocks until the container has ended and returns it as recorded.
func (m *Manager) Wait(ctx context.Context, ref string) (*store.Container, error) {
	c, err := m.Store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	for c.Status == store.Created {
		select {
		case <-ctx.Done():
			return c, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
		if c, err = m.Store.Get(c.ID); err != nil {
			return nil, err
		}
	}
	if c.Running() && !m.waitDead(ctx, c, -1) {
		return c, ctx.Err()
	}
	return m.waitRecorded(ctx, c)
}

// Remove forgets a container. A running one needs force, and is killed;
// one whose monitor or mydocker was killed has its cgroup removed too.
func (m *Manager) Remove(ctx context.Context, ref string, force bool) (*store.Container, error) {
	c, err := m.Store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	if c.Status != store.Exited {
		if !force {
			return c, fmt.Errorf("container %s %w: stop it first, or use rm -f", c.Name, ErrRunning)
		}
		if c.Running() {
			_ = signal(c, syscall.SIGKILL)
			m.waitDead(ctx, c, recordGrace)
		}
		if c, err = m.waitRecorded(ctx, c); err != nil {
			return c, err
		}
	}
	if c.Monitor != 0 {
		// A detached container's monitor runs its post-stop hooks (a
		// network's teardown) from the record after the exit: let it.
		waitGone(ctx, c.Monitor, c.MonitorStart, finishGrace)
	}
	if c.Exit == nil && c.Broken == nil {
		_ = m.Runtime.RemoveCgroups(&c.Spec) // no one else will
	}
	return c, m.Store.Remove(c.ID)
}

// Exec runs e in the running container ref and returns its status.
func (m *Manager) Exec(ctx context.Context, ref string, e *core.ExecSpec, stdio core.Stdio) (int, error) {
	c, err := m.Store.Resolve(ref)
	if err != nil {
		return core.ExitRuntimeError, err
	}
	if !c.Running() {
		return core.ExitRuntimeError, fmt.Errorf("container %s %w", c.Name, core.ErrNotRunning)
	}
	t := core.Target{Spec: &c.Spec, Pid: c.Pid, StartTime: c.PidStart}
	if c.OCI != nil { // podman's, containerd's: the security of its bundle's process
		if t.OCI, err = core.ReadBundleConfig(c.OCI.Bundle); err != nil {
			return core.ExitRuntimeError, fmt.Errorf("container %s: %w", c.Name, err)
		}
	}
	return m.Runtime.Exec(ctx, t, e, stdio)
}
