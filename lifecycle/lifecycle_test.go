package lifecycle

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/store"
)

func spec(args ...string) *core.Spec {
	id := core.NewID()
	return &core.Spec{ID: id, Args: args, Hostname: core.ShortID(id), Env: core.DefaultEnv(core.ShortID(id), false)}
}

// runDetached starts args as a detached container named name.
func runDetached(t *testing.T, m *Manager, name string, s *core.Spec) *store.Container {
	t.Helper()
	var stderr bytes.Buffer
	if _, err := m.Run(context.Background(), s, RunOptions{Name: name, Detach: true}, core.Stdio{Err: &stderr}); err != nil {
		t.Fatalf("run -d: %v (%s)", err, stderr.String())
	}
	c, err := m.Store.Resolve(name)
	if err != nil || !c.Running() {
		t.Fatalf("after run -d: %v %+v", err, c)
	}
	return c
}

// waitLog waits until a detached container has written want.
func waitLog(t *testing.T, m *Manager, ref, want string) {
	t.Helper()
	var out bytes.Buffer
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		out.Reset()
		if err := m.Logs(context.Background(), ref, LogOptions{Tail: -1}, &out, &out); err == nil && out.String() == want {
			return
		}
	}
	t.Fatalf("%s wrote %q, not %q", ref, out.String(), want)
}

func execOut(t *testing.T, m *Manager, ref string, e *core.ExecSpec) (int, string) {
	t.Helper()
	var out, errb bytes.Buffer
	status, err := m.Exec(context.Background(), ref, e, core.Stdio{Out: &out, Err: &errb})
	if err != nil {
		t.Fatalf("exec %q: %v (%s)", e.Args, err, errb.String())
	}
	return status, out.String()
}

// statusField reads one line of /proc/PID/status.
func statusField(status, key string) string {
	for _, line := range strings.Split(status, "\n") {
		if v, ok := strings.CutPrefix(line, key+":"); ok {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// An exec'd command is inside everything its container is: every
// namespace, the cgroup, the root, the same security.
func TestExecEntersTheContainer(t *testing.T) {
	m := newManager(t)
	s := spec("/bin/sh", "-c", "echo ready; exec sleep 100")
	s.Limits.Pids = 64
	s.Hostname = "box1"
	c := runDetached(t, m, "box", s)
	pid1, _ := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.Pid))
	tests := []struct {
		name string
		e    core.ExecSpec
		want func(out string) error
	}{
		{"namespaces", core.ExecSpec{Args: []string{"/bin/sh", "-c", "for n in cgroup ipc mnt net pid uts; do readlink /proc/self/ns/$n; done"}}, func(out string) error {
			for _, n := range []string{"cgroup", "ipc", "mnt", "net", "pid", "uts"} {
				want, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/%s", c.Pid, n))
				if !strings.Contains(out, want) {
					return fmt.Errorf("not in the container's %s namespace (%s)", n, want)
				}
			}
			return nil
		}},
		{"pid 1 is the container's", core.ExecSpec{Args: []string{"cat", "/proc/1/cmdline"}}, func(out string) error {
			if !strings.HasPrefix(out, "sleep\x00100") {
				return fmt.Errorf("pid 1 is %q", out)
			}
			return nil
		}},
		{"hostname", core.ExecSpec{Args: []string{"hostname"}}, func(out string) error {
			if out != "box1\n" {
				return fmt.Errorf("hostname %q", out)
			}
			return nil
		}},
		{"cgroup", core.ExecSpec{Args: []string{"cat", "/proc/self/cgroup"}}, func(out string) error {
			if !strings.Contains(out, ":pids:/\n") && !strings.Contains(out, "0::/\n") {
				return fmt.Errorf("not at its cgroup namespace's root: %s", out)
			}
			hostView, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", c.Pid))
			if !strings.Contains(string(hostView), c.ID) {
				return fmt.Errorf("PID 1 not in the container's cgroup: %s", hostView)
			}
			return nil
		}},
		{"security as PID 1", core.ExecSpec{Args: []string{"cat", "/proc/self/status"}}, func(out string) error {
			for _, k := range []string{"CapEff", "CapPrm", "CapBnd", "CapInh", "CapAmb", "Seccomp", "NoNewPrivs", "Uid"} {
				if got, want := statusField(out, k), statusField(string(pid1), k); got != want || got == "" {
					return fmt.Errorf("%s %q, PID 1 has %q", k, got, want)
				}
			}
			return nil
		}},
		{"user", core.ExecSpec{Args: []string{"id", "-u"}, User: "65534"}, func(out string) error {
			if out != "65534\n" {
				return fmt.Errorf("uid %q", out)
			}
			return nil
		}},
		{"env and workdir", core.ExecSpec{Args: []string{"/bin/sh", "-c", "echo $FOO; pwd"}, Env: []string{"FOO=bar"}, WorkDir: "/tmp"}, func(out string) error {
			if out != "bar\n/tmp\n" {
				return fmt.Errorf("got %q", out)
			}
			return nil
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if status, out := execOut(t, m, "box", &tc.e); status != 0 {
				t.Errorf("status %d: %s", status, out)
			} else if err := tc.want(out); err != nil {
				t.Error(err)
			}
		})
	}
	if status, _ := execOut(t, m, "box", &core.ExecSpec{Args: []string{"sh", "-c", "exit 7"}}); status != 7 {
		t.Errorf("exec's status %d, want 7", status)
	}
	_, err := m.Exec(context.Background(), "box", &core.ExecSpec{Args: []string{"no-such-command"}}, core.Stdio{})
	if !errors.Is(err, core.ErrCommandNotFound) {
		t.Errorf("exec of a missing command: %v", err)
	}
}

// stop gives a container that ignores SIGTERM its grace, then kills it.
func TestStopIgnoringSIGTERM(t *testing.T) {
	m := newManager(t)
	c := runDetached(t, m, "stubborn", spec("/bin/sh", "-c", "trap '' TERM; echo ready; while :; do sleep 0.05; done"))
	waitLog(t, m, "stubborn", "ready\n")
	began := time.Now()
	got, err := m.Stop(context.Background(), c.Name, 500*time.Millisecond)
	took := time.Since(began)
	if err != nil || got.Exit == nil || got.Exit.ExitCode != 137 || got.Exit.Signal != 9 {
		t.Fatalf("stop: %v %+v", err, got.Exit)
	}
	if took < 500*time.Millisecond {
		t.Errorf("stop did not wait for the grace (%v)", took)
	}
	if w, err := m.Wait(context.Background(), c.Name); err != nil || w.Exit.ExitCode != 137 {
		t.Errorf("wait: %v %+v", err, w)
	}
	if _, err := m.Stop(context.Background(), c.Name, time.Second); err != nil {
		t.Errorf("stop of an ended container: %v", err)
	}
	_, err = m.Exec(context.Background(), c.Name, &core.ExecSpec{Args: []string{"true"}}, core.Stdio{})
	if !errors.Is(err, core.ErrNotRunning) || err.Error() != "container stubborn is not running" {
		t.Errorf("exec into an ended container: %v", err)
	}
	in, err := m.Inspect(c.ID[:8])
	if err != nil || in.State.Status != store.Exited || *in.State.ExitCode != 137 || in.State.FinishedAt.IsZero() || in.LogPath == "" {
		t.Errorf("inspect: %v %+v", err, in)
	}
}

func TestKillWaitRemove(t *testing.T) {
	m := newManager(t)
	s := spec("/bin/sh", "-c", "trap 'exit 3' TERM; echo ready; while :; do sleep 0.05; done")
	s.Limits.Memory = 32 << 20
	c := runDetached(t, m, "sleeper", s)
	waitLog(t, m, "sleeper", "ready\n")
	if _, err := m.Remove(context.Background(), "sleeper", false); !errors.Is(err, ErrRunning) {
		t.Errorf("rm of a running container: %v", err)
	}
	done := make(chan *store.Container)
	go func() {
		w, _ := m.Wait(context.Background(), "sleeper")
		done <- w
	}()
	if _, err := m.Kill("sleeper", syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if w := <-done; w == nil || w.Exit == nil || w.Exit.ExitCode != 3 {
		t.Errorf("wait after kill -s TERM: %+v", w)
	}
	if _, err := m.Kill("sleeper", syscall.SIGTERM); !errors.Is(err, core.ErrNotRunning) {
		t.Errorf("kill of an ended container: %v", err)
	}
	if _, err := m.Remove(context.Background(), "sleeper", false); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(c.Dir); err == nil {
		t.Error("rm left the state directory")
	}
	if _, err := m.Store.Resolve("sleeper"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after rm: %v", err)
	}
}

// rm -f kills a running container and leaves nothing.
func TestRemoveForce(t *testing.T) {
	m := newManager(t)
	s := spec("sleep", "100")
	s.Limits.Pids = 10
	c := runDetached(t, m, "doomed", s)
	if _, err := m.Remove(context.Background(), "doomed", true); err != nil {
		t.Fatal(err)
	}
	if core.ProcAlive(c.Pid, c.PidStart) {
		t.Error("rm -f left the container running")
	}
}

func TestLogs(t *testing.T) {
	m := newManager(t)
	runDetached(t, m, "talker", spec("/bin/sh", "-c", "echo one; echo two >&2; printf three; sleep 0.3; echo ' four'; echo five"))
	var out, errb bytes.Buffer
	if err := m.Logs(context.Background(), "talker", LogOptions{Follow: true, Tail: -1}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	if out.String() != "one\nthree four\nfive\n" || errb.String() != "two\n" {
		t.Errorf("logs -f: stdout %q stderr %q", out.String(), errb.String())
	}
	tests := []struct {
		o    LogOptions
		want string
	}{
		{LogOptions{Tail: 1}, "five\n"},
		{LogOptions{Tail: 2}, "three four\nfive\n"},
		{LogOptions{Tail: 0}, ""},
	}
	for _, tc := range tests {
		out.Reset()
		if err := m.Logs(context.Background(), "talker", tc.o, &out, &bytes.Buffer{}); err != nil || out.String() != tc.want {
			t.Errorf("logs --tail %d: %q %v, want %q", tc.o.Tail, out.String(), err, tc.want)
		}
	}
	out.Reset()
	m.Logs(context.Background(), "talker", LogOptions{Tail: 1, Timestamps: true}, &out, &bytes.Buffer{})
	if ts, text, _ := strings.Cut(out.String(), " "); text != "five\n" || !strings.HasSuffix(ts, "Z") {
		t.Errorf("--timestamps: %q", out.String())
	}
}

// The log is capped: at the cap it is rotated, and two files at most kept.
func TestLogRotation(t *testing.T) {
	m := newManager(t)
	s := spec("/bin/sh", "-c", "i=0; while [ $i -lt 3000 ]; do echo line $i; i=$((i+1)); done")
	if _, err := m.Run(context.Background(), s, RunOptions{Name: "chatty", Detach: true}, core.Stdio{}); err != nil {
		t.Fatal(err)
	}
	w, err := m.Wait(context.Background(), "chatty")
	if err != nil || w.Exit.ExitCode != 0 {
		t.Fatalf("wait: %v", err)
	}
	// 3000 records of about 50 bytes: under the default cap, one file.
	if _, err := os.Stat(filepath.Join(w.Dir, core.OldLogFile)); err == nil {
		t.Error("rotated below the cap")
	}
	var out bytes.Buffer
	m.Logs(context.Background(), "chatty", LogOptions{Tail: 1}, &out, &out)
	if out.String() != "line 2999\n" {
		t.Errorf("last line %q", out.String())
	}
}

// A foreground run is a container too: listed while it runs, recorded after.
func TestForegroundIsListed(t *testing.T) {
	m := newManager(t)
	s := spec("sleep", "0.5")
	done := make(chan int)
	go func() {
		status, _ := m.Run(context.Background(), s, RunOptions{Name: "fg"}, core.Stdio{})
		done <- status
	}()
	var c *store.Container
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if c, _ = m.Store.Resolve("fg"); c != nil && c.Running() {
			break
		}
	}
	if c == nil || !c.Running() || c.Detached {
		t.Fatalf("a foreground container is not listed as running: %+v", c)
	}
	if err := m.Logs(context.Background(), "fg", LogOptions{}, &bytes.Buffer{}, &bytes.Buffer{}); !errors.Is(err, ErrNoLogs) {
		t.Errorf("logs of a foreground container: %v", err)
	}
	if status := <-done; status != 0 {
		t.Errorf("status %d", status)
	}
	if c, _ = m.Store.Resolve("fg"); c == nil || c.Exit == nil || c.Exit.ExitCode != 0 {
		t.Errorf("after the run: %+v", c)
	}
}

// --rm forgets a container when it ends: in the foreground at once, and
// detached through the monitor's _finish.
func TestAutoRemove(t *testing.T) {
	m := newManager(t)
	if status, err := m.Run(context.Background(), spec("true"), RunOptions{Name: "fgrm", Remove: true}, core.Stdio{}); status != 0 || err != nil {
		t.Fatal(status, err)
	}
	if _, err := m.Store.Resolve("fgrm"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("foreground --rm: %v", err)
	}
	s := spec("sleep", "0.1")
	if _, err := m.Run(context.Background(), s, RunOptions{Name: "bgrm", Detach: true, Remove: true}, core.Stdio{}); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(m.Store.Dir(s.ID)); err != nil {
			return
		}
	}
	t.Error("run -d --rm: the container was not removed after it ended")
}

func TestLastLines(t *testing.T) {
	rec := func(stream string, tag byte, text string) record {
		return record{stderr: stream == "err", partial: tag == 'P', text: []byte(text)}
	}
	// out: "a", "bc" (b partial, interleaved with err's "x"), err: "x", out: "d"
	recs := []record{rec("out", 'F', "a"), rec("out", 'P', "b"), rec("err", 'F', "x"), rec("out", 'F', "c"), rec("out", 'F', "d")}
	tests := []struct {
		n    int
		want string
	}{
		{0, ""}, {1, "d"}, {2, "b c d"}, {3, "b x c d"}, {4, "a b x c d"}, {9, "a b x c d"},
	}
	for _, tc := range tests {
		var got []string
		for _, r := range lastLines(recs, tc.n) {
			got = append(got, string(r.text))
		}
		if strings.Join(got, " ") != tc.want {
			t.Errorf("last %d: %q, want %q", tc.n, strings.Join(got, " "), tc.want)
		}
	}
}
