package repl

import (
	"errors"
	"io"
	"os"
	"sync/atomic"

	prompt "github.com/c-bata/go-prompt"
	"golang.org/x/sys/unix"
)

// ttyInput is go-prompt's ConsoleParser over the REPL's terminal, in place
// of go-prompt's own, which opens /dev/tty, polls a non-blocking fd every
// 10 ms, panics on a terminal of size 0x0 and reads EOF forever once the
// terminal is gone. This one blocks in poll(2) on the terminal and a wake
// pipe (Interrupt), says io.EOF once when the terminal hangs up, and
// assumes 80x24 when the terminal does not know its size.
type ttyInput struct {
	fd           int
	cooked       unix.Termios // the modes to go back to
	wakeR, wakeW *os.File
	hungUp       atomic.Bool
}

// defaultCols and defaultRows stand in for a size the terminal does not
// report (serial consoles, a bare pty).
const defaultCols, defaultRows = 80, 24

func newTTYInput(f *os.File) (*ttyInput, error) {
	t, err := unix.IoctlGetTermios(int(f.Fd()), unix.TCGETS)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	return &ttyInput{fd: int(f.Fd()), cooked: *t, wakeR: r, wakeW: w}, nil
}

// Setup puts the terminal in go-prompt's raw mode: no echo, no line
// editing, no signals from keys; output processing stays on.
func (t *ttyInput) Setup() error {
	raw := t.cooked
	raw.Iflag &^= unix.IGNBRK | unix.BRKINT | unix.PARMRK | unix.ISTRIP | unix.INLCR | unix.IGNCR | unix.ICRNL | unix.IXON
	raw.Lflag &^= unix.ECHO | unix.ICANON | unix.IEXTEN | unix.ISIG | unix.ECHONL
	raw.Cflag &^= unix.CSIZE | unix.PARENB
	raw.Cflag |= unix.CS8
	raw.Cc[unix.VMIN], raw.Cc[unix.VTIME] = 1, 0
	return t.set(&raw)
}

// TearDown gives the terminal its modes back (for a command, or at exit).
func (t *ttyInput) TearDown() error { return t.set(&t.cooked) }

func (t *ttyInput) set(tio *unix.Termios) error {
	if t.hungUp.Load() {
		return nil // nothing to set on a terminal that is gone
	}
	return unix.IoctlSetTermios(t.fd, unix.TCSETS, tio)
}

// GetWinSize is the terminal's size, or 80x24 where it reports none.
func (t *ttyInput) GetWinSize() *prompt.WinSize {
	ws, err := unix.IoctlGetWinsize(t.fd, unix.TIOCGWINSZ)
	if err != nil || ws.Col == 0 || ws.Row == 0 {
		return &prompt.WinSize{Row: defaultRows, Col: defaultCols}
	}
	return &prompt.WinSize{Row: ws.Row, Col: ws.Col}
}

// Read waits for keys. It returns prompt.ErrInterrupted when woken by
// Interrupt, and io.EOF when the terminal hung up (EOF, EIO, POLLHUP).
func (t *ttyInput) Read() ([]byte, error) {
	fds := []unix.PollFd{{Fd: int32(t.fd), Events: unix.POLLIN}, {Fd: int32(t.wakeR.Fd()), Events: unix.POLLIN}}
	buf := make([]byte, 4096)
	for {
		if _, err := unix.Poll(fds, -1); err != nil {
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return nil, err
		}
		if fds[1].Revents != 0 {
			var b [64]byte
			_, _ = unix.Read(int(t.wakeR.Fd()), b[:])
			return nil, prompt.ErrInterrupted
		}
		n, err := unix.Read(t.fd, buf)
		switch {
		case errors.Is(err, unix.EINTR) || errors.Is(err, unix.EAGAIN):
			continue
		case n == 0 || errors.Is(err, unix.EIO) || fds[0].Revents&(unix.POLLHUP|unix.POLLERR|unix.POLLNVAL) != 0 && n <= 0:
			t.hungUp.Store(true)
			return nil, io.EOF
		case err != nil:
			return nil, err
		}
		return buf[:n], nil
	}
}

// Interrupt wakes a Read in progress (or the next one).
func (t *ttyInput) Interrupt() { _, _ = t.wakeW.Write([]byte{0}) }

// Close frees the wake pipe.
func (t *ttyInput) Close() {
	t.wakeR.Close()
	t.wakeW.Close()
}

var _ prompt.Interrupter = (*ttyInput)(nil)
