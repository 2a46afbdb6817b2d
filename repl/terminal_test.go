package repl

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// Every line pasted in one write runs, in order, once, and enters history.
func TestPasteRunsEveryLine(t *testing.T) {
	hist := filepath.Join(t.TempDir(), "history")
	term := startREPL(t, "REPL_TEST_HISTORY="+hist)
	term.waitFor("mydocker> ")
	term.kbd.Write([]byte("run echo one-1\rrun echo two-2\rrun echo three-3\r"))
	for _, want := range []string{"\none-1", "\ntwo-2", "\nthree-3"} {
		term.waitFor(want)
	}
	term.enter("exit")
	term.exited(0)
	if b, _ := os.ReadFile(hist); string(b) != "run echo one-1\nrun echo two-2\nrun echo three-3\nexit\n" {
		t.Errorf("history:\n%s", b)
	}
}

// Keys typed while a container runs are the next command.
func TestTypeAhead(t *testing.T) {
	term := startREPL(t)
	term.waitFor("mydocker> ")
	term.enter("run sh -c 'sleep 0.5; echo slept'")
	term.typeKeys("run echo ahead-of-time\r")
	term.waitFor("slept")
	term.waitFor("\nahead-of-time")
	term.enter("exit")
	term.exited(0)
}

// UTF-8 is edited and run as typed.
func TestUTF8Line(t *testing.T) {
	term := startREPL(t)
	term.waitFor("mydocker> ")
	term.enter("run echo café 日本語 🐳")
	term.waitFor("\ncafé 日本語 🐳")
	term.waitFor("mydocker> ")        // typed earlier, the terminal's own line editing would see the keys
	term.typeKeys("run echo ñ日\x7f本") // a wide character erased by one Backspace
	term.typeKeys("\r")
	term.waitFor("\nñ本")
	term.enter("exit")
	term.exited(0)
}

// A terminal that reports no size (0x0), or a single column, works.
func TestTinyTerminals(t *testing.T) {
	for _, size := range []pty.Winsize{{Rows: 0, Cols: 0}, {Rows: 24, Cols: 1}} {
		term := startREPL(t)
		pty.Setsize(term.tty, &size)
		term.cmd.Process.Signal(syscall.SIGWINCH)
		term.waitFor("mydocker> ")
		term.enter("run echo small-terminal")
		term.waitFor("small-terminal\n")
		term.typeKeys("ru")
		term.typeKeys("\t") // the completion menu in no room at all
		term.typeKeys("\x03")
		term.enter("exit")
		term.exited(0)
	}
}

// When the terminal goes away during a container, mydocker stops it and
// ends with 129, leaving no process (TestMain checks).
func TestHangupEndsTheSession(t *testing.T) {
	for _, cmd := range []string{"", "run sleep 100", "run -ti sh"} {
		t.Run("at "+cmd, func(t *testing.T) {
			term := startREPL(t)
			term.waitFor("mydocker> ")
			if cmd != "" {
				term.enter(cmd)
			}
			time.Sleep(300 * time.Millisecond)
			term.tty.Close()
			term.kbd.Close() // the window closes
			done := make(chan struct{})
			go func() { term.cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(10 * time.Second):
				pid := term.cmd.Process.Pid
				st, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
				out, _ := exec.Command("ps", "-o", "pid,ppid,stat,wchan:20,args", "-g", fmt.Sprint(pid)).CombinedOutput()
				fds, _ := exec.Command("ls", "-l", fmt.Sprintf("/proc/%d/fd", pid)).CombinedOutput()
				t.Fatalf("mydocker still runs after its terminal went away\n%s\n%s\n%s", strings.Split(string(st), "\n")[2], out, fds)
			}
			if got := term.cmd.ProcessState.ExitCode(); got != ExitHangup {
				t.Errorf("status %d, want %d", got, ExitHangup)
			}
		})
	}
}

// Three ^C within two seconds kill a container that ignores them, with
// and without -t; a shell that handles ^C is left alone.
func TestThreeInterruptsKill(t *testing.T) {
	for _, cmd := range []string{"run sleep 100", "run -t sleep 100"} {
		t.Run(cmd, func(t *testing.T) {
			term := startREPL(t)
			term.waitFor("mydocker> ")
			term.enter(cmd)
			time.Sleep(300 * time.Millisecond)
			term.typeKeys("\x03")
			term.typeKeys("\x03")
			term.typeKeys("\x03")
			term.waitFor("ignored ^C")
			term.waitFor("mydocker> ")
			term.enter("exit")
			term.exited(137)
		})
	}
}

// stdout carries only the containers' output; the prompt goes to the
// terminal. NO_COLOR has no colour; TERM=dumb no escape sequence at all.
func TestCleanOutput(t *testing.T) {
	for _, tc := range []struct {
		env    []string
		banned string
	}{{nil, ""}, {[]string{"NO_COLOR=1"}, "\x1b[3"}, {[]string{"TERM=dumb"}, "\x1b"}} {
		kbd, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		pty.Setsize(tty, &pty.Winsize{Rows: 40, Cols: 120})
		r, w, _ := os.Pipe()
		cmd := exec.Command(os.Args[0])
		cmd.Env = append(os.Environ(), append([]string{"REPL_TEST_MAIN=1", "TERM=xterm"}, tc.env...)...)
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, w, tty // as `mydocker | tee log`
		cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		w.Close()
		var screen bytes.Buffer
		go io.Copy(&screen, kbd)
		time.Sleep(300 * time.Millisecond)
		kbd.Write([]byte("run echo to-stdout\r"))
		time.Sleep(300 * time.Millisecond)
		kbd.Write([]byte("exit\r"))
		out, _ := io.ReadAll(r)
		cmd.Wait()
		kbd.Close()
		tty.Close()
		if string(out) != "to-stdout\n" {
			t.Errorf("%v: stdout %q, want only the container's output", tc.env, out)
		}
		if tc.banned != "" && strings.Contains(screen.String(), tc.banned) {
			t.Errorf("%v: the terminal got %q:\n%q", tc.env, tc.banned, screen.String())
		}
		if !strings.Contains(screen.String(), "mydocker> ") {
			t.Errorf("%v: no prompt on the terminal: %q", tc.env, screen.String())
		}
	}
}

// A trailing \ or an open quote asks for the rest with "> ".
func TestContinuationLines(t *testing.T) {
	term := startREPL(t)
	term.waitFor("mydocker> ")
	term.enter(`run echo joined \`)
	term.waitFor("> ")
	term.enter("line")
	term.waitFor("joined line\n")
	term.enter("run echo 'two")
	term.waitFor("> ")
	term.enter("lines'")
	term.waitFor("two\nlines\n")
	term.enter("exit")
	term.exited(0)
}

// A history "file" that is a device is neither read nor written.
func TestHistoryDevice(t *testing.T) {
	term := startREPL(t, "REPL_TEST_HISTORY=/dev/full")
	term.waitFor("mydocker> ")
	term.enter("exit 3")
	term.exited(3)
}

// Without root, the prompt starts and `help` works; `run` says why not.
func TestNotRoot(t *testing.T) {
	requireRoot(t)                                    // to switch to an unprivileged user
	dir, err := os.MkdirTemp("", "mydocker-notroot-") // t.TempDir's parent is 0700
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	os.Chmod(dir, 0o755)
	bin := filepath.Join(dir, "repl.test")
	src, _ := os.ReadFile(os.Args[0])
	if err := os.WriteFile(bin, src, 0o755); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), "REPL_TEST_MAIN=1")
	cmd.Stdin = strings.NewReader("help\nrun true\n")
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: 65534, Gid: 65534}}
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil && cmd.ProcessState == nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Commands:") {
		t.Errorf("help without root: %q", out.String())
	}
	if errb.String() != "mydocker: line 2: containers need root (run it with sudo)\n" || cmd.ProcessState.ExitCode() != 125 {
		t.Errorf("run without root: status %d, stderr %q", cmd.ProcessState.ExitCode(), errb.String())
	}
}
