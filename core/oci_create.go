package core

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
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
	steps, err := ociSequence(p)
	if err != nil {
		return 0, err
	}
	cfg, err := encodeSteps(steps)
	if err != nil {
		return 0, err
	}
	var console *net.UnixConn
	if o.Config.Process.Terminal {
		if o.ConsoleSocket == "" {
			return 0, invalidf("process.terminal is set but no --console-socket was given")
		}
		conn, err := net.Dial("unix", o.ConsoleSocket)
		if err != nil {
			return 0, fmt.Errorf("connect to the console socket: %w", err)
		}
		console = conn.(*net.UnixConn)
		defer console.Close()
	}
	if err := p.c.cgroup.create(); err != nil {
		return 0, err
	}
	defer func() {
		if retErr != nil {
			_ = p.c.cgroup.remove()
		}
	}()
	sock, childEnd, err := newSyncPair()
	if err != nil {
		return 0, err
	}
	defer sock.Close()
	cmd := &exec.Cmd{Path: r.exe(), Args: []string{"mydocker", "init"}, Env: []string{initFdEnv + "=3"},
		ExtraFiles:  []*os.File{childEnd},
		SysProcAttr: &syscall.SysProcAttr{Cloneflags: p.cloneFlags}}
	if o.Stdio[0] != nil {
		cmd.Stdin = o.Stdio[0]
	}
	if o.Stdio[1] != nil {
		cmd.Stdout = o.Stdio[1]
	}
	if o.Stdio[2] != nil {
		cmd.Stderr = o.Stdio[2]
	}
	err = cmd.Start()
	childEnd.Close()
	if err != nil {
		return 0, fmt.Errorf("start container init: %w", err)
	}
	if o.Debug != nil {
		debugSteps(o.Debug, cmd.Process.Pid, steps)
	}
	defer func() {
		if retErr != nil {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	}()
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
		case m.Type == msgConsole && file != nil && console != nil:
			_, _, err := console.WriteMsgUnix([]byte("console"), unix.UnixRights(int(file.Fd())), nil)
			file.Close()
			if err != nil {
				return 0, fmt.Errorf("send the terminal to the console socket: %w", err)
			}
		case m.Type == msgError && int(m.Arg) < len(steps):
			return 0, stepError(steps[m.Arg], m.Errno)
		case m.Type == msgReady && int(m.Arg) < len(steps) && steps[m.Arg].op == opSync:
			if err := sock.send(syncMsg{Type: msgContinue, Arg: m.Arg}); err != nil {
				return 0, fmt.Errorf("release container init: %w", err)
			}
			return cmd.Process.Pid, nil
		default:
			if file != nil {
				file.Close()
			}
			return 0, fmt.Errorf("unexpected message %d (arg %d) from container init", m.Type, m.Arg)
		}
	}
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

// RemoveOCICgroup removes the cgroup an OCI container was given (delete).
func RemoveOCICgroup(id string, cfg *specs.Spec) error {
	if cfg.Linux == nil {
		return nil
	}
	host, err := detectCgroups()
	if err != nil {
		return err
	}
	group, name, err := cgroupsPath(cfg.Linux.CgroupsPath, id)
	if err != nil {
		return err
	}
	cg, err := host.planAt(group, name, cgroupConfig{limits: ociLimits(cfg.Linux.Resources), devices: deviceNodes(nil)})
	if err != nil {
		return err
	}
	return cg.remove()
}
