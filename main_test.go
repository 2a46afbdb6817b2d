package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/internal/hostcheck"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// The test binary doubles as mydocker: with MYDOCKER_TEST_MAIN=1 it runs
// main's logic, and its re-execution as the container init is taken over by
// core's constructor exactly as in the real binary.
func TestMain(m *testing.M) {
	// (A detached container's monitor runs `mydocker ... _finish ID` with
	// this environment, so it comes here too.)
	if os.Getenv("MYDOCKER_TEST_MAIN") == "1" {
		os.Exit(run(os.Args[1:]))
	}
	// mydocker's state (the seccomp cache) goes to a directory of the tests.
	root, err := os.MkdirTemp("", "mydocker-root-")
	if err != nil {
		panic(err)
	}
	os.Setenv("MYDOCKER_ROOT", root)
	// The helpers are binaries of their own (build.sh puts them next to
	// mydocker): the plugin host, the image helper, the network plugin.
	for _, h := range []struct{ name, pkg, env string }{
		{"mydocker-plugins", ".", "MYDOCKER_PLUGIN_HOST"}, // built with -tags plugins
		{"mydocker-images", "./image/cmd/mydocker-images", "MYDOCKER_IMAGE_HELPER"},
		{"mydocker-net", "./plugins/cmd/mydocker-net", "MYDOCKER_NET_PLUGIN"},
	} {
		path := filepath.Join(root, h.name)
		if out, err := exec.Command("go", "build", "-tags", "plugins", "-o", path, h.pkg).CombinedOutput(); err != nil {
			fmt.Fprintf(os.Stderr, "build %s: %v\n%s", h.name, err, out)
			os.Exit(1)
		}
		os.Setenv(h.env, path)
	}
	code := hostcheck.Main(m)
	testrootfs.Remove()
	os.RemoveAll(root)
	if examplesDir != "" {
		os.RemoveAll(examplesDir)
	}
	os.Exit(code)
}

func requireRoot(t *testing.T) {
	t.Helper()
	hostcheck.RequireRoot(t)
}

// mydocker returns a command running this binary as mydocker.
func mydocker(args ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "MYDOCKER_TEST_MAIN=1")
	return cmd
}

func TestOneShot(t *testing.T) {
	requireRoot(t)
	notAProgram := filepath.Join(t.TempDir(), "script-without-shebang")
	if err := os.WriteFile(notAProgram, []byte("echo hi\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		args   []string
		status int
		stdout string
		stderr string // the one line expected on stderr, "" for none
	}{
		{"output only on stdout", []string{"run", "echo", "hi there"}, 0, "hi there\n", ""},
		{"container stderr stays stderr", []string{"run", "sh", "-c", "echo out; echo err >&2; exit 4"}, 4, "out\n", "err"},
		{"not found", []string{"run", "/no-such-cmd"}, 127, "", `mydocker: run: exec "/no-such-cmd": no such file or directory`},
		{"not executable", []string{"run", "/etc/passwd"}, 126, "", `mydocker: run: exec "/etc/passwd": permission denied`},
		{"not a program", []string{"run", notAProgram}, 126, "", `mydocker: run: exec "` + notAProgram + `": exec format error`},
		{"bad flag", []string{"run", "--nope", "true"}, 125, "", "mydocker: run: unknown flag: --nope"},
		{"bad hostname", []string{"run", "--hostname", "no way", "true"}, 125, "", `mydocker: run: invalid hostname "no way": ' ' is not a letter, digit, '-' or '.'`},
		{"no command", []string{"run"}, 125, "", "mydocker: run: no image or command given (usage: run [OPTIONS] IMAGE|COMMAND [ARG...])"},
		{"-t without a terminal", []string{"run", "-t", "true"}, 125, "", "mydocker: run: -t needs a terminal on stdin: the input device is not a TTY"},
		{"-ti without a terminal", []string{"run", "-ti", "sh"}, 125, "", "mydocker: run: -t needs a terminal on stdin: the input device is not a TTY"},
		{"unknown command", []string{"bogus"}, 127, "", "mydocker: unknown command \"bogus\": type `help` for the commands"},
		{"init by hand", []string{"init"}, 125, "", "mydocker: init: internal command: the container init is started by `mydocker run`"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			cmd := mydocker(tc.args...)
			cmd.Stdout, cmd.Stderr = &out, &errb
			_ = cmd.Run()
			if got := cmd.ProcessState.ExitCode(); got != tc.status {
				t.Errorf("exit status %d, want %d (stderr %q)", got, tc.status, errb.String())
			}
			if out.String() != tc.stdout {
				t.Errorf("stdout %q, want %q", out.String(), tc.stdout)
			}
			wantErr := ""
			if tc.stderr != "" {
				wantErr = tc.stderr + "\n"
			}
			if errb.String() != wantErr {
				t.Errorf("stderr %q, want %q", errb.String(), wantErr)
			}
		})
	}
}

func TestHelpHidesInit(t *testing.T) {
	out, _ := mydocker("help").Output()
	if !strings.Contains(string(out), "run") || strings.Contains(string(out), "init") {
		t.Errorf("help:\n%s", out)
	}
}

// containerPid waits for mydocker's child (the container's PID 1) to show.
func containerPid(t *testing.T, parent int) int {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		files, _ := filepath.Glob("/proc/" + strconv.Itoa(parent) + "/task/*/children")
		for _, f := range files {
			b, _ := os.ReadFile(f)
			if fields := strings.Fields(string(b)); len(fields) > 0 {
				pid, _ := strconv.Atoi(fields[0])
				return pid
			}
		}
	}
	t.Fatal("mydocker started no container")
	return 0
}

func waitGone(t *testing.T, pid int) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		stat, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
		if err != nil || strings.Contains(string(stat), ") Z ") {
			return // gone, or dead and waiting to be reaped
		}
	}
	t.Errorf("container pid %d still alive", pid)
}

func TestSignalForwarding(t *testing.T) {
	requireRoot(t)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := mydocker("run", "sh", "-c", `trap "exit 9" INT TERM; echo ready; while :; do sleep 0.01; done`)
			stdout, _ := cmd.StdoutPipe()
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			buf := make([]byte, 6)
			if _, err := stdout.Read(buf); err != nil || string(buf) != "ready\n" {
				t.Fatalf("read %q %v", buf, err)
			}
			cmd.Process.Signal(sig)
			_ = cmd.Wait()
			if got := cmd.ProcessState.ExitCode(); got != 9 {
				t.Errorf("exit status %d, want 9 from the container's trap", got)
			}
		})
	}
}

func TestContainerDiesWithMydocker(t *testing.T) {
	requireRoot(t)
	cmd := mydocker("run", "sleep", "1000")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	pid := containerPid(t, cmd.Process.Pid)
	cmd.Process.Kill() // SIGKILL: mydocker gets no chance to clean up
	_ = cmd.Wait()
	waitGone(t, pid)
}

// waitExit waits for cmd with a deadline that only bounds a broken test.
func waitExit(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	done := make(chan struct{})
	go func() { cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(20 * time.Second):
		cmd.Process.Kill()
		<-done
		t.Fatal("mydocker did not exit")
	}
}

// startTTYRun starts `mydocker run -ti sh` on a new pseudo-terminal, as
// from a login shell, and returns the keyboard side and the terminal.
func startTTYRun(t *testing.T) (*exec.Cmd, *os.File, *os.File, *unix.Termios) {
	kbd, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { kbd.Close(); tty.Close() })
	before, _ := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS)
	// Nothing reads kbd: the session prints less than the pty buffers, and
	// a reader blocked in read(2) would keep kbd from really closing.
	cmd := mydocker("run", "-ti", "sh")
	cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
	cmd.SysProcAttr = &syscall.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	containerPid(t, cmd.Process.Pid)
	time.Sleep(200 * time.Millisecond) // let sh settle at its prompt
	return cmd, kbd, tty, before
}

// A -ti one-shot run owns the terminal: SIGTERM sent to mydocker goes to
// the container (an interactive sh ignores it) instead of killing mydocker
// with the terminal left raw; the session ends as the user ends it.
func TestTTYOneShotSurvivesSIGTERM(t *testing.T) {
	requireRoot(t)
	cmd, kbd, tty, before := startTTYRun(t)
	cmd.Process.Signal(syscall.SIGTERM)
	time.Sleep(200 * time.Millisecond)
	kbd.Write([]byte("exit 3"))
	time.Sleep(50 * time.Millisecond)
	kbd.Write([]byte("\r"))
	waitExit(t, cmd)
	if got := cmd.ProcessState.ExitCode(); got != 3 {
		t.Errorf("exit status %d, want 3 from the shell's exit", got)
	}
	if after, _ := unix.IoctlGetTermios(int(tty.Fd()), unix.TCGETS); *after != *before {
		t.Errorf("terminal modes not restored")
	}
}

// When the user's terminal goes away, a -ti container has no one left to
// talk to: it is killed (a PID 1 shell would ignore SIGHUP) and mydocker
// ends.
func TestTTYOneShotHangup(t *testing.T) {
	requireRoot(t)
	cmd, kbd, _, _ := startTTYRun(t)
	kbd.Close()
	waitExit(t, cmd)
	if got := cmd.ProcessState.ExitCode(); got != 129 {
		t.Errorf("exit status %d, want 129 (the terminal went away)", got)
	}
}
