package repl

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"
)

// terminal is a person at a real pseudo-terminal, with the REPL (this test
// binary in REPL_TEST_MAIN mode) running on its other side as the session
// leader, exactly as from a login shell.
type terminal struct {
	t      *testing.T
	kbd    *os.File // the master: what is typed goes in, the screen comes out
	tty    *os.File // the slave, kept open to read its modes afterwards
	cmd    *exec.Cmd
	mu     sync.Mutex
	screen bytes.Buffer
	seen   int // how much of text() earlier waits have consumed
	before *unix.Termios
}

func startREPL(t *testing.T, env ...string) *terminal {
	t.Helper()
	requireRoot(t)
	kbd, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	kbd = pollable(t, kbd)
	pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: 120})
	before, err := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), append([]string{"REPL_TEST_MAIN=1", "TERM=xterm"}, env...)...)
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	term := &terminal{t: t, kbd: kbd, tty: tty, cmd: cmd, before: before}
	go func() {
		buf := make([]byte, 4096)
		for {
			n, err := kbd.Read(buf)
			term.mu.Lock()
			term.screen.Write(buf[:n])
			term.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		kbd.Close()
		tty.Close()
	})
	return term
}

// pollable returns f's descriptor made non-blocking, so that Close really
// closes it (a hangup for the other side) even while a goroutine reads it:
// pty.Open's file is in blocking mode, where Close waits for the read.
func pollable(t *testing.T, f *os.File) *os.File {
	fd, err := unix.Dup(int(f.Fd()))
	if err != nil {
		t.Fatal(err)
	}
	f.Close()
	unix.CloseOnExec(fd)
	if err := unix.SetNonblock(fd, true); err != nil {
		t.Fatal(err)
	}
	return os.NewFile(uintptr(fd), "pty-master")
}

var escapes = regexp.MustCompile(`\x1b\[[0-9;?]*[A-Za-z]|\x1b\][^\a]*\a|\r`)

// text is the screen so far without terminal escape sequences.
func (term *terminal) text() string {
	term.mu.Lock()
	defer term.mu.Unlock()
	return escapes.ReplaceAllString(term.screen.String(), "")
}

// waitFor waits until want appears after what was seen so far. The deadline
// only bounds a broken test; nothing is timed.
func (term *terminal) waitFor(want string) {
	term.t.Helper()
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		text := term.text()
		if i := strings.Index(text[min(term.seen, len(text)):], want); i >= 0 {
			term.seen += i + len(want) // the next wait looks further on
			return
		}
	}
	term.t.Fatalf("screen never showed %q after %q", want, term.text())
}

// typeKeys types like a person: keys, then a pause.
func (term *terminal) typeKeys(keys string) {
	term.kbd.Write([]byte(keys))
	time.Sleep(60 * time.Millisecond)
}

// enter types a line and then Enter as its own keystroke.
func (term *terminal) enter(line string) {
	term.typeKeys(line)
	term.typeKeys("\r")
}

// exited waits for the REPL to end and checks its status and the modes.
func (term *terminal) exited(status int) {
	term.t.Helper()
	done := make(chan struct{})
	go func() { term.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		term.t.Fatalf("REPL did not exit; screen:\n%s", term.text())
	}
	if got := term.cmd.ProcessState.ExitCode(); got != status {
		term.t.Errorf("REPL exit status %d, want %d", got, status)
	}
	after, err := unix.IoctlGetTermios(int(term.tty.Fd()), unix.TCGETS)
	if err != nil {
		term.t.Fatal(err)
	}
	if *after != *term.before {
		term.t.Errorf("terminal modes not restored:\nbefore %+v\nafter  %+v", term.before, after)
	}
}

func TestInteractiveSession(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "history")
	term := startREPL(t, "REPL_TEST_HISTORY="+hist)
	term.waitFor("mydocker> ")

	term.typeKeys("ru")
	term.typeKeys("\t")
	term.waitFor("run a command in a new container") // the menu, with its description
	term.typeKeys("\x03")                            // ^C clears the line
	term.enter("bogus")
	term.waitFor(`unknown command "bogus"`)

	term.enter("run -ti sh")
	term.waitFor("# ")
	term.enter("echo pid=$$")
	term.waitFor("pid=1")
	term.enter("sleep 100")
	time.Sleep(200 * time.Millisecond)
	term.typeKeys("\x03") // ^C reaches the container's job, not the REPL
	term.enter("echo status=$?")
	term.waitFor("status=130")
	term.enter("exit 0")
	term.waitFor("mydocker> ")

	term.enter(`run sh -c 'trap "echo trapped; exit 4" INT; echo ready; sleep 100'`)
	term.waitFor("ready")
	term.typeKeys("\x03") // without -t, mydocker sends the ^C on to the container
	term.waitFor("trapped")
	term.waitFor("mydocker> ")

	term.enter("exit")
	term.exited(4) // the last status
	if b, _ := os.ReadFile(hist); !strings.Contains(string(b), "run -ti sh\n") {
		t.Errorf("history file has:\n%s", b)
	}
}

func TestInteractiveCtrlD(t *testing.T) {
	term := startREPL(t)
	term.waitFor("mydocker> ")
	term.enter("exit 300") // an error does not end the session
	term.waitFor("not a status from 0 to 255")
	term.typeKeys("\x04")
	term.exited(2)
}

func TestInteractiveSIGTERM(t *testing.T) {
	term := startREPL(t)
	term.waitFor("mydocker> ")
	term.typeKeys("run half-typed")
	term.cmd.Process.Signal(syscall.SIGTERM)
	term.exited(1) // go-prompt's status for SIGTERM; the modes are restored
}
