package core

import (
	"fmt"
	"os"
	"os/exec"
	"sync"
	"time"

	"golang.org/x/sys/unix"
)

// Every container dies with the mydocker that started it, even if its
// PID 1 clears the parent-death signal, and its cgroups are removed then
// too: a guard process (guard.c) is told of each container before its
// cgroups are made and holds a pidfd of its PID 1 from before that runs
// any user code; when this process's end of their socket closes, which the
// kernel does however this process ends, the guard kills and cleans up.
// One guard serves every container of a process; it is started with the
// first container and stopped once no container has run for guardLinger,
// so an idle prompt or a finished embedding program leaves no process.

// guardLinger is how long the guard outlives the last container.
const guardLinger = time.Second

var theGuard struct {
	sync.Mutex
	sock    *os.File // nil while no guard runs
	running int      // containers registered and not yet forgotten
	idle    *time.Timer
	// started is closed once the guard process exists (its fork and exec
	// take a few ms and run beside the container's set-up: messages wait
	// in the socket meanwhile); startErr says if that failed.
	started  chan struct{}
	startErr error
}

// guardTicket is one container's registration with the guard.
type guardTicket struct {
	id      string
	once    sync.Once
	started chan struct{} // the guard's, closed once its process exists
}

// waitStarted returns once the guard process exists, so that what is made
// next (the cgroups) has someone to remove it if this process dies.
func (t *guardTicket) waitStarted() error {
	<-t.started
	theGuard.Lock()
	defer theGuard.Unlock()
	return theGuard.startErr
}

// guardRegister tells the guard (started if needed) of container id,
// whose cgroups will be parent/id for each parent, before they exist.
func guardRegister(exe, id string, parents []string) (*guardTicket, error) {
	msg := append([]byte{guardMsgRegister}, id...)
	msg = append(msg, 0)
	for _, p := range parents {
		msg = append(append(msg, p...), 0)
	}
	if len(msg) > guardMsgMax {
		return nil, fmt.Errorf("guard the container: cgroup paths too long")
	}
	g := &theGuard
	g.Lock()
	defer g.Unlock()
	if g.idle != nil {
		g.idle.Stop()
		g.idle = nil
	}
	if g.sock == nil {
		var err error
		if g.sock, err = startGuard(exe); err != nil {
			return nil, err
		}
	}
	if err := guardSend(msg, -1); err != nil {
		return nil, err
	}
	g.running++
	return &guardTicket{id: id, started: g.started}, nil
}

// attach hands the guard a pidfd of the container's PID 1, and returns
// once the guard process exists: the init may then run user code.
func (t *guardTicket) attach(pid int) error {
	pidfd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return fmt.Errorf("open a pidfd of the container: %w", err)
	}
	defer unix.Close(pidfd)
	theGuard.Lock()
	started := theGuard.started
	err = guardSend(append(append([]byte{guardMsgAttach}, t.id...), 0), pidfd)
	theGuard.Unlock()
	if err != nil {
		return err
	}
	<-started
	theGuard.Lock()
	defer theGuard.Unlock()
	if err := theGuard.startErr; err != nil {
		if theGuard.started == started && theGuard.sock != nil {
			theGuard.sock.Close() // the next container tries a new guard
			theGuard.sock = nil
		}
		return err
	}
	return nil
}

// release tells the guard the container ended and was cleaned up, and
// stops the guard after guardLinger without containers. Safe to call
// more than once, and on nil.
func (t *guardTicket) release() {
	if t == nil {
		return
	}
	t.once.Do(func() {
		g := &theGuard
		g.Lock()
		defer g.Unlock()
		_ = guardSend(append(append([]byte{guardMsgForget}, t.id...), 0), -1)
		if g.running--; g.running > 0 || g.sock == nil {
			return
		}
		g.idle = time.AfterFunc(guardLinger, func() {
			g.Lock()
			defer g.Unlock()
			if g.running == 0 && g.sock != nil {
				g.sock.Close() // the guard reads EOF: nothing left to kill
				g.sock = nil
			}
		})
	})
}

// guardSend sends one message, with a descriptor if fd >= 0. The caller
// holds theGuard's lock.
func guardSend(msg []byte, fd int) error {
	if theGuard.sock == nil {
		return fmt.Errorf("guard the container: no guard")
	}
	var oob []byte
	if fd >= 0 {
		oob = unix.UnixRights(fd)
	}
	if err := unix.Sendmsg(int(theGuard.sock.Fd()), msg, oob, nil, 0); err != nil {
		return fmt.Errorf("guard the container: %w", err)
	}
	return nil
}

// startGuard makes a new socket and starts the guard with its end, in the
// background (theGuard.started); it returns ours. The caller holds the
// lock. The guard's exit is reaped in the background.
func startGuard(exe string) (*os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("start the container guard: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "guard"), os.NewFile(uintptr(fds[1]), "guard-child")
	started := make(chan struct{})
	theGuard.started, theGuard.startErr = started, nil
	go func() {
		defer theirs.Close()
		cmd := &exec.Cmd{Path: exe, Args: []string{"mydocker", "guard"}, Env: []string{guardFdEnv + "=3"}, ExtraFiles: []*os.File{theirs}}
		err := cmd.Start()
		theGuard.Lock()
		if err != nil && theGuard.started == started {
			theGuard.startErr = fmt.Errorf("start the container guard: %w", err)
		}
		theGuard.Unlock()
		close(started)
		if err == nil {
			_ = cmd.Wait()
		}
	}()
	return ours, nil
}
