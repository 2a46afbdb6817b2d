package core

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"sync"
	"syscall"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
	"golang.org/x/term"
)

// console is the pseudo-terminal of a -t container. The container's init is
// the session leader with the pty's slave as controlling terminal, so job
// control works; the caller's terminal is put in raw mode while the
// container runs, so ^C and ^Z are bytes that reach the container's line
// discipline, not signals to mydocker. All methods are safe on nil (no -t).
type console struct {
	in          *os.File // the caller's terminal
	out         io.Writer
	interactive bool
	ptmx, slave *os.File
	saved       *term.State // the caller's modes, restored exactly
	winch       chan os.Signal
	stopIn      *os.File // closing its peer wakes the input copier
	wakeIn      *os.File
	wg          sync.WaitGroup
	hungUp      chan struct{} // closed when the caller's terminal goes away
	intr        chan struct{} // a ^C byte went to the container
}

// attach wires the container's stdio into cmd: the caller's streams as they
// are, or a pty for -t. Without -i, stdin is empty (/dev/null). With its own
// root (inInit), the container makes its pty in its own devpts and passes
// the master back (setMaster); otherwise a pty of the host's is used.
func attach(cmd *exec.Cmd, spec *Spec, stdio Stdio, inInit bool) (*console, error) {
	if !spec.TTY {
		if spec.Interactive {
			cmd.Stdin = stdio.In
		}
		cmd.Stdout, cmd.Stderr = stdio.Out, stdio.Err
		return nil, nil
	}
	in, ok := stdio.In.(*os.File)
	if !ok || !term.IsTerminal(int(in.Fd())) {
		return nil, fmt.Errorf("-t needs a terminal on stdin: %w", ErrNotATerminal)
	}
	if inInit {
		// Until the init replaces its stdio with the pty, a failure it can
		// only print goes to the caller's stderr.
		cmd.Stderr = stdio.Err
		return &console{in: in, out: stdio.Out, interactive: spec.Interactive, hungUp: make(chan struct{}), intr: make(chan struct{}, 8)}, nil
	}
	ptmx, slave, err := pty.Open()
	if err != nil {
		return nil, fmt.Errorf("open pseudo-terminal: %w", err)
	}
	c := &console{in: in, out: stdio.Out, interactive: spec.Interactive, ptmx: ptmx, slave: slave, hungUp: make(chan struct{}), intr: make(chan struct{}, 8)}
	if err := pty.InheritSize(in, ptmx); err != nil {
		c.close()
		return nil, fmt.Errorf("set pseudo-terminal size: %w", err)
	}
	cmd.Stdin, cmd.Stdout, cmd.Stderr = slave, slave, slave
	cmd.SysProcAttr.Setsid = true
	cmd.SysProcAttr.Setctty = true
	cmd.SysProcAttr.Ctty = 0 // the slave, as the child's stdin
	return c, nil
}

// setMaster takes the pty master the container's init made.
func (c *console) setMaster(ptmx *os.File) error {
	if c.ptmx != nil {
		ptmx.Close()
		return fmt.Errorf("container init sent a second terminal")
	}
	c.ptmx = ptmx
	if err := pty.InheritSize(c.in, ptmx); err != nil {
		return fmt.Errorf("set pseudo-terminal size: %w", err)
	}
	return nil
}

// started begins relaying once the container's command runs.
func (c *console) started() {
	if c == nil || c.ptmx == nil {
		return
	}
	if c.slave != nil {
		c.slave.Close() // the container holds the only references now
		c.slave = nil
	}
	c.winch = make(chan os.Signal, 1)
	signal.Notify(c.winch, syscall.SIGWINCH)
	go c.followSize(c.winch)
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		// Ends with EIO once every process holding the slave has exited.
		_, _ = io.Copy(c.out, c.ptmx)
	}()
	if !c.interactive {
		return
	}
	if saved, err := term.MakeRaw(int(c.in.Fd())); err == nil {
		c.saved = saved
	}
	r, w, err := os.Pipe()
	if err != nil {
		return // the container runs without input rather than not at all
	}
	c.wakeIn, c.stopIn = r, w
	c.wg.Add(1)
	go func() {
		defer c.wg.Done()
		c.copyInput()
	}()
}

// followSize keeps the container's window size equal to the caller's.
func (c *console) followSize(winch chan os.Signal) {
	for range winch {
		_ = pty.InheritSize(c.in, c.ptmx)
	}
}

// copyInput relays keystrokes to the container. It polls so that it can be
// stopped without consuming a byte meant for whoever reads the terminal
// next (the REPL's prompt).
func (c *console) copyInput() {
	fds := []unix.PollFd{{Fd: int32(c.in.Fd()), Events: unix.POLLIN}, {Fd: int32(c.wakeIn.Fd()), Events: unix.POLLIN}}
	buf := make([]byte, 4096)
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if err == unix.EINTR {
				continue
			}
			return
		}
		if fds[1].Revents != 0 {
			return // stopped
		}
		if fds[0].Revents&(unix.POLLERR|unix.POLLNVAL) != 0 {
			close(c.hungUp)
			return
		}
		if fds[0].Revents&(unix.POLLIN|unix.POLLHUP) == 0 {
			continue
		}
		n, err := unix.Read(int(c.in.Fd()), buf)
		if n <= 0 || err != nil {
			close(c.hungUp) // EOF or EIO: the terminal is gone
			return
		}
		for _, b := range buf[:n] {
			if b == 3 { // ^C: counted, for the way out of a container ignoring it
				select {
				case c.intr <- struct{}{}:
				default:
				}
			}
		}
		if _, err := c.ptmx.Write(buf[:n]); err != nil {
			return
		}
	}
}

// close stops relaying, restores the caller's terminal modes and frees the
// pty. Called after the container has exited, or instead of starting it.
func (c *console) close() {
	if c == nil {
		return
	}
	if c.stopIn != nil {
		c.stopIn.Close()
	}
	if c.slave != nil { // never started: the output copier is not running
		c.slave.Close()
		c.ptmx.Close()
	}
	if c.winch == nil && c.ptmx != nil { // a master from the init, never started
		c.ptmx.Close()
	}
	c.wg.Wait()
	if c.winch != nil {
		signal.Stop(c.winch)
		close(c.winch)
	}
	if c.saved != nil {
		_ = term.Restore(int(c.in.Fd()), c.saved)
	}
	if c.wakeIn != nil {
		c.wakeIn.Close()
	}
	if c.ptmx != nil {
		c.ptmx.Close()
	}
}

// interrupts signals each ^C typed into the container; nil without a
// relay of keystrokes.
func (c *console) interrupts() <-chan struct{} {
	if c == nil || !c.interactive {
		return nil
	}
	return c.intr
}

// hangup is closed when the caller's terminal went away; nil (never ready)
// without an interactive console.
func (c *console) hangup() <-chan struct{} {
	if c == nil || !c.interactive {
		return nil
	}
	return c.hungUp
}
