package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/sys/unix"
)

// process is a started container, or an exec'd command: its init has
// executed the command.
type process struct {
	cmd *exec.Cmd // the init this binary started
	// proc is the command's process when it is not cmd's own: exec's init
	// forks it into the container's pid namespace (as this process's
	// child) and exits.
	proc    *os.Process
	console *console // nil without -t
}

// target is the command's process.
func (p *process) target() *os.Process {
	if p.proc != nil {
		return p.proc
	}
	return p.cmd.Process
}

// waitExit waits for the command, then for the init and its stdio copies.
func (p *process) waitExit() *os.ProcessState {
	if p.proc == nil {
		_ = p.cmd.Wait() // the status is read from ProcessState
		return p.cmd.ProcessState
	}
	st, err := p.proc.Wait()
	_ = p.cmd.Wait()
	if err != nil {
		return p.cmd.ProcessState
	}
	return st
}

// start clones the init, sends it its steps, serves its sync requests and
// returns once the command is executing. Any failure kills the init.
func (r *Runtime) start(ctx context.Context, c *container, stdio Stdio) (_ *process, retErr error) {
	spec := c.spec
	steps := bootSequence(bootPlan{spec: spec, c: c, sync: c.needsSync(r.Hooks)})
	cfg, err := encodeSteps(steps)
	if err != nil {
		return nil, err
	}
	sock, childEnd, err := newSyncPair()
	if err != nil {
		return nil, err
	}
	defer sock.Close()
	cmd := r.initCommand(childEnd, spec.cloneFlags())
	p := &process{cmd: cmd}
	if p.console, err = attach(cmd, spec, stdio, spec.OwnRoot()); err != nil {
		childEnd.Close()
		return nil, err
	}
	// Not early if the init must first wait for its cgroup, which is made
	// while the init is being executed (Start returns once it is), on the
	// other CPU if there is one.
	early, err := sock.sendConfigEarly(cfg, c.cgroup == nil)
	if err != nil {
		childEnd.Close()
		p.console.close()
		return nil, fmt.Errorf("send steps to container init: %w", err)
	}
	cgroupDone := make(chan error, 1)
	go func() { cgroupDone <- c.createCgroup() }()
	err = cmd.Start()
	childEnd.Close()
	cgroupErr := <-cgroupDone
	if err != nil {
		p.console.close()
		return nil, fmt.Errorf("start container init: %w", err)
	}
	defer func() {
		if retErr != nil {
			p.kill()
		}
	}()
	if cgroupErr != nil {
		return nil, cgroupErr
	}
	// Before the init may run anything of the user's: the container must
	// die with this process, even if its PID 1 clears its parent-death
	// signal (guard.go).
	if err := c.guard.attach(cmd.Process.Pid); err != nil {
		return nil, err
	}
	if spec.Debug {
		debugSteps(stdio.Err, cmd.Process.Pid, steps)
	}
	if !early {
		if err := sock.sendConfig(cfg); err != nil {
			return nil, fmt.Errorf("send steps to container init: %w", err)
		}
	}
	r.postClone(ctx, c, cmd.Process.Pid)
	h := initHandlers{}
	if p.console != nil {
		h.console = p.console.setMaster
	}
	if err := r.serveInit(ctx, sock, c, steps, cmd.Process.Pid, h); err != nil {
		return nil, err
	}
	p.console.started()
	return p, nil
}

// exe is the binary re-executed as the init and the guard.
func (r *Runtime) exe() string {
	if r.Exe == "" {
		return "/proc/self/exe"
	}
	return r.Exe
}

// initCommand is the re-execution of this binary as the container's init,
// in new namespaces (CLONE_NEW* flags).
func (r *Runtime) initCommand(childEnd *os.File, flags uintptr) *exec.Cmd {
	return &exec.Cmd{
		Path:       r.exe(),
		Args:       []string{"mydocker", "init"},
		Env:        []string{initFdEnv + "=3"},
		ExtraFiles: []*os.File{childEnd},
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: flags,
			// The container must not outlive mydocker, however it ends.
			Pdeathsig: syscall.SIGKILL,
		},
		// Do not let a stdin reader that never returns hold up Wait.
		WaitDelay: 50 * time.Millisecond,
	}
}

// initHandlers take what the init sends besides its progress.
type initHandlers struct {
	console func(*os.File) error // the pty master of its console step
	forked  func(pid int) error  // the process its fork step made (exec)
}

// serveInit answers the init (pid) until its command executes (EOF on the
// socket) or it reports a failed step.
func (r *Runtime) serveInit(ctx context.Context, sock *syncSocket, c *container, steps []step, pid int, h initHandlers) error {
	for {
		m, file, err := sock.recv()
		if errors.Is(err, errEOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read from container init: %w", err)
		}
		switch {
		case m.Type == msgConsole && file != nil && h.console != nil:
			if err := h.console(file); err != nil {
				return err
			}
		case m.Type == msgPid && file == nil && h.forked != nil && m.Arg > 0:
			if err := h.forked(int(m.Arg)); err != nil {
				return err
			}
		case m.Type == msgError && int(m.Arg) < len(steps):
			return stepError(steps[m.Arg], m.Errno)
		case m.Type == msgReady && int(m.Arg) < len(steps) && steps[m.Arg].op == opSync:
			if err := r.atSyncPoint(ctx, c, pid); err != nil {
				return err
			}
			if err := sock.send(syncMsg{Type: msgContinue, Arg: m.Arg}); err != nil {
				// An init that went on during the hooks (syncLater) may
				// have failed a step and exited: its error says why.
				if m, _, rerr := sock.recv(); rerr == nil && m.Type == msgError && int(m.Arg) < len(steps) {
					return stepError(steps[m.Arg], m.Errno)
				}
				return fmt.Errorf("release container init: %w", err)
			}
		default:
			if file != nil {
				file.Close()
			}
			return fmt.Errorf("unexpected message %d (arg %d) from container init", m.Type, m.Arg)
		}
	}
}

// postClone tells hooks that want it (PostCloner) of the init that will
// stop at the sync point, while it still boots.
func (r *Runtime) postClone(ctx context.Context, c *container, pid int) {
	if pc, ok := r.Hooks.(PostCloner); ok && c.needsSync(r.Hooks) {
		pc.PostClone(ctx, c.state(pid))
	}
}

// atSyncPoint runs while the init waits after its mounts: post-mount hooks
// see the finished mounts.
func (r *Runtime) atSyncPoint(ctx context.Context, c *container, pid int) error {
	if r.Hooks != nil {
		return r.Hooks.PostMount(ctx, c.state(pid))
	}
	return nil
}

// stepError names the failed step and classifies exec failures the way a
// shell does: not found is 127, found but not executable is 126.
func stepError(s step, errno syscall.Errno) error {
	if s.op&0xff != opExec {
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

// kill ends a container (or exec) that failed to start and reaps it.
func (p *process) kill() {
	if p.proc != nil {
		_ = p.proc.Kill()
		_, _ = p.proc.Wait()
	}
	_ = p.cmd.Process.Kill()
	_ = p.cmd.Wait()
	p.console.close()
}

// hangupGrace is how long a container may take to end after SIGTERM when
// its caller's terminal went away, before it is killed.
const hangupGrace = 500 * time.Millisecond

// interruptWindow and interruptsToKill: the keyboard's way out of a
// container that ignores ^C (a PID 1 without a handler does): the third ^C
// within the window kills it.
const (
	interruptWindow  = 2 * time.Second
	interruptsToKill = 3
)

// waitEnd is how a container's run ended, besides its status.
type waitEnd struct {
	status      int
	signal      int  // the signal that killed the command, or 0
	hungUp      bool // the caller's terminal went away
	interrupted bool // killed after repeated ^C
}

// wait forwards signals until the container's PID 1 exits and returns its
// status. The pid namespace dies with PID 1, so nothing of it remains.
// A SIGHUP, or the -t terminal going away, ends the container: SIGTERM,
// then SIGKILL after hangupGrace. The third ^C within interruptWindow
// (SIGINT here, or the byte through -t's relay) kills it.
func (p *process) wait(ctx context.Context, signals <-chan os.Signal) waitEnd {
	done := make(chan struct{})
	var state *os.ProcessState
	go func() {
		state = p.waitExit()
		close(done)
	}()
	proc := p.target()
	var end waitEnd
	var interrupts []time.Time
	var grace <-chan time.Time
	interrupt := func() {
		if catchesSIGINT(p.interruptTarget()) {
			return // it handles ^C itself (a shell): not ours to count
		}
		now := time.Now()
		interrupts = append(interrupts, now)
		for len(interrupts) > 0 && now.Sub(interrupts[0]) > interruptWindow {
			interrupts = interrupts[1:]
		}
		if len(interrupts) >= interruptsToKill {
			end.interrupted = true
			_ = proc.Kill()
		}
	}
	hangup := func() {
		if end.hungUp {
			return
		}
		end.hungUp = true
		_ = proc.Signal(syscall.SIGTERM)
		grace = time.After(hangupGrace)
	}
	for waiting := true; waiting; {
		select {
		case <-done:
			waiting = false
		case sig := <-signals:
			switch sig {
			case syscall.SIGHUP:
				hangup()
				continue
			case syscall.SIGINT:
				interrupt()
			}
			p.forward(sig)
		case <-p.console.interrupts():
			interrupt()
		case <-p.console.hangup():
			hangup()
		case <-grace:
			_ = proc.Kill()
		case <-ctx.Done():
			_ = proc.Kill()
			ctx = context.Background()
		}
	}
	p.console.close()
	end.status = exitStatus(state)
	if ws, ok := state.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		end.signal = int(ws.Signal())
	}
	return end
}

// interruptTarget is the process a ^C is for: the foreground process
// group of -t's terminal, or else the container's PID 1.
func (p *process) interruptTarget() int {
	if p.console != nil && p.console.ptmx != nil {
		if pgrp, err := unix.IoctlGetInt(int(p.console.ptmx.Fd()), unix.TIOCGPGRP); err == nil && pgrp > 0 {
			return pgrp
		}
	}
	return p.target().Pid
}

// catchesSIGINT reports whether pid has a handler for SIGINT (SigCgt in
// /proc/PID/status). One without ignores it (as PID 1) or dies of it.
func catchesSIGINT(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return false
	}
	for _, line := range strings.Split(string(b), "\n") {
		if mask, ok := strings.CutPrefix(line, "SigCgt:"); ok {
			m, err := strconv.ParseUint(strings.TrimSpace(mask), 16, 64)
			return err == nil && m&(1<<(uint(syscall.SIGINT)-1)) != 0
		}
	}
	return false
}

// forward passes a signal to the container. The terminal's own signals
// (^C, ^\) go to the process group of its PID 1, as a terminal sends them
// to its foreground job: the container is in a session of its own, so the
// terminal cannot. Others, like kill(1)'s, go to PID 1 only.
func (p *process) forward(sig os.Signal) {
	pid := p.target().Pid
	if s, ok := sig.(syscall.Signal); ok && (s == syscall.SIGINT || s == syscall.SIGQUIT) && p.console == nil {
		if unix.Kill(-pid, s) == nil {
			return
		}
	}
	_ = p.target().Signal(sig)
}

// exitStatus is the shell's view of a wait status.
func exitStatus(ps *os.ProcessState) int {
	ws, ok := ps.Sys().(syscall.WaitStatus)
	if ok && ws.Signaled() {
		return 128 + int(ws.Signal())
	}
	return ps.ExitCode()
}
