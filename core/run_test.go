package core_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
)

type result struct {
	status         int
	stdout, stderr string
	err            error
}

// runIn runs a container from `run` words, as the CLI would, with buffers
// for its output.
func runIn(t *testing.T, stdin string, words ...string) result {
	t.Helper()
	return runWith(t, context.Background(), core.Stdio{In: strings.NewReader(stdin)}, words...)
}

func runWith(t *testing.T, ctx context.Context, stdio core.Stdio, words ...string) result {
	t.Helper()
	requireRoot(t)
	spec, err := cli.ParseRun(words)
	if err != nil {
		t.Fatalf("ParseRun(%q): %v", words, err)
	}
	var out, errb bytes.Buffer
	stdio.Out, stdio.Err = &out, &errb
	status, err := (&core.Runtime{}).Run(ctx, spec, stdio)
	return result{status, out.String(), errb.String(), err}
}

func readlinks(t *testing.T, names ...string) string {
	var b strings.Builder
	for _, n := range names {
		l, err := os.Readlink("/proc/self/ns/" + n)
		if err != nil {
			t.Fatal(err)
		}
		b.WriteString(l + "\n")
	}
	return b.String()
}

func TestIsolation(t *testing.T) {
	host, _ := os.Hostname()
	tests := []struct {
		name  string
		words []string
		want  string
	}{
		{"command is PID 1", []string{"sh", "-c", "echo $$"}, "1\n"},
		{"PID 1 is alone", []string{"sh", "-c", "echo /proc/[0-9]*"}, "/proc/1\n"},
		{"hostname flag", []string{"--hostname", "box-1.lab", "hostname"}, "box-1.lab\n"},
		{"hostname change stays inside", []string{"--cap-add", "SYS_ADMIN", "sh", "-c", "hostname changed && hostname"}, "changed\n"},
		{"hostname change needs SYS_ADMIN", []string{"sh", "-c", "hostname changed 2>/dev/null || echo denied"}, "denied\n"},
		{"only lo in the network namespace", []string{"sh", "-c", "tail -n +3 /proc/net/dev | cut -d: -f1 | tr -d ' '"}, "lo\n"},
		{"proc is mounted nosuid,noexec,nodev", []string{"sh", "-c", "grep -o ' /proc [^ ]*' /proc/self/mountinfo | tail -n 1"}, " /proc rw,nosuid,nodev,noexec,relatime\n"},
		// ls itself is the command: its own fds, plus 3 for the directory it reads.
		{"no descriptor leaks into the command", []string{"ls", "/proc/self/fd"}, "0\n1\n2\n3\n"},
		{"stdin is empty without -i", []string{"cat"}, ""},
		{"stdin is attached with -i", []string{"-i", "cat"}, "typed input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runIn(t, "typed input", tc.words...)
			if r.err != nil || r.status != 0 {
				t.Fatalf("status %d, err %v, stderr %q", r.status, r.err, r.stderr)
			}
			if r.stdout != tc.want {
				t.Errorf("stdout %q, want %q", r.stdout, tc.want)
			}
		})
	}
	if now, _ := os.Hostname(); now != host {
		t.Errorf("host hostname changed to %q", now)
	}
}

func TestNamespacesAreNew(t *testing.T) {
	names := []string{"uts", "pid", "mnt", "net", "ipc"}
	hostNs := readlinks(t, names...)
	args := []string{"readlink"}
	for _, n := range names {
		args = append(args, "/proc/self/ns/"+n)
	}
	r := runIn(t, "", args...)
	if r.err != nil || r.status != 0 {
		t.Fatalf("status %d, err %v", r.status, r.err)
	}
	host, ctr := strings.Split(hostNs, "\n"), strings.Split(r.stdout, "\n")
	for i, n := range names {
		if host[i] == ctr[i] {
			t.Errorf("%s namespace shared with the host: %s", n, ctr[i])
		}
	}
}

func TestDefaultHostnameIsID(t *testing.T) {
	requireRoot(t)
	spec, err := cli.ParseRun([]string{"hostname"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if _, err := (&core.Runtime{}).Run(context.Background(), spec, core.Stdio{Out: &out}); err != nil {
		t.Fatal(err)
	}
	if out.String() != core.ShortID(spec.ID)+"\n" || len(spec.ID) != 64 {
		t.Errorf("hostname %q, id %q", out.String(), spec.ID)
	}
}

func TestArgvIsPassedIntact(t *testing.T) {
	args := []string{"a b", "", "'single'", `"double"`, "tab\there", "$HOME", "*", "new\nline", "back\\slash", "ünï"}
	r := runIn(t, "", append([]string{"printf", "[%s]"}, args...)...)
	want := "[" + strings.Join(args, "][") + "]"
	if r.stdout != want {
		t.Errorf("got %q, want %q", r.stdout, want)
	}
}

func TestEnvironment(t *testing.T) {
	t.Setenv("MYDOCKER_TEST_COPY", "copied")
	t.Setenv("MYDOCKER_TEST_LEAK", "leaked")
	r := runIn(t, "", "--hostname", "envbox", "-e", "A=1", "-e", "B=x=y", "-e", "PATH=/bin:/usr/bin", "-e", "MYDOCKER_TEST_COPY", "-e", "UNSET_IN_CALLER_XYZ", "-e", "EMPTY=", "env")
	want := "HOSTNAME=envbox\nHOME=/root\nA=1\nB=x=y\nPATH=/bin:/usr/bin\nMYDOCKER_TEST_COPY=copied\nEMPTY=\n"
	if r.stdout != want {
		t.Errorf("env:\n%s\nwant:\n%s", r.stdout, want)
	}
}

func TestExitStatus(t *testing.T) {
	tests := []struct {
		name    string
		words   []string
		status  int
		errKind error // nil: the command ran
		errText string
	}{
		{"success", []string{"true"}, 0, nil, ""},
		{"command's own status", []string{"sh", "-c", "exit 3"}, 3, nil, ""},
		{"status 255", []string{"sh", "-c", "exit 255"}, 255, nil, ""},
		{"not found on PATH", []string{"no-such-command-xyz"}, 127, core.ErrCommandNotFound, `exec "no-such-command-xyz": executable file not found in $PATH`},
		{"not found by path", []string{"/no/such/file"}, 127, core.ErrCommandNotFound, `exec "/no/such/file": no such file or directory`},
		{"not executable", []string{"/etc/passwd"}, 126, core.ErrCommandNotExecutable, `exec "/etc/passwd": permission denied`},
		{"a directory", []string{"/tmp"}, 126, core.ErrCommandNotExecutable, `exec "/tmp": permission denied`},
		{"PATH lookup uses the container's PATH", []string{"-e", "PATH=/nonexistent", "true"}, 127, core.ErrCommandNotFound, "not found in $PATH"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runIn(t, "", tc.words...)
			if r.status != tc.status {
				t.Errorf("status %d, want %d (err %v)", r.status, tc.status, r.err)
			}
			if tc.errKind == nil {
				if r.err != nil {
					t.Errorf("unexpected error %v", r.err)
				}
				return
			}
			if !errors.Is(r.err, tc.errKind) || !strings.Contains(r.err.Error(), tc.errText) || strings.Contains(r.err.Error(), "\n") {
				t.Errorf("error %q, want one line with %q matching %v", r.err, tc.errText, tc.errKind)
			}
			if core.ExitCode(r.err) != tc.status {
				t.Errorf("ExitCode(err) = %d, want %d", core.ExitCode(r.err), tc.status)
			}
		})
	}
}

func TestSignals(t *testing.T) {
	t.Run("death by signal is 128+N", func(t *testing.T) {
		sigs := make(chan os.Signal, 1)
		sigs <- syscall.SIGKILL
		r := runWith(t, context.Background(), core.Stdio{Signals: sigs}, "sleep", "100")
		if r.status != 137 || r.err != nil {
			t.Errorf("status %d err %v, want 137", r.status, r.err)
		}
	})
	t.Run("forwarded signal reaches the command", func(t *testing.T) {
		sigs := make(chan os.Signal, 1)
		stop := make(chan struct{})
		defer close(stop)
		go func() { // PID 1 ignores SIGTERM until its trap is set: repeat
			for {
				select {
				case <-stop:
					return
				case <-time.After(20 * time.Millisecond):
					select {
					case sigs <- syscall.SIGTERM:
					default:
					}
				}
			}
		}()
		r := runWith(t, context.Background(), core.Stdio{Signals: sigs}, "sh", "-c", `trap "exit 7" TERM; while :; do sleep 0.01; done`)
		if r.status != 7 {
			t.Errorf("status %d (err %v), want 7 from the trap", r.status, r.err)
		}
	})
	t.Run("cancelled context kills the container", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		go func() { time.Sleep(50 * time.Millisecond); cancel() }()
		r := runWith(t, ctx, core.Stdio{}, "sleep", "100")
		if r.status != 137 {
			t.Errorf("status %d, want 137", r.status)
		}
	})
}

func TestTTYNeedsTerminal(t *testing.T) {
	r := runIn(t, "", "-t", "true")
	if !errors.Is(r.err, core.ErrNotATerminal) || r.status != 125 {
		t.Errorf("status %d err %v, want 125 and core.ErrNotATerminal", r.status, r.err)
	}
}

// TestLargeArgv sends a step list larger than one packet, which travels
// after the clone in several chunks.
func TestLargeArgv(t *testing.T) {
	args := []string{"sh", "-c", `echo $# ${#1} "$(printf %s "$@" | wc -c)"`, "sh"}
	for i := 0; i < 3000; i++ {
		args = append(args, strings.Repeat(string(rune('a'+i%26)), 100))
	}
	r := runIn(t, "", args...)
	if r.err != nil || r.stdout != "3000 100 300000\n" {
		t.Errorf("stdout %q err %v", r.stdout, r.err)
	}
}
