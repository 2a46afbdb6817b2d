package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

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
}

// State is what post-mount hooks see of a starting container.
type State struct {
	ID   string
	Pid  int // the init's pid in the caller's pid namespace
	Spec Spec
}

// Stdio is how a container is attached to its caller.
type Stdio struct {
	In       io.Reader // used with Spec.Interactive; a terminal *os.File for Spec.TTY
	Out, Err io.Writer
	// Signals received here while the container runs are forwarded to its
	// PID 1 (without -t, SIGINT and SIGTERM of a one-shot run, for example).
	Signals <-chan os.Signal
	// Terminal, if set, is the caller's controlling terminal. Without -t,
	// the container is made its foreground process group while it runs
	// (when the caller holds it), as a shell does for a foreground job.
	Terminal *os.File
}

// Runtime starts containers. Its zero value is ready to use.
type Runtime struct {
	Hooks Hooks
	// Exe is the binary re-executed as the init; default /proc/self/exe.
	Exe string
}

// cloneFlags are the namespaces every container gets.
const cloneFlags = unix.CLONE_NEWUTS | unix.CLONE_NEWPID | unix.CLONE_NEWNS | unix.CLONE_NEWNET | unix.CLONE_NEWIPC

// Run starts the container described by spec, waits for it, and returns its
// exit status: the command's own, or 128+N if it died of signal N. On error
// the status is ExitCode(err) and nothing of the container is left. If ctx
// ends first, the container is killed.
func (r *Runtime) Run(ctx context.Context, spec *Spec, stdio Stdio) (int, error) {
	if err := r.preClone(ctx, spec); err != nil {
		return ExitCode(err), err
	}
	p, err := r.start(ctx, spec, stdio)
	if err != nil {
		return ExitCode(err), err
	}
	return p.wait(ctx, stdio.Signals), nil
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
	return spec.Validate()
}

// process is a started container: its init has executed the command.
type process struct {
	cmd     *exec.Cmd
	console *console    // nil without -t
	fg      *foreground // nil unless the caller's terminal was handed over
}

// start clones the init, sends it its steps, serves its sync requests and
// returns once the command is executing. Any failure kills the init.
func (r *Runtime) start(ctx context.Context, spec *Spec, stdio Stdio) (_ *process, retErr error) {
	steps := bootSequence(spec, r.Hooks != nil)
	cfg, err := encodeSteps(steps)
	if err != nil {
		return nil, err
	}
	sock, childEnd, err := newSyncPair()
	if err != nil {
		return nil, err
	}
	defer sock.Close()
	cmd := r.initCommand(childEnd)
	p := &process{cmd: cmd}
	if p.console, err = attach(cmd, spec, stdio); err != nil {
		childEnd.Close()
		return nil, err
	}
	if !spec.TTY {
		p.fg = handTerminal(cmd, stdio.Terminal)
	}
	// A small step list is queued before the clone, so the init finds it
	// waiting instead of waiting for this process to be scheduled again.
	early := len(cfg) <= chunkSize
	if early {
		if err := sock.sendConfig(cfg); err != nil {
			childEnd.Close()
			p.console.close()
			return nil, fmt.Errorf("send steps to container init: %w", err)
		}
	}
	err = cmd.Start()
	childEnd.Close()
	if err != nil {
		p.console.close()
		p.fg.reclaim()
		return nil, fmt.Errorf("start container init: %w", err)
	}
	defer func() {
		if retErr != nil {
			p.kill()
		}
	}()
	if spec.Debug {
		debugSteps(stdio.Err, cmd.Process.Pid, steps)
	}
	if !early {
		if err := sock.sendConfig(cfg); err != nil {
			return nil, fmt.Errorf("send steps to container init: %w", err)
		}
	}
	if err := r.serveInit(ctx, sock, spec, steps, cmd.Process.Pid); err != nil {
		return nil, err
	}
	p.console.started()
	return p, nil
}

// initCommand is the re-execution of this binary as the container's init.
func (r *Runtime) initCommand(childEnd *os.File) *exec.Cmd {
	exe := r.Exe
	if exe == "" {
		exe = "/proc/self/exe"
	}
	return &exec.Cmd{
		Path:       exe,
		Args:       []string{"mydocker", "init"},
		Env:        []string{initFdEnv + "=3"},
		ExtraFiles: []*os.File{childEnd},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: cloneFlags,
			// The container must not outlive mydocker, however it ends.
			Pdeathsig: syscall.SIGKILL,
		},
		// Do not let a stdin reader that never returns hold up Wait.
		WaitDelay: 50 * time.Millisecond,
	}
}

// serveInit answers the init until its command executes (EOF on the
// socket) or it reports a failed step.
func (r *Runtime) serveInit(ctx context.Context, sock *syncSocket, spec *Spec, steps []step, pid int) error {
	for {
		m, err := sock.recv()
		if errors.Is(err, errEOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read from container init: %w", err)
		}
		switch {
		case m.Type == msgError && int(m.Arg) < len(steps):
			return stepError(steps[m.Arg], m.Errno)
		case m.Type == msgReady && int(m.Arg) < len(steps) && steps[m.Arg].op == opSync:
			if err := r.Hooks.PostMount(ctx, State{ID: spec.ID, Pid: pid, Spec: *spec}); err != nil {
				return err
			}
			if err := sock.send(syncMsg{Type: msgContinue, Arg: m.Arg}); err != nil {
				return fmt.Errorf("release container init: %w", err)
			}
		default:
			return fmt.Errorf("unexpected message %d (arg %d) from container init", m.Type, m.Arg)
		}
	}
}

// stepError names the failed step and classifies exec failures the way a
// shell does: not found is 127, found but not executable is 126.
func stepError(s step, errno syscall.Errno) error {
	if s.op != opExec {
		return &InitError{Step: "container init: " + s.what, Err: errno}
	}
	switch cmd := s.str[0]; {
	case errno == unix.ENOENT && s.str[1] != "" && !strings.Contains(cmd, "/"):
		return &InitError{Step: s.what, Err: &kindError{errors.New("executable file not found in $PATH"), ErrCommandNotFound}}
	case errno == unix.ENOENT || errno == unix.ENOTDIR:
		return &InitError{Step: s.what, Err: &kindError{errno, ErrCommandNotFound}}
	default:
		return &InitError{Step: s.what, Err: &kindError{errno, ErrCommandNotExecutable}}
	}
}

// kill ends a container that failed to start and reaps it.
func (p *process) kill() {
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.console.close()
	p.fg.reclaim()
}

// wait forwards signals until the container's PID 1 exits and returns its
// status. The pid namespace dies with PID 1, so nothing of it remains.
func (p *process) wait(ctx context.Context, signals <-chan os.Signal) int {
	done := make(chan struct{})
	go func() {
		_ = p.cmd.Wait() // the status is read from ProcessState below
		close(done)
	}()
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case sig := <-signals:
			_ = p.cmd.Process.Signal(sig)
		case <-ctx.Done():
			_ = p.cmd.Process.Kill()
			ctx = context.Background()
		}
	}
	p.console.close()
	p.fg.reclaim()
	return exitStatus(p.cmd.ProcessState)
}

// exitStatus is the shell's view of a wait status.
func exitStatus(ps *os.ProcessState) int {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
