package plugins

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
	"github.com/mydocker/mydocker/plugins/sdk"
)

// syncBuffer is a goroutine-safe buffer for logs written by go-plugin.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// load starts a host over the named plugins, closed at the end of the test.
func load(t *testing.T, o Options, names ...string) (*Host, *syncBuffer) {
	t.Helper()
	requireRoot(t)
	logs := &syncBuffer{}
	for _, n := range names {
		o.Paths = append(o.Paths, pluginPath(n))
	}
	o.Stderr = logs
	h, err := Load(o)
	if err != nil {
		t.Fatalf("load %v: %v", names, err)
	}
	t.Cleanup(h.Close)
	return h, logs
}

type result struct {
	status      int
	out, stderr string
	err         error
}

// runIn runs `run` words in a real container with the host's hooks.
func runIn(t *testing.T, h *Host, words ...string) result {
	t.Helper()
	spec, err := cli.ParseRun(words)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	status, err := (&core.Runtime{Hooks: h}).Run(context.Background(), spec, core.Stdio{Out: &out, Err: &errb})
	return result{status, out.String(), errb.String(), err}
}

func TestLoadRefuses(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	notExec := filepath.Join(dir, "plain")
	os.WriteFile(notExec, []byte("x"), 0o644)
	silent := filepath.Join(dir, "silent")
	os.WriteFile(silent, []byte("#!/bin/sh\nsleep 60\n"), 0o755)
	chatty := filepath.Join(dir, "chatty")
	os.WriteFile(chatty, []byte("#!/bin/sh\necho hello there\n"), 0o755)
	tests := []struct {
		path, says string
	}{
		{filepath.Join(dir, "missing"), "missing: no such file or directory"},
		{dir, "is a directory"},
		{notExec, "not executable (mode 0644)"},
		{"/bin/true", "not a mydocker plugin: it exited without the plugin handshake"},
		{chatty, `not a mydocker plugin: it printed "hello there" instead of the plugin handshake`},
		{silent, "not a mydocker plugin: no plugin handshake within 3s"},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.path), func(t *testing.T) {
			// A good plugin first: it must be killed when a later one fails.
			_, err := Load(Options{Paths: []string{pluginPath("noop"), tc.path}, Stderr: &syncBuffer{}})
			if err == nil || !strings.Contains(err.Error(), tc.says) || !strings.Contains(err.Error(), "plugin "+tc.path) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line naming %s and saying %q", err, tc.path, tc.says)
			}
		})
	}
}

func TestPreCloneChainsInLoadOrder(t *testing.T) {
	for _, order := range [][]string{{"edit-a", "edit-b"}, {"edit-b", "edit-a"}} {
		h, _ := load(t, Options{}, order...)
		r := runIn(t, h, "-e", "CHAIN=", "sh", "-c", "echo $CHAIN")
		want := strings.TrimPrefix(order[0], "edit-") + strings.TrimPrefix(order[1], "edit-") + "\n"
		if r.err != nil || r.out != want {
			t.Errorf("order %v: out %q err %v, want %q", order, r.out, r.err, want)
		}
	}
}

func TestVetoEndsTheRun(t *testing.T) {
	h, _ := load(t, Options{}, "edit-a", "veto", "mark")
	r := runIn(t, h, "echo", "never")
	if r.status != 125 || r.out != "" || r.err == nil || r.err.Error() != "plugin veto: pre-clone: vetoed by the test policy" {
		t.Errorf("status %d out %q err %v", r.status, r.out, r.err)
	}
	var hookErr *sdk.HookError
	if !errors.As(r.err, &hookErr) {
		t.Errorf("a veto should unwrap to the plugin's sdk.HookError: %T", r.err)
	}
}

// The mark plugin writes a file at post-mount that the command then reads:
// proof that the hook ran after the init's mounts and before the command,
// with the pid of the container's init (still "mydocker init", in another
// pid namespace).
func TestPostMountRunsBeforeTheCommand(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TESTPLUGIN_DIR", dir)
	h, _ := load(t, Options{}, "mark")
	r := runIn(t, h, "cat", filepath.Join(dir, "mark"))
	if r.err != nil || !strings.HasPrefix(r.out, "cmdline=mydocker init  sameNS=false id=") {
		t.Errorf("out %q err %v", r.out, r.err)
	}
}

// A container's image (name and digest) reaches post-mount hooks.
func TestPostMountSeesTheImage(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TESTPLUGIN_DIR", dir)
	h, _ := load(t, Options{}, "mark")
	spec, err := cli.ParseRun([]string{"cat", filepath.Join(dir, "mark")})
	if err != nil {
		t.Fatal(err)
	}
	spec.Image, spec.ImageDigest = "127.0.0.1:5000/bb:latest", "sha256:0123"
	var out bytes.Buffer
	if _, err := (&core.Runtime{Hooks: h}).Run(context.Background(), spec, core.Stdio{Out: &out}); err != nil {
		t.Fatal(err)
	}
	if !strings.HasSuffix(out.String(), " image=127.0.0.1:5000/bb:latest@sha256:0123\n") {
		t.Errorf("post-mount saw %q", out.String())
	}
}

func TestCrashFailsClosedAndRestarts(t *testing.T) {
	t.Setenv("TESTPLUGIN_DIR", t.TempDir())
	h, logs := load(t, Options{}, "crash-once")
	r := runIn(t, h, "echo", "first")
	want := "plugin crash-once: pre-clone: the plugin exited during the hook; it restarts on the next run"
	if r.status != 125 || r.out != "" || r.err == nil || r.err.Error() != want {
		t.Errorf("first run: status %d out %q err %v", r.status, r.out, r.err)
	}
	r = runIn(t, h, "echo", "second")
	if r.err != nil || r.out != "second\n" {
		t.Errorf("second run after a crash: out %q err %v", r.out, r.err)
	}
	var rep bytes.Buffer
	h.Report(&rep)
	if !strings.Contains(rep.String(), "crash-once       running            2          1      2") || !strings.Contains(rep.String(), "last failure: the plugin exited during the hook") {
		t.Errorf("report:\n%s", rep.String())
	}
	if strings.Contains(logs.String(), "plugin process exited") {
		t.Errorf("go-plugin's own chatter reached the user:\n%s", logs)
	}
}

func TestPanicFailsTheRun(t *testing.T) {
	h, logs := load(t, Options{}, "panic-post")
	r := runIn(t, h, "echo", "never")
	if r.status != 125 || r.out != "" || r.err == nil || !strings.HasPrefix(r.err.Error(), "plugin panic-post: post-mount: ") {
		t.Errorf("status %d out %q err %v", r.status, r.out, r.err)
	}
	if !strings.Contains(logs.String(), "panic-post: panic: test panic in post-mount") {
		t.Errorf("the plugin's panic should reach stderr under its name:\n%s", logs)
	}
}

func TestHangIsCutAtTheTimeout(t *testing.T) {
	h, _ := load(t, Options{HookTimeout: 300 * time.Millisecond}, "hang-post")
	pid := h.plugins[0].cmd.Process.Pid
	r := runIn(t, h, "echo", "never")
	want := "plugin hang-post: post-mount: no answer within 300ms (--hook-timeout); plugin killed, it restarts on the next run"
	if r.status != 125 || r.out != "" || r.err == nil || r.err.Error() != want {
		t.Errorf("status %d out %q err %v", r.status, r.out, r.err)
	}
	if syscall.Kill(pid, 0) == nil {
		t.Errorf("hung plugin %d still running", pid)
	}
}

func TestPluginLogs(t *testing.T) {
	for _, debug := range []bool{false, true} {
		h, logs := load(t, Options{Debug: debug}, "log")
		if r := runIn(t, h, "true"); r.err != nil {
			t.Fatal(r.err)
		}
		h.Close() // flush
		got := logs.String()
		for _, want := range []string{"[INFO]  log: pre-clone seen: container=", "log: raw stdout line\n", "log: raw stderr line\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("debug=%v: logs lack %q:\n%s", debug, want, got)
			}
		}
		if strings.Contains(got, "debug detail") != debug || strings.Contains(got, "timestamp=") {
			t.Errorf("debug=%v: logs:\n%s", debug, got)
		}
	}
}

func TestCloseKillsPlugins(t *testing.T) {
	requireRoot(t)
	h, err := Load(Options{Paths: []string{pluginPath("noop"), pluginPath("noop2")}, Stderr: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	pids := []int{h.plugins[0].cmd.Process.Pid, h.plugins[1].cmd.Process.Pid}
	h.Close()
	for _, pid := range pids {
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("plugin %d survived Close", pid)
		}
	}
}

func TestDirPlugins(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"b-second", 0o755}, {"a-first", 0o755}, {"readme.txt", 0o644}} {
		os.WriteFile(filepath.Join(dir, f.name), nil, f.mode)
	}
	os.Mkdir(filepath.Join(dir, "c-dir"), 0o755)
	got, err := DirPlugins(dir)
	if err != nil || len(got) != 2 || filepath.Base(got[0]) != "a-first" || filepath.Base(got[1]) != "b-second" {
		t.Errorf("DirPlugins = %v, %v", got, err)
	}
	if _, err := DirPlugins(filepath.Join(dir, "nope")); err == nil {
		t.Error("a missing directory is an error")
	}
}

// With --rootfs, post-mount runs after the container's root, /proc and
// /dev are mounted and the init has pivoted into it, and State.Spec.Rootfs
// is that root as reachable from the host: what the plugin writes, the
// command reads.
func TestPostMountWritesIntoRootfs(t *testing.T) {
	h, _ := load(t, Options{}, "write-root")
	spec, err := cli.ParseRun([]string{"--rootfs", testrootfs.Busybox(t), "cat", "/etc/from-plugin"})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	status, err := (&core.Runtime{Hooks: h}).Run(context.Background(), spec, core.Stdio{Out: &out, Err: &out})
	if status != 0 || err != nil || out.String() != "written at post-mount\n" {
		t.Errorf("status %d err %v out %q", status, err, out.String())
	}
	if _, err := os.Stat(filepath.Join(testrootfs.Busybox(t), "etc", "from-plugin")); err == nil {
		t.Error("the plugin's write reached the --rootfs directory itself")
	}
}
