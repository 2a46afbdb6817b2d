package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// md runs one one-shot mydocker over root and returns its status and output.
func md(t *testing.T, root string, args ...string) (int, string, string) {
	t.Helper()
	cmd := mydocker(append([]string{"--root", root}, args...)...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	_ = cmd.Run()
	return cmd.ProcessState.ExitCode(), out.String(), errb.String()
}

// Every container command, each from a mydocker process of its own: they
// all act on one container through the store.
func TestContainerCommandsOneShot(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	t.Cleanup(func() { md(t, root, "rm", "-f", "web", "web2") })
	idLine := regexp.MustCompile(`^[0-9a-f]{64}\n$`)
	status, out, errs := md(t, root, "run", "-d", "--name", "web", "sh", "-c", "echo hi; exec sleep 100")
	if status != 0 || !idLine.MatchString(out) || errs != "" {
		t.Fatalf("run -d: %d %q %q", status, out, errs)
	}
	id := strings.TrimSpace(out)
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, out, _ := md(t, root, "logs", "web"); out == "hi\n" {
			break
		}
	}
	tests := []struct {
		args           []string
		status         int
		stdout, stderr string // stdout "~re" is a regexp
	}{
		{[]string{"run", "-d", "--name", "web", "true"}, 125, "", `mydocker: run: the container name "web" is already in use by another container: remove it or choose another name`},
		{[]string{"run", "-d", "--name", "-x", "true"}, 125, "", `mydocker: run: invalid --name "-x": want [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 bytes`},
		{[]string{"ps"}, 0, `~^CONTAINER ID +NAME +IMAGE +COMMAND +CREATED +STATUS +PID\n` + id[:12] + ` +web +- +"sh -c echo hi; exec sle…" +.* ago +Up .* +[0-9]+\n$`, ""},
		{[]string{"ps", "-q"}, 0, id[:12] + "\n", ""},
		{[]string{"logs", "web"}, 0, "hi\n", ""},
		{[]string{"logs", id[:5]}, 0, "hi\n", ""},
		{[]string{"exec", "web", "hostname"}, 0, id[:12] + "\n", ""},
		{[]string{"exec", id, "sh", "-c", "exit 5"}, 5, "", ""},
		{[]string{"exec", "web", "nope"}, 127, "", `mydocker: exec: exec "nope": executable file not found in $PATH`},
		{[]string{"exec", "nope", "true"}, 1, "", "mydocker: exec: no such container: nope"},
		{[]string{"exec", "web"}, 125, "", "mydocker: exec: want a container and a command (usage: exec [-i] [-t] [-e K=V] [-u USER] [-w DIR] CONTAINER COMMAND [ARG...])"},
		{[]string{"top", "web"}, 0, `~^UID +PID +PPID +CMD\n0 +[0-9]+ +[0-9]+ +sleep 100\n$`, ""},
		{[]string{"kill", "-s", "NOPE", "web"}, 125, "", `mydocker: kill: invalid signal "NOPE": want a number or a name such as TERM, KILL, HUP`},
		{[]string{"rm", "web"}, 1, "", "mydocker: rm: container web is running: stop it first, or use rm -f"},
		{[]string{"stop", "-t", "1", "web", "nope"}, 1, "web\n", "mydocker: stop: no such container: nope"},
		{[]string{"wait", "web"}, 0, "137\n", ""},
		{[]string{"ps"}, 0, "CONTAINER ID   NAME   IMAGE   COMMAND   CREATED   STATUS   PID\n", ""},
		{[]string{"ps", "-a"}, 0, `~\n` + id[:12] + ` +web +.* Exited \(137\) .* ago +\n$`, ""},
		{[]string{"inspect", "web"}, 0, `~"ExitCode": 137,`, ""},
		{[]string{"exec", "web", "true"}, 1, "", "mydocker: exec: container web is not running"},
		{[]string{"logs", "-f", "web"}, 0, "hi\n", ""},
		{[]string{"rm", "web"}, 0, "web\n", ""},
		{[]string{"ps", "-a", "-q"}, 0, "", ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			status, out, errs := md(t, root, tc.args...)
			okOut := out == tc.stdout
			if re, ok := strings.CutPrefix(tc.stdout, "~"); ok {
				okOut = regexp.MustCompile(re).MatchString(out)
			}
			wantErr := ""
			if tc.stderr != "" {
				wantErr = tc.stderr + "\n"
			}
			if status != tc.status || !okOut || errs != wantErr {
				t.Errorf("status %d stdout %q stderr %q\nwant %d %q %q", status, out, errs, tc.status, tc.stdout, wantErr)
			}
		})
	}
	// A name prefix shared by two ids is ambiguous.
	md(t, root, "run", "-d", "--name", "web2", "sleep", "100")
	_, out, _ = md(t, root, "ps", "-q")
	if status, _, errs := md(t, root, "stop", "-t", "0", strings.TrimSpace(out)[:1]); status != 0 && !strings.Contains(errs, "ambiguous") {
		t.Errorf("one-character prefix: %d %q", status, errs)
	}
}

// A prompt killed with SIGKILL leaves its detached containers running (and
// its foreground one dies with it, through the guard).
func TestPromptKilledLeavesDetached(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	t.Cleanup(func() { md(t, root, "rm", "-f", "bg", "fg") })
	cmd := mydocker("--root", root)
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	in.Write([]byte("run -d --name bg sleep 100\nrun --name fg sleep 100\n"))
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, out, _ := md(t, root, "ps", "-q"); strings.Count(out, "\n") == 2 {
			break
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	in.Close()
	var out string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, out, _ = md(t, root, "ps", "-a"); strings.Contains(out, "the mydocker running it was killed") {
			break
		}
	}
	if !regexp.MustCompile(`bg +- +"sleep 100" +.* Up `).MatchString(out) || !strings.Contains(out, "Exited (unknown): the mydocker running it was killed") {
		t.Errorf("after the prompt was killed:\n%s", out)
	}
	if status, out, errs := md(t, root, "stop", "-t", "0", "bg"); status != 0 || out != "bg\n" {
		t.Errorf("stop: %d %q %q", status, out, errs)
	}
}

// Post-stop hooks of a detached container fire once, after it ends, also
// when the mydocker that started it has long exited: its monitor runs
// `mydocker ... _finish ID`, which loads the plugins again.
func TestPostStopAfterPromptExit(t *testing.T) {
	requireRoot(t)
	root, dir := t.TempDir(), t.TempDir()
	plugin := filepath.Join(dir, "poststop-late")
	if out, err := exec.Command("go", "build", "-o", plugin, "./plugins/internal/testplugin").CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	cmd := mydocker("--root", root, "--plugin", plugin, "run", "-d", "--rm", "--name", "late", "sleep", "0.3")
	cmd.Env = append(cmd.Env, "TESTPLUGIN_DIR="+dir)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	mark := filepath.Join(dir, "poststop")
	if _, err := os.Stat(mark); err == nil {
		t.Fatal("post-stop fired before the container ended")
	}
	var got []byte
	for deadline := time.Now().Add(15 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, _ = os.ReadFile(mark); len(got) > 0 {
			if _, err := os.Stat(filepath.Join(root, "containers")); err == nil {
				if ents, _ := os.ReadDir(filepath.Join(root, "containers")); len(ents) <= 1 { // .lock only: --rm done
					break
				}
			}
		}
	}
	if string(got) != "late exited 0 0 \"\" map[] 0\n" {
		t.Errorf("post-stop hooks saw %q", got)
	}
	if ents, _ := os.ReadDir(filepath.Join(root, "containers")); len(ents) > 1 {
		t.Errorf("--rm left %v", ents)
	}
	time.Sleep(100 * time.Millisecond)
	if got2, _ := os.ReadFile(mark); !bytes.Equal(got, got2) {
		t.Errorf("post-stop fired again: %q", got2)
	}
	_ = syscall.Getpid
}

// `logs` replayed to a terminal drops what would make the terminal answer
// (the answer would land at the prompt as typed input); to a pipe it gives
// the log byte for byte.
func TestLogsToATerminalDropQueries(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	t.Cleanup(func() { md(t, root, "rm", "-f", "q") })
	md(t, root, "run", "-d", "--name", "q", "sh", "-c", `printf 'hi\033[6n\033[c\033[1mthere\033[0m\n'`)
	if status, out, errs := md(t, root, "wait", "q"); status != 0 || out != "0\n" {
		t.Fatalf("wait: %d %q %q", status, out, errs)
	}
	if _, out, _ := md(t, root, "logs", "q"); out != "hi\x1b[6n\x1b[c\x1b[1mthere\x1b[0m\n" {
		t.Errorf("logs to a pipe: %q", out)
	}
	kbd, tty, err := pty.Open()
	if err != nil {
		t.Fatal(err)
	}
	defer kbd.Close()
	cmd := mydocker("--root", root, "logs", "q")
	cmd.Stdout, cmd.Stderr = tty, tty
	err = cmd.Run()
	tty.Close()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]byte, 256)
	n, _ := kbd.Read(out)
	if got := string(out[:n]); got != "hi\x1b[1mthere\x1b[0m\r\n" {
		t.Errorf("logs to a terminal: %q", got)
	}
}

// top shows a command line a container wrote escape sequences into with
// those as '?': they reach no terminal.
func TestTopShowsCommandLinesPrintable(t *testing.T) {
	requireRoot(t)
	root := t.TempDir()
	t.Cleanup(func() { md(t, root, "rm", "-f", "esc") })
	md(t, root, "run", "-d", "--name", "esc", "sh", "-c", "sleep 100; :", "x\x1b[6n\x1b]0;pwned\x07")
	status, out, errs := md(t, root, "top", "esc")
	if status != 0 || !strings.Contains(out, "sh -c sleep 100; : x?[6n?]0;pwned?\n") || strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("top: %d %q %q", status, out, errs)
	}
}
