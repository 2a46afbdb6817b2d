// Package lifecycle is what mydocker does with containers as objects that
// outlive a command: run (in the foreground or detached, -d), stop, kill,
// rm, wait, exec, logs, top. It joins core (which starts and enters
// containers) and store (which remembers them), so that every front end,
// the prompt, one-shot commands and later the OCI runtime command line,
// acts on containers the same way.
//
// Who records what:
//   - a foreground run: the mydocker that runs it records its start and its
//     exit; if that mydocker is killed, its guard kills the container and
//     the record reads "exited" with the reason;
//   - a detached run: the mydocker that starts it records its start; its
//     monitor (core/monitor.c) records its exit and then executes
//     `mydocker ... _finish ID`, which runs the post-stop hooks (loaded
//     again, from the flags the container was started with) and --rm.
//     Post-stop thus fires once per container, also after the prompt that
//     started it has exited; a monitor killed with SIGKILL takes its
//     container with it (parent-death signal) and fires nothing.
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/store"
)

// Manager acts on the containers of one store.
type Manager struct {
	Runtime *core.Runtime
	Store   *store.Store
	// Finish is the argument list (of this binary) a detached container's
	// monitor runs after it ended, with the container's id appended:
	// mydocker's global flags and the hidden `_finish` command.
	FinishArgs []string
	// Images is the image store runs from an image use; nil: none.
	Images *image.Store
	// NetworkPlugin, when set, provides the hooks of a plugin's network
	// (--network bridge) for a run when no plugins are loaded, and the
	// global flags that load it again for the run's _finish.
	NetworkPlugin func(name string) (core.Hooks, []string, error)
	// NetworkPrune removes what the bundled network plugin made, once no
	// container uses it (`network prune`).
	NetworkPrune func(out io.Writer) error
}

// RunOptions are run's flags about the container as an object, beside its
// spec.
type RunOptions struct {
	Name   string
	Detach bool // -d
	Remove bool // --rm: forget it when it ends
	// Image, when set, makes the first word of spec.Args an image, and
	// spec (not yet validated) is completed from it.
	Image *ImageRun
}

// Run runs spec as a new container. In the foreground it returns the
// command's status once it ends; detached (-d) it returns once the command
// runs, with status 0. The id is set once the container is recorded.
func (m *Manager) Run(ctx context.Context, spec *core.Spec, opts RunOptions, stdio core.Stdio) (status int, err error) {
	if os.Geteuid() != 0 {
		return core.ExitRuntimeError, core.ErrNotRoot
	}
	self, err := core.ProcStartTime(os.Getpid())
	if err != nil {
		return core.ExitRuntimeError, fmt.Errorf("read this process's start time: %w", err)
	}
	if err := m.resolveNetwork(spec); err != nil {
		return core.ExitRuntimeError, err
	}
	release := func() {}
	if opts.Image != nil {
		if release, err = m.useImage(ctx, spec, opts.Image); err != nil {
			return core.ExitCode(err), err
		}
	}
	rec := &store.Record{ID: spec.ID, Name: opts.Name, Spec: *spec, Created: time.Now().UTC(),
		Detached: opts.Detach, AutoRemove: opts.Remove, Owner: os.Getpid(), OwnerStart: self}
	mm, err := m.forNetwork(spec)
	if err != nil {
		release()
		return core.ExitRuntimeError, err
	}
	err = m.Store.Create(rec)
	release() // recorded: rmi and prune now see what it uses
	if err != nil {
		return core.ExitRuntimeError, err
	}
	m = mm
	if opts.Detach {
		return m.runDetached(ctx, rec, stdio)
	}
	return m.runForeground(ctx, rec, stdio)
}

func (m *Manager) runForeground(ctx context.Context, rec *store.Record, stdio core.Stdio) (int, error) {
	spec := rec.Spec
	var saveErr error
	stdio.OnStart = func(pid int) { saveErr = m.started(rec, pid) }
	status, err := m.Runtime.Run(ctx, &spec, stdio)
	exit := store.Exit{ExitCode: status, FinishedAt: time.Now().UTC(), OOMKilled: errors.Is(err, core.ErrMemoryLimit)}
	if rec.Pid == 0 && err != nil {
		exit.Error = err.Error()
	}
	if status > 128 && rec.Pid != 0 {
		exit.Signal = status - 128
	}
	if rec.AutoRemove {
		return status, errors.Join(err, m.Store.Remove(rec.ID))
	}
	return status, errors.Join(err, saveErr, m.Store.SaveExit(rec.ID, exit))
}

func (m *Manager) runDetached(ctx context.Context, rec *store.Record, stdio core.Stdio) (int, error) {
	d := core.Detached{Dir: m.Store.Dir(rec.ID)}
	if rec.AutoRemove || m.Runtime.Hooks != nil {
		d.Finish = append(append([]string(nil), m.FinishArgs...), rec.ID)
	}
	spec := rec.Spec
	st, err := m.Runtime.Start(ctx, &spec, d, stdio)
	if err != nil {
		if rec.AutoRemove {
			return core.ExitCode(err), errors.Join(err, m.Store.Remove(rec.ID))
		}
		exit := store.Exit{ExitCode: core.ExitCode(err), FinishedAt: time.Now().UTC(), Error: err.Error()}
		// The monitor's exit.json, if it wrote one, says the init died of
		// the kill; the reason is this error.
		os.Remove(filepath.Join(d.Dir, core.ExitFile))
		return core.ExitCode(err), errors.Join(err, m.Store.SaveExit(rec.ID, exit))
	}
	if mst, err := core.ProcStartTime(st.Monitor); err == nil {
		rec.Monitor, rec.MonitorStart = st.Monitor, mst
	}
	return 0, m.started(rec, st.Pid)
}

// forNetwork is m, or for a plugin's network, m with the hooks of the
// bundled plugin that provides it (NetworkPlugin) after the loaded ones.
func (m *Manager) forNetwork(spec *core.Spec) (*Manager, error) {
	if spec.Network.Mode != core.NetworkPlugin || m.NetworkPlugin == nil {
		return m, nil
	}
	hooks, flags, err := m.NetworkPlugin(spec.Network.Name)
	if err != nil {
		if m.Runtime.Hooks != nil {
			return m, nil // a loaded plugin may provide it
		}
		return nil, err
	}
	mm, rt := *m, *m.Runtime
	if rt.Hooks != nil {
		hooks = chainHooks{rt.Hooks, hooks}
	}
	rt.Hooks, mm.Runtime = hooks, &rt
	if len(m.FinishArgs) > 0 {
		mm.FinishArgs = append(append([]string{m.FinishArgs[0]}, flags...), m.FinishArgs[1:]...)
	}
	return &mm, nil
}

// chainHooks runs the loaded plugins' hooks, then the bundled network
// plugin's (post-stop in reverse).
type chainHooks [2]core.Hooks

func (c chainHooks) PreClone(ctx context.Context, spec *core.Spec) error {
	if err := c[0].PreClone(ctx, spec); err != nil {
		return err
	}
	return c[1].PreClone(ctx, spec)
}

func (c chainHooks) PostMount(ctx context.Context, st core.State) error {
	if err := c[0].PostMount(ctx, st); err != nil {
		return err
	}
	return c[1].PostMount(ctx, st)
}

// PostClone passes the early notice on to those that take it (the
// network plugin's setup begins there).
func (c chainHooks) PostClone(ctx context.Context, st core.State) {
	for _, h := range c {
		if pc, ok := h.(core.PostCloner); ok {
			pc.PostClone(ctx, st)
		}
	}
}

func (c chainHooks) PostStop(ctx context.Context, st core.StopState) {
	c[1].PostStop(ctx, st)
	c[0].PostStop(ctx, st)
}

// resolveNetwork finds the network namespace of --network container:NAME:
// that of NAME's PID 1, which must be running.
func (m *Manager) resolveNetwork(spec *core.Spec) error {
	n := &spec.Network
	ref, ok := strings.CutPrefix(n.Name, "container:")
	if n.Mode != core.NetworkJoin || !ok {
		return nil
	}
	c, err := m.Store.Resolve(ref)
	if err != nil {
		return fmt.Errorf("--network %s: %w", n.Name, err)
	}
	if !c.Running() {
		return fmt.Errorf("--network %s: container %s is not running", n.Name, ref)
	}
	n.Path = fmt.Sprintf("/proc/%d/ns/net", c.Pid)
	return nil
}

// started records that the container's command runs as pid.
func (m *Manager) started(rec *store.Record, pid int) error {
	st, err := core.ProcStartTime(pid)
	if err != nil {
		return nil // it has already ended: its exit is recorded next
	}
	rec.Pid, rec.PidStart, rec.Started = pid, st, time.Now().UTC()
	return m.Store.Save(rec)
}

// Finish is what a detached container's monitor runs after the container
// ended: the post-stop hooks, then --rm.
func (m *Manager) Finish(ctx context.Context, id string) error {
	c, err := m.Store.Get(id)
	if err != nil {
		return err
	}
	if c.Broken == nil { // a network of the bundled plugin's: its hooks too
		if mm, err := m.forNetwork(&c.Spec); err == nil {
			m = mm
		}
	}
	if m.Runtime.Hooks != nil && c.Broken == nil {
		st := core.StopState{ID: c.ID, Spec: c.Spec, Reason: "exited", AllOwed: true} // its start ran them
		if c.Exit != nil {
			st.Status, st.Signal, st.OOM = c.Exit.ExitCode, c.Exit.Signal, c.Exit.OOMKilled
			if st.Signal != 0 {
				st.Reason = "killed"
			}
		}
		m.Runtime.Hooks.PostStop(ctx, st)
	}
	if c.AutoRemove {
		return m.Store.Remove(id)
	}
	return nil
}
