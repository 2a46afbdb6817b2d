package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// Hooks are called around a container start. core calls them; the plugin
// host (package plugins) implements them. Either may be nil in Runtime.
type Hooks interface {
	// PreClone runs before the init child exists and may edit the spec;
	// an error vetoes the run.
	PreClone(ctx context.Context, spec *Spec) error
	// PostMount runs while the init is parked after its mounts, before
	// the command is executed; an error aborts the run.
	PostMount(ctx context.Context, state State) error
	// PostStop runs once for every run whose PreClone was called, after
	// the container ended or its start failed, and after its clean-up. It
	// reports its own errors (it may run after Run returned).
	PostStop(ctx context.Context, state StopState)
}

// PostCloner is an optional part of Hooks: PostClone is told of the init
// as soon as it exists in its namespaces, before its mounts. Work that
// needs only those namespaces (a network's setup) may begin there and
// overlap the boot, which takes a few milliseconds, instead of adding to
// it at the sync point. PostClone must return at once: PostMount, at the
// sync point, waits for that work and reports its errors, and PostStop
// is still owed if the start fails in between.
type PostCloner interface {
	PostClone(ctx context.Context, state State)
}

// StopState is a run that ended, as post-stop hooks see it.
type StopState struct {
	ID     string
	Spec   Spec
	Status int  // the exit status Run returned
	Signal int  // the signal that killed the command, or 0
	OOM    bool // killed at its memory limit
	// Reason is "exited", "killed", "vetoed" (PreClone refused) or
	// "failed" (a start step or PostMount); Detail is the error then.
	Reason, Detail string
	// AllOwed says every plugin is owed this post-stop although no
	// pre-clone call reached the hooks in this process: the run's pre-clone
	// ran in another (a detached container's end, `mydocker _finish`; an
	// OCI delete), or its caller knew there was nothing for it to do (the
	// bridge network's). Otherwise only the plugins whose pre-clone ran
	// for this run are owed one.
	AllOwed bool
}

// State is what post-mount hooks see of a starting container.
type State struct {
	ID   string
	Pid  int // the init's pid in the caller's pid namespace
	Spec Spec
	// Rootfs is the container's root as seen from the host, writable,
	// with --rootfs: /proc/<Pid>/root (post-mount hooks run once the init
	// has pivoted into it; it is mounted in the container's mount
	// namespace only); "" without.
	Rootfs string
	// Namespaces maps each namespace type ("net", "mnt", ...) to its
	// path, /proc/<Pid>/ns/<type>; Cgroups are its cgroup directories.
	Namespaces map[string]string
	Cgroups    []string
}

// Stdio is how a container is attached to its caller.
type Stdio struct {
	In       io.Reader // used with Spec.Interactive; a terminal *os.File for Spec.TTY
	Out, Err io.Writer
	// Signals received here while the container runs are forwarded to its
	// PID 1. Without -t the container is in a session of its own, with no
	// controlling terminal (so it cannot push input into the caller's
	// terminal): the terminal's ^C and ^\ reach the caller, which forwards
	// them through here.
	Signals <-chan os.Signal
	// OnStart, if set, is told the pid of the container's PID 1 once its
	// command runs (to record it: package store).
	OnStart func(pid int)
}

// Runtime starts containers. Its zero value is ready to use.
type Runtime struct {
	Hooks Hooks
	// Exe is the binary re-executed as the init; default /proc/self/exe.
	Exe string
	// CacheDir, if set, keeps compiled seccomp programs across processes
	// (see seccomp.go); mydocker uses /run/mydocker/cache.
	CacheDir string
}

// cloneFlags are the namespaces every container gets.
const cloneFlags = unix.CLONE_NEWUTS | unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWNET | unix.CLONE_NEWIPC

// Run starts the container described by spec, waits for it, and returns its
// exit status: the command's own, or 128+N if it died of signal N. On error
// the status is ExitCode(err) and nothing of the container is left. If ctx
// ends first, the container is killed.
//
// A status of 137 may come with ErrMemoryLimit: the container was killed
// because it reached its memory limit; or ErrInterrupted: killed after the
// third ^C. ErrHangup means the caller's terminal went away and the
// container was stopped: the caller should end too. A failure to clean up after the
// container comes as an error with its status.
func (r *Runtime) Run(ctx context.Context, spec *Spec, stdio Stdio) (status int, retErr error) {
	if os.Geteuid() != 0 {
		return ExitRuntimeError, ErrNotRoot
	}
	// Until the command runs, a signal (^C) cancels the hooks at once.
	hookCtx, watch := watchSignals(ctx, stdio.Signals)
	defer watch.stop()
	stage, signal := "vetoed", 0
	if r.Hooks != nil {
		// After everything else, clean-up included: post-stop hooks.
		defer func() {
			r.Hooks.PostStop(context.WithoutCancel(ctx), stopState(spec, stage, status, signal, retErr))
		}()
	}
	if err := r.preClone(hookCtx, spec); err != nil {
		status, err := watch.status(ExitCode(err), err)
		if errors.Is(err, ErrCancelled) {
			stage = "failed" // ^C, not a hook's refusal
		}
		return status, err
	}
	stage = "failed"
	c, err := r.create(spec, true)
	if err != nil {
		return ExitCode(err), err
	}
	defer func() {
		if err := c.destroy(); err != nil && retErr == nil {
			retErr = err
		}
	}()
	p, err := r.start(hookCtx, c, stdio)
	if err != nil {
		return watch.status(ExitCode(err), err)
	}
	if sig := watch.stop(); sig != 0 { // it came as the command started
		p.forward(sig)
	}
	if stdio.OnStart != nil {
		stdio.OnStart(p.target().Pid)
	}
	stage = "ran"
	end := p.wait(ctx, stdio.Signals)
	signal = end.signal
	switch {
	case end.hungUp:
		return end.status, ErrHangup
	case end.interrupted:
		return end.status, ErrInterrupted
	case end.status == 128+9 && c.cgroup != nil && c.cgroup.oomKilled():
		return end.status, fmt.Errorf("%w (-m %s)", ErrMemoryLimit, formatSize(spec.Limits.Memory))
	}
	return end.status, nil
}

// stopState describes a finished run to post-stop hooks.
func stopState(spec *Spec, stage string, status, signal int, err error) StopState {
	st := StopState{ID: spec.ID, Spec: *spec, Status: status, Reason: stage, OOM: errors.Is(err, ErrMemoryLimit)}
	switch {
	case stage != "ran":
		if err != nil {
			st.Detail = err.Error()
		}
	case signal != 0:
		st.Reason, st.Signal = "killed", signal
	default:
		st.Reason = "exited"
	}
	return st
}

// signalWatch cancels the hooks of a starting container when a signal
// comes, and remembers which.
type signalWatch struct {
	cancel context.CancelFunc
	done   chan struct{}
	ended  chan struct{}
	sig    syscall.Signal
}

func watchSignals(ctx context.Context, signals <-chan os.Signal) (context.Context, *signalWatch) {
	hookCtx, cancel := context.WithCancel(ctx)
	w := &signalWatch{cancel: cancel, done: make(chan struct{}), ended: make(chan struct{})}
	go func() {
		defer close(w.ended)
		select {
		case s := <-signals:
			if sig, ok := s.(syscall.Signal); ok {
				w.sig = sig
			}
			cancel()
		case <-w.done:
		}
	}()
	return hookCtx, w
}

// stop ends the watch and returns the signal it saw, or 0. Safe to call
// more than once.
func (w *signalWatch) stop() syscall.Signal {
	select {
	case <-w.done:
	default:
		close(w.done)
	}
	<-w.ended
	w.cancel()
	return w.sig
}

// status is a failed start's status: 128+N and ErrInterrupted-like
// wording when a signal cancelled it, else the failure's own.
func (w *signalWatch) status(status int, err error) (int, error) {
	if sig := w.stop(); sig != 0 {
		return 128 + int(sig), fmt.Errorf("%w: the start was cancelled by %v", ErrCancelled, sig)
	}
	return status, err
}

func (r *Runtime) preClone(ctx context.Context, spec *Spec) error {
	if r.Hooks != nil {
		hostname := spec.Hostname
		if err := r.Hooks.PreClone(ctx, spec); err != nil {
			return err
		}
		// HOSTNAME follows a hook's new hostname unless it was set apart.
		if spec.Hostname != hostname && envValue(spec.Env, "HOSTNAME") == hostname {
			spec.Env = SetEnv(spec.Env, "HOSTNAME="+spec.Hostname)
		}
	}
	if err := spec.Validate(); err != nil {
		return err
	}
	if n := spec.Network; n.Mode == NetworkJoin && n.Path == "" {
		return invalidf("--network %s: the container's network namespace is unknown", n.Name)
	}
	if n := spec.Network; n.Mode == NetworkPlugin && r.Hooks == nil {
		return invalidf("--network %s: no plugin is loaded to provide it (load a network plugin with --plugin)", n.Name)
	}
	return nil
}
