package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// CreateOptions are an OCI `create`: the container's id, its bundle and
// config, the start fifo the caller made (mkfifo) for the init to park on,
// and where its terminal goes.
type CreateOptions struct {
	ID, Bundle string
	Config     *specs.Spec
	Fifo       string
	// ConsoleSocket is the AF_UNIX socket the pty master is sent to with
	// SCM_RIGHTS when process.terminal is set (conmon's, the shim's).
	ConsoleSocket string
	// Stdio is the init's stdin, stdout and stderr: the caller's (nil:
	// /dev/null).
	Stdio [3]*os.File
	// Debug, if set, gets the step list (--debug).
	Debug io.Writer
	// BeforePivot, if set, runs while the init waits with its namespaces
	// and mounts made, before pivot_root: the runtime-spec's prestart and
	// createRuntime hooks. An error fails the create.
	BeforePivot func(pid int) error
}

// Create makes an OCI container and returns its init's pid once the init
// has done everything but the command: namespaces, cgroup, mounts, root.
// The init then waits on the start fifo (StartCreated). It is this
// process's child without a parent-death signal: when `mydocker create`
// exits, the caller (conmon, the containerd shim: child subreapers) adopts
// and reaps it, as with runc.
func (r *Runtime) Create(ctx context.Context, o CreateOptions) (pid int, retErr error) {
	if os.Geteuid() != 0 {
		return 0, ErrNotRoot
	}
	p, err := r.planOCI(o.ID, o.Bundle, o.Fifo, o.Config)
	if err != nil {
		return 0, err
	}
	p.hookSync = o.BeforePivot != nil
	var extra []*os.File
	if p.userns {
		fifo, err := startFifo(o.Fifo, o.Config)
		if err != nil {
			return 0, err
		}
		defer fifo.Close()
		extra, p.fifo = append(extra, fifo), "/proc/self/fd/"+strconv.Itoa(userFifoFd)
	}
	steps, err := ociSequence(p)
	if err != nil {
		return 0, err
	}
	sources, err := openBindSources(p.bindSources)
	if err != nil {
		return 0, err
	}
	defer func() {
		for _, f := range sources {
			f.Close()
		}
	}()
	extra = append(extra, sources...)
	cfg, err := encodeSteps(steps)
	if err != nil {
		return 0, err
	}
	console, err := dialConsole(o.Config.Process.Terminal, o.ConsoleSocket)
	if err != nil {
		return 0, err
	}
	defer console.Close()
	sock, childEnd, err := newSyncPair()
	if err != nil {
		return 0, err
	}
	defer sock.Close()
	cmd := r.ociInitCommand(o.Stdio, p.cloneFlags, append([]*os.File{childEnd}, extra...)...)
	if p.userns {
		idMappings(cmd.SysProcAttr, o.Config)
	}
	// The cgroup is made on another thread while the init is cloned and
	// executes mydocker (Start returns once it has), on the other CPU if
	// there is one, as Runtime.start does: the steps, whose first joins
	// it, go once both are done. (2 ms of a bundle's `run`, measured:
	// runc's ratio 2.85x -> 3.08x.)
	cgroupDone := make(chan error, 1)
	go func() { cgroupDone <- p.c.cgroup.create() }()
	err = cmd.Start()
	childEnd.Close()
	cgroupErr := <-cgroupDone
	if cgroupErr == nil { // (a failed create removed what it made)
		defer func() {
			if retErr != nil {
				_ = p.c.cgroup.remove()
			}
		}()
	}
	if err != nil {
		return 0, fmt.Errorf("start container init: %w", err)
	}
	if o.Debug != nil {
		debugSteps(o.Debug, cmd.Process.Pid, steps)
	}
	initPid := cmd.Process.Pid
	defer func() { // before the cgroup's removal: it empties the cgroup
		if retErr != nil {
			_ = unix.Kill(initPid, unix.SIGKILL)
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
	if cgroupErr != nil {
		return 0, cgroupErr
	}
	if p.userns { // before the steps: it waits for them (userns.go)
		if err := joinCgroups(initPid, p.c.procsFiles()); err != nil {
			return 0, err
		}
	}
	if err := sock.sendConfig(cfg); err != nil {
		return 0, fmt.Errorf("send steps to container init: %w", err)
	}
	for {
		m, file, err := sock.recv()
		switch {
		case errors.Is(err, errEOF):
			return 0, fmt.Errorf("container init exited before the container was created")
		case err != nil:
			return 0, fmt.Errorf("read from container init: %w", err)
		case m.Type == msgConsole && file != nil && console.conn != nil:
			if err := console.send(file); err != nil {
				return 0, err
			}
		case m.Type == msgPid && file == nil && m.Arg > 0:
			// The init forked into a joined pid namespace: the child is the
			// container's process from here on, and also this process's.
			initPid = int(m.Arg)
		case m.Type == msgError && int(m.Arg) < len(steps):
			return 0, stepError(steps[m.Arg], m.Errno)
		case m.Type == msgReady && int(m.Arg) < len(steps) && steps[m.Arg].op == opSync:
			created := steps[m.Arg].what == createdWhat
			if !created {
				if err := o.BeforePivot(initPid); err != nil {
					return 0, err
				}
			}
			if err := sock.send(syncMsg{Type: msgContinue, Arg: m.Arg}); err != nil {
				return 0, fmt.Errorf("release container init: %w", err)
			}
			if created {
				if initPid != cmd.Process.Pid {
					_ = cmd.Wait() // it exited after forking
				}
				return initPid, nil
			}
		default:
			if file != nil {
				file.Close()
			}
			return 0, fmt.Errorf("unexpected message %d (arg %d) from container init", m.Type, m.Arg)
		}
	}
}

// ociInitCommand is the init of an OCI create or exec: the caller's stdio
// (nil: /dev/null), no parent-death signal (it outlives `mydocker create`,
// adopted by the caller's subreaper), files from fd 3 on.
func (r *Runtime) ociInitCommand(stdio [3]*os.File, cloneFlags uintptr, files ...*os.File) *exec.Cmd {
	cmd := &exec.Cmd{Path: r.exe(), Args: []string{"mydocker", "init"}, Env: []string{initFdEnv + "=3"},
		ExtraFiles: files, SysProcAttr: &syscall.SysProcAttr{Cloneflags: cloneFlags}}
	if stdio[0] != nil {
		cmd.Stdin = stdio[0]
	}
	if stdio[1] != nil {
		cmd.Stdout = stdio[1]
	}
	if stdio[2] != nil {
		cmd.Stderr = stdio[2]
	}
	return cmd
}

// StartCreated lets a created container's init go on to its command
// (`start`): it opens the start fifo, which releases the init parked on
// it, reads its byte and removes the fifo. alive says whether the init is
// still there, so that a dead one is not waited for.
func StartCreated(fifo string, alive func() bool) error {
	f, err := os.OpenFile(fifo, os.O_RDONLY|unix.O_NONBLOCK|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open the start fifo: %w", err)
	}
	defer f.Close()
	fds := []unix.PollFd{{Fd: int32(f.Fd()), Events: unix.POLLIN}}
	for {
		n, err := unix.Poll(fds, 100)
		if err != nil && err != unix.EINTR {
			return fmt.Errorf("wait for the container init: %w", err)
		}
		if n > 0 && fds[0].Revents&unix.POLLIN != 0 {
			break
		}
		if !alive() {
			return fmt.Errorf("the container's init has exited")
		}
		time.Sleep(time.Millisecond)
	}
	var b [1]byte
	if _, err := f.Read(b[:]); err != nil {
		return fmt.Errorf("read the start fifo: %w", err)
	}
	return os.Remove(fifo)
}

// ExecOCIOptions are an OCI `exec`: a process to run in the running
// container (Pid, PidStart) made from Config.
type ExecOCIOptions struct {
	ID            string
	Config        *specs.Spec // the container's: its cgroup and seccomp
	Process       *specs.Process
	Pid           int
	PidStart      uint64
	ConsoleSocket string
	Stdio         [3]*os.File
	Debug         io.Writer
}

// ExecOCI starts Process in the container and returns its pid once it
// runs: the init path of Exec (execSequence), with the process's own
// user, capabilities and rlimits and the container's seccomp profile. The
// process is this process's child; the caller waits for it or, detached,
// leaves it to its subreaper (conmon).
func (r *Runtime) ExecOCI(o ExecOCIOptions) (*os.Process, error) {
	if o.Process == nil || len(o.Process.Args) == 0 {
		return nil, invalidf("process.args is empty")
	}
	cfg := *o.Config
	cfg.Process = o.Process
	p, err := r.planOCI(o.ID, "", "", &cfg)
	if err != nil {
		return nil, err
	}
	pidfd, err := openTarget(Target{Spec: &Spec{ID: o.ID}, Pid: o.Pid, StartTime: o.PidStart})
	if err != nil {
		return nil, err
	}
	defer pidfd.Close()
	// No parent-death signal: a detached exec outlives `mydocker exec`,
	// reaped by the caller's subreaper (conmon, the shim).
	namespaces, err := execNamespaces(o.Pid)
	if err != nil {
		return nil, err
	}
	steps := ociExecSteps(p, o.Process, namespaces, false)
	return r.startOCIExec(o, steps, pidfd)
}

// ociExecSteps are an exec's steps into an OCI container (planned as p,
// entering namespaces: execNamespaces) running proc: the init path of
// Exec (execSequence) with the process's own user, capabilities and
// rlimits and the container's seccomp profile. pdeathsig ties the process
// to the caller's life.
func ociExecSteps(p *ociPlan, proc *specs.Process, namespaces uintptr, pdeathsig bool) []step {
	steps := []step{{op: opDumpable, flags: 0, what: "make the process undumpable"}}
	for _, f := range p.c.procsFiles() {
		steps = append(steps, step{op: opJoinCgroup, str: []string{f}, what: "join cgroup " + f})
	}
	fork := step{op: opFork, what: "fork into the container's pid namespace"}
	if pdeathsig {
		fork.flags = 1
	}
	steps = append(steps,
		step{op: opSetns, flags: uint64(namespaces), str: []string{strconv.Itoa(execPidfd)}, what: "enter the container's namespaces"},
		fork)
	if proc.Terminal {
		steps = append(steps, consoleStep("/"))
	}
	cwd := proc.Cwd
	if cwd == "" {
		cwd = "/"
	}
	steps = append(steps, chdirStep(cwd))
	for _, rl := range proc.Rlimits {
		if res, ok := rlimits[rl.Type]; ok {
			steps = append(steps, step{op: opRlimit, flags: uint64(res), str: []string{rlimitValue(rl.Soft), rlimitValue(rl.Hard)}, what: "set " + rl.Type})
		}
	}
	steps = append(steps, ociSecuritySteps(p)...)
	return append(steps, execStep(proc.Args, proc.Env))
}

// startOCIExec runs the exec init with steps and returns the command's
// process once it executes.
func (r *Runtime) startOCIExec(o ExecOCIOptions, steps []step, pidfd *os.File) (_ *os.Process, retErr error) {
	cfg, err := encodeSteps(steps)
	if err != nil {
		return nil, err
	}
	console, err := dialConsole(o.Process.Terminal, o.ConsoleSocket)
	if err != nil {
		return nil, err
	}
	defer console.Close()
	sock, childEnd, err := newSyncPair()
	if err != nil {
		return nil, err
	}
	defer sock.Close()
	cmd := r.ociInitCommand(o.Stdio, 0, childEnd, pidfd)
	early, err := sock.sendConfigEarly(cfg, true)
	if err != nil {
		childEnd.Close()
		return nil, fmt.Errorf("send steps to exec init: %w", err)
	}
	err = cmd.Start()
	childEnd.Close()
	if err != nil {
		return nil, fmt.Errorf("start exec init: %w", err)
	}
	defer func() { _ = cmd.Wait() }() // it exits once it has forked
	if o.Debug != nil {
		debugSteps(o.Debug, cmd.Process.Pid, steps)
	}
	if !early {
		if err := sock.sendConfig(cfg); err != nil {
			return nil, fmt.Errorf("send steps to exec init: %w", err)
		}
	}
	var proc *os.Process
	defer func() {
		if retErr != nil && proc != nil {
			_ = proc.Kill()
			_, _ = proc.Wait()
		}
	}()
	for {
		m, file, err := sock.recv()
		switch {
		case errors.Is(err, errEOF):
			if proc == nil {
				return nil, fmt.Errorf("exec init ended before its command started")
			}
			return proc, nil
		case err != nil:
			return nil, fmt.Errorf("read from exec init: %w", err)
		case m.Type == msgPid && file == nil && m.Arg > 0:
			if proc, err = os.FindProcess(int(m.Arg)); err != nil {
				return nil, err
			}
		case m.Type == msgConsole && file != nil && console.conn != nil:
			if err := console.send(file); err != nil {
				return nil, err
			}
		case m.Type == msgError && int(m.Arg) < len(steps):
			return nil, stepError(steps[m.Arg], m.Errno)
		default:
			if file != nil {
				file.Close()
			}
			return nil, fmt.Errorf("unexpected message %d (arg %d) from exec init", m.Type, m.Arg)
		}
	}
}

// consoleSocket is the caller's socket for a container's pty master.
type consoleSocket struct{ conn *net.UnixConn }

// dialConsole connects to path if the process has a terminal.
func dialConsole(terminal bool, path string) (consoleSocket, error) {
	if !terminal {
		return consoleSocket{}, nil
	}
	if path == "" {
		return consoleSocket{}, invalidf("process.terminal is set but no --console-socket was given")
	}
	conn, err := net.Dial("unix", path)
	if err != nil {
		return consoleSocket{}, fmt.Errorf("connect to the console socket: %w", err)
	}
	return consoleSocket{conn.(*net.UnixConn)}, nil
}

// send passes the pty master on (SCM_RIGHTS) and closes ours.
func (c consoleSocket) send(ptmx *os.File) error {
	defer ptmx.Close()
	if _, _, err := c.conn.WriteMsgUnix([]byte("console"), unix.UnixRights(int(ptmx.Fd())), nil); err != nil {
		return fmt.Errorf("send the terminal to the console socket: %w", err)
	}
	return nil
}

// Close closes the connection, if any.
func (c consoleSocket) Close() {
	if c.conn != nil {
		c.conn.Close()
	}
}
