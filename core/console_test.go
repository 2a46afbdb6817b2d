package core_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// screen collects what a terminal shows, for waiting on expected text.
type screen struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *screen) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *screen) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

// waitFor polls until the screen shows want. The deadline only bounds a
// broken test; nothing is timed.
func (s *screen) waitFor(t *testing.T, want string) {
	t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if strings.Contains(s.String(), want) {
			return
		}
	}
	t.Fatalf("terminal never showed %q; it shows:\n%s", want, s.String())
}

// TestTTYSession drives `run -ti sh` from a real pseudo-terminal, as a
// person at a terminal would: the test holds the "keyboard" (the master)
// and mydocker's stdin/stdout is the slave.
func TestTTYSession(t *testing.T) {
	requireRoot(t)
	ttySession(t, nil, "")
}

// TestTTYInRootfs: with its own root the container's terminal comes from
// its own devpts.
func TestTTYInRootfs(t *testing.T) {
	requireRoot(t)
	ttySession(t, []string{"--rootfs", testrootfs.Busybox(t), "--pids-limit", "50"}, "/dev/pts/0")
}

// ttySession runs `run -ti [extra] sh` on a pseudo-terminal and checks job
// control, window size, ^C, the exit status and the modes afterwards; with
// wantTTY, also what `tty` says inside.
func ttySession(t *testing.T, extra []string, wantTTY string) {
	kbd, term, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer kbd.Close()
	defer term.Close()
	if err := pty.Setsize(term, &pty.Winsize{Rows: 33, Cols: 77}); err != nil {
		t.Fatal(err)
	}
	before, err := unix.IoctlGetTermios(int(term.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	var scr screen
	go io.Copy(&scr, kbd)

	spec, err := cli.ParseRun(append(append([]string{"-ti"}, extra...), "sh"))
	if err != nil {
		t.Fatal(err)
	}
	type ret struct {
		status int
		err    error
	}
	done := make(chan ret, 1)
	go func() {
		st, err := (&core.Runtime{}).Run(context.Background(), spec, core.Stdio{In: term, Out: term, Err: term})
		done <- ret{st, err}
	}()
	typeLine := func(line string) {
		kbd.Write([]byte(line))
		time.Sleep(20 * time.Millisecond) // Enter as its own keystroke, like a person
		kbd.Write([]byte("\r"))
	}
	scr.waitFor(t, "# ")
	typeLine(`echo "pid=$$ sid=$(cut -d' ' -f6 /proc/1/stat) size=$(stty size) term=$TERM"`)
	scr.waitFor(t, "pid=1 sid=1 size=33 77 term=xterm")
	if wantTTY != "" {
		typeLine(`echo "tty=$(tty)"`)
		scr.waitFor(t, "tty="+wantTTY)
	}

	pty.Setsize(term, &pty.Winsize{Rows: 20, Cols: 60})
	unix.Kill(os.Getpid(), unix.SIGWINCH) // what the terminal emulator would send
	typeLine(`echo "now=$(stty size)"`)
	scr.waitFor(t, "now=20 60")

	typeLine("sleep 100")
	time.Sleep(100 * time.Millisecond)
	kbd.Write([]byte{3}) // ^C goes to the container's foreground job only
	typeLine(`echo "after ^C: $?"`)
	scr.waitFor(t, "after ^C: 130")

	typeLine("exit 3")
	select {
	case r := <-done:
		if r.status != 3 || r.err != nil {
			t.Errorf("status %d, err %v; want 3", r.status, r.err)
		}
	case <-time.After(20 * time.Second):
		t.Fatalf("container did not exit; screen:\n%s", scr.String())
	}
	after, err := unix.IoctlGetTermios(int(term.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	if *after != *before {
		t.Errorf("terminal modes not restored:\nbefore %+v\nafter  %+v", before, after)
	}
}
