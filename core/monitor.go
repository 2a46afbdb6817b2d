package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"

	"golang.org/x/sys/unix"
)

// A detached container (`run -d`) outlives the mydocker that starts it: its
// init is the child of a monitor (monitor.c), which records how it ended
// and keeps its log. This process does the rest exactly as for a
// foreground run: the hooks, the cgroup, the step list and the sync
// protocol with the init; the monitor only clones it.
//
//	  mydocker (Start)                    monitor (monitor.c)
//	  ----------------                    -------------------
//	  MON_CONFIG (queued)            -->
//	  exec `mydocker monitor`,            forks; the first process exits
//	  reaps the first process             setsid, clones the init in new
//	                                      namespaces with the sync socket
//	                                 <--  {MON_PID, pid}
//	  makes the cgroup, then the sync
//	  protocol of sync.go with the init
//	  MON_CONSOLE + pty master (-t)  -->  logs it
//	  MON_STARTED, close             -->  (on failure: kill, wait for EOF)
//	                                      ... the container runs ...
//	                                      reaps it, writes exit.json,
//	                                      removes its cgroups, executes
//	                                      Detached.Finish if started

// Detached says where a detached container's monitor keeps its record.
type Detached struct {
	// Dir is the container's state directory (it must exist): the monitor
	// writes LogFile, OldLogFile and ExitFile there.
	Dir string
	// Finish, if set, are the arguments of this binary that the monitor
	// executes after it recorded the end of a container whose command
	// started: post-stop hooks, --rm. (A failed start is Start's to report.)
	Finish []string
	// LogMax caps LogFile; at the cap it becomes OldLogFile. 0 is
	// DefaultLogMax.
	LogMax int64
}

// DefaultLogMax is the size at which a detached container's log is
// rotated: at most twice this much is kept.
const DefaultLogMax = 1 << 20

// Started is a detached container whose command runs.
type Started struct {
	Pid     int // its PID 1
	Monitor int // its monitor, which records its end
}

// Start runs spec's container detached, under a monitor, and returns once
// the command runs. Pre-clone and post-mount hooks run
// here; post-stop hooks run here if the start fails, and otherwise are
// d.Finish's to run (see FinishState). stdio.Err gets --debug output;
// stdio.Signals cancel the start while hooks run.
func (r *Runtime) Start(ctx context.Context, spec *Spec, d Detached, stdio Stdio) (st Started, retErr error) {
	if os.Geteuid() != 0 {
		return st, ErrNotRoot
	}
	hookCtx, watch := watchSignals(ctx, stdio.Signals)
	defer watch.stop()
	stage := "vetoed"
	if r.Hooks != nil {
		defer func() {
			if retErr != nil {
				r.Hooks.PostStop(context.WithoutCancel(ctx), stopState(spec, stage, ExitCode(retErr), 0, retErr))
			}
		}()
	}
	if err := r.preClone(hookCtx, spec); err != nil {
		_, err := watch.status(ExitCode(err), err)
		if errors.Is(err, ErrCancelled) {
			stage = "failed"
		}
		return st, err
	}
	stage = "failed"
	c, err := r.create(spec, false)
	if err != nil {
		return st, err
	}
	if st, err = r.startDetached(hookCtx, c, d, stdio); err != nil {
		_ = c.destroy() // the monitor has ended: whatever it left
		_, err = watch.status(ExitCode(err), err)
		return st, err
	}
	return st, nil
}

func (r *Runtime) startDetached(ctx context.Context, c *container, d Detached, stdio Stdio) (_ Started, retErr error) {
	var none Started
	spec := c.spec
	steps := bootSequence(bootPlan{spec: spec, c: c, sync: c.needsSync(r.Hooks), detached: true})
	cfg, err := encodeSteps(steps)
	if err != nil {
		return none, err
	}
	mcfg, err := monitorConfig(c, d)
	if err != nil {
		return none, err
	}
	sock, childEnd, err := newSyncPair()
	if err != nil {
		return none, err
	}
	defer sock.Close()
	m, err := startMonitor(r.exe(), mcfg, childEnd)
	childEnd.Close()
	if err != nil {
		return none, err
	}
	defer func() { m.finish(retErr == nil) }()
	// The cgroup is made here while the monitor, on the other CPU, clones
	// the init (which waits for its step list): the monitor's first
	// process is executing (Start returned) and has its configuration, so
	// the monitor will remove the cgroup whatever happens to this process.
	// (Made on another goroutine, it waited behind this one's blocking
	// read: with both Ps in system calls, for up to the whole clone.)
	cgroupErr := c.createCgroup()
	pid, monitor, err := m.waitPid()
	if err == nil {
		err = cgroupErr
	}
	if err != nil {
		return none, err
	}
	if spec.Debug {
		debugSteps(stdio.Err, pid, steps)
	}
	if err := sock.sendConfig(cfg); err != nil {
		return none, fmt.Errorf("send steps to container init: %w", err)
	}
	r.postClone(ctx, c, pid)
	if err := r.serveInit(ctx, sock, c, steps, pid, initHandlers{console: m.sendConsole}); err != nil {
		return none, err
	}
	return Started{Pid: pid, Monitor: monitor}, nil
}

// monitorConfig is the MON_CONFIG packet for c (protocol.h).
func monitorConfig(c *container, d Detached) ([]byte, error) {
	logMax := d.LogMax
	if logMax <= 0 {
		logMax = DefaultLogMax
	}
	oom, keepStdin := "", "0"
	if c.cgroup != nil {
		oom = c.cgroup.oomFile()
	}
	if c.spec.Interactive {
		keepStdin = "1"
	}
	strs := []string{strconv.Itoa(int(c.spec.cloneFlags())), d.Dir, strconv.FormatInt(logMax, 10), oom, keepStdin}
	dirs := c.cgroupDirs()
	strs = append(append(strs, strconv.Itoa(len(dirs))), dirs...)
	strs = append(append(strs, strconv.Itoa(len(d.Finish))), d.Finish...)
	b := []byte{monConfig}
	for _, s := range strs {
		if strings.IndexByte(s, 0) >= 0 {
			return nil, invalidf("monitor configuration %q contains a NUL byte", s)
		}
		b = append(append(b, s...), 0)
	}
	if len(b) > monMsgMax {
		return nil, invalidf("monitor configuration too large (%d bytes, at most %d)", len(b), monMsgMax)
	}
	return b, nil
}

// monitorConn is this process's end of the talk with a starting monitor.
type monitorConn struct {
	ctl   *os.File
	pidfd int       // the init's, once known; -1 before
	first *exec.Cmd // the monitor's first process, until reaped
}

// reap waits for the monitor's first process, which only starts the
// monitor and exits: by the time the monitor has answered, it has. (A
// goroutine waiting for it held a thread, and a P, in a system call
// through every detached start.)
func (m *monitorConn) reap() {
	if m.first != nil {
		_ = m.first.Wait()
		m.first = nil
	}
}

// startMonitor executes the monitor with the init's end of the sync socket.
func startMonitor(exe string, cfg []byte, initEnd *os.File) (*monitorConn, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("start the container monitor: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "monitor"), os.NewFile(uintptr(fds[1]), "monitor-child")
	defer theirs.Close()
	if _, err := ours.Write(cfg); err != nil {
		ours.Close()
		return nil, fmt.Errorf("configure the container monitor: %w", err)
	}
	// The monitor passes this environment on to the finish command only
	// (plugins may be configured by it); the init gets none of it.
	cmd := &exec.Cmd{Path: exe, Args: []string{"mydocker", "monitor"}, Env: append(os.Environ(), monitorFdEnv+"=3"),
		ExtraFiles: []*os.File{theirs, initEnd}, SysProcAttr: &syscall.SysProcAttr{Setsid: true}}
	if err := cmd.Start(); err != nil {
		ours.Close()
		return nil, fmt.Errorf("start the container monitor: %w", err)
	}
	// Its first process only starts the monitor and exits (reap).
	return &monitorConn{ctl: ours, pidfd: -1, first: cmd}, nil
}

// waitPid returns the init's and the monitor's pids once the monitor has
// cloned the init.
func (m *monitorConn) waitPid() (int, int, error) {
	var b [syncMsgSize]byte
	n, err := m.ctl.Read(b[:])
	m.reap()
	if err != nil || n != syncMsgSize {
		return 0, 0, fmt.Errorf("start the container monitor: it exited (%v)", errors.Join(err, io.ErrUnexpectedEOF))
	}
	s := decodeMsg(b[:])
	if s.Type != monPid {
		return 0, 0, fmt.Errorf("container monitor: clone the container init: %w", s.Errno)
	}
	pid := int(s.Arg)
	if m.pidfd, err = unix.PidfdOpen(pid, 0); err != nil {
		return 0, 0, fmt.Errorf("open a pidfd of the container: %w", err)
	}
	return pid, int(s.Errno), nil
}

// sendConsole hands the container's pty master to the monitor, which logs
// what the container writes to it.
func (m *monitorConn) sendConsole(ptmx *os.File) error {
	defer ptmx.Close()
	if err := unix.Sendmsg(int(m.ctl.Fd()), []byte{monConsole}, unix.UnixRights(int(ptmx.Fd())), nil, 0); err != nil {
		return fmt.Errorf("hand the terminal to the container monitor: %w", err)
	}
	return nil
}

// finish tells the monitor the command runs, or, after a failed start,
// kills the init and waits for the monitor to have recorded its end and
// removed what it could.
func (m *monitorConn) finish(started bool) {
	defer m.reap()
	if started {
		_, _ = m.ctl.Write([]byte{monStarted})
	} else {
		if m.pidfd >= 0 {
			_ = unix.PidfdSendSignal(m.pidfd, unix.SIGKILL, nil, 0)
		}
		var b [64]byte
		for {
			if n, err := m.ctl.Read(b[:]); n == 0 || err != nil {
				break // EOF: the monitor has exited
			}
		}
	}
	if m.pidfd >= 0 {
		unix.Close(m.pidfd)
	}
	m.ctl.Close()
}
