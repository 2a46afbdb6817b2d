package plugins

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// Any status a hook returns is a veto in the plugin's words, whatever its
// code; the plugin is not treated as crashed (not restarted).
func TestAnyStatusIsAVeto(t *testing.T) {
	h, _ := load(t, Options{}, "deny-perm")
	for range 2 {
		r := runIn(t, h, "echo", "never")
		if r.status != 125 || r.err == nil || r.err.Error() != "plugin deny-perm: pre-clone: denied with PERMISSION_DENIED" {
			t.Errorf("status %d err %v", r.status, r.err)
		}
	}
	if rep := h.plugins[0].report(); rep.starts != 1 || rep.state != "running" {
		t.Errorf("a veto restarted or stopped the plugin: %+v", rep)
	}
}

// A plugin's message reaches the user as one safe line of at most 512
// bytes: newlines and escape sequences escaped.
func TestVetoMessageIsOneSafeLine(t *testing.T) {
	h, _ := load(t, Options{}, "noisy-veto")
	r := runIn(t, h, "echo", "never")
	if r.err == nil {
		t.Fatal("no veto")
	}
	msg := r.err.Error()
	want := `plugin noisy-veto: pre-clone: first line\nsecond line \x1b[31mred\x1b[0m xxx`
	if !strings.HasPrefix(msg, want) || strings.ContainsAny(msg, "\n\x1b") || len(msg) > 512+len("plugin noisy-veto: pre-clone: ") || !strings.HasSuffix(msg, "...") {
		t.Errorf("veto message (%d bytes): %.200q...", len(msg), msg)
	}
}

// Close shuts plugins down gracefully: code after sdk.Serve runs. Their
// sockets live in a private directory that Close removes: nothing is left
// in the temporary directory.
func TestGracefulShutdown(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("TESTPLUGIN_DIR", dir)
	h, _ := load(t, Options{}, "after-serve", "noop")
	if info, err := os.Stat(h.socketDir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("socket directory %s: %v %v", h.socketDir, info.Mode(), err)
	}
	if sockets, _ := filepath.Glob(filepath.Join(h.socketDir, "plugin*")); len(sockets) != 2 {
		t.Errorf("the plugins' sockets are not in the private directory: %v", sockets)
	}
	socketDir := h.socketDir
	h.Close()
	if _, err := os.Stat(filepath.Join(dir, "after-serve")); err != nil {
		t.Errorf("the code after Serve did not run: %v", err)
	}
	if _, err := os.Stat(socketDir); err == nil {
		t.Errorf("socket directory %s left behind", socketDir)
	}
}

// A plugin file, or its directory, that someone else could have written is
// refused, as sudo and sshd refuse such files; so is a file whose sha256
// is not the one pinned.
func TestPluginTrust(t *testing.T) {
	requireRoot(t)
	src, err := os.ReadFile(pluginPath("noop"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	good := filepath.Join(dir, "good")
	os.WriteFile(good, src, 0o755)
	loose := filepath.Join(dir, "loose")
	os.WriteFile(loose, src, 0o755)
	os.Chmod(loose, 0o777)
	foreign := filepath.Join(dir, "foreign")
	os.WriteFile(foreign, src, 0o755)
	os.Chown(foreign, 65534, 65534)
	open := filepath.Join(t.TempDir(), "open")
	os.Chmod(filepath.Dir(open), 0o777)
	os.WriteFile(open, src, 0o755)
	sum := sha256.Sum256(src)
	tests := []struct {
		path, says string
	}{
		{loose, "refused: the file is writable by group or others (mode 0777)"},
		{foreign, "refused: the file is owned by uid 65534, not root"},
		{open, "refused: its directory " + filepath.Dir(open) + " is writable by group or others (mode 0777)"},
		{good + "@sha256:" + strings.Repeat("0", 64), "refused: its sha256 is not the one pinned with @sha256:"},
		{good + "@sha256:abc", "the pin must be @sha256: and 64 hex digits"},
	}
	for _, tc := range tests {
		_, err := Load(Options{Paths: []string{tc.path}, Stderr: &syncBuffer{}})
		if err == nil || !strings.Contains(err.Error(), tc.says) {
			t.Errorf("%s: %v, want it to say %q", filepath.Base(tc.path), err, tc.says)
		}
	}
	h, err := Load(Options{Paths: []string{good + "@sha256:" + hex.EncodeToString(sum[:])}, Stderr: &syncBuffer{}})
	if err != nil {
		t.Fatalf("the pinned plugin: %v", err)
	}
	h.Close()
}

// --plugin-dir never loads a dotfile, and refuses a directory others can
// write.
func TestDirPluginsTrust(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []struct {
		name string
		mode os.FileMode
	}{{"b-second", 0o755}, {"a-first", 0o755}, {".hidden", 0o755}, {"notes.txt", 0o644}} {
		os.WriteFile(filepath.Join(dir, f.name), nil, f.mode)
	}
	os.Mkdir(filepath.Join(dir, "subdir"), 0o755)
	got, err := DirPlugins(dir)
	want := []string{filepath.Join(dir, "a-first"), filepath.Join(dir, "b-second")}
	if err != nil || !slices.Equal(got, want) {
		t.Errorf("DirPlugins = %v, %v; want %v", got, err, want)
	}
	os.Chmod(dir, 0o777)
	if _, err := DirPlugins(dir); err == nil || !strings.Contains(err.Error(), "writable by group or others") {
		t.Errorf("a world-writable plugin directory: %v", err)
	}
}

// --plugin-start-timeout bounds the handshake.
func TestStartTimeout(t *testing.T) {
	requireRoot(t)
	silent := filepath.Join(t.TempDir(), "silent")
	os.WriteFile(silent, []byte("#!/bin/sh\nsleep 60\n"), 0o755)
	_, err := Load(Options{Paths: []string{silent}, StartTimeout: 300 * time.Millisecond, Stderr: &syncBuffer{}})
	if err == nil || !strings.Contains(err.Error(), "no plugin handshake within 300ms") {
		t.Errorf("err %v", err)
	}
}

// An image whose /etc/from-plugin is a symlink to a host path: the
// plugin, writing through sdk.Root, writes inside the container, and the
// host's file is untouched.
func TestPostMountWriteThroughHostileSymlink(t *testing.T) {
	h, _ := load(t, Options{}, "write-root")
	// A host file straight in /tmp, a directory the container has too: the
	// link resolved inside the container names its own /tmp/<same name>.
	f, err := os.CreateTemp("", "mydocker-hostile-")
	if err != nil {
		t.Fatal(err)
	}
	host := f.Name()
	f.WriteString("host\n")
	f.Close()
	defer os.Remove(host)
	rootfs := filepath.Join(t.TempDir(), "hostile")
	if out, err := exec.Command("bash", "../scripts/mkrootfs.sh", rootfs).CombinedOutput(); err != nil {
		t.Fatalf("mkrootfs: %v %s", err, out)
	}
	os.Symlink(host, filepath.Join(rootfs, "etc", "from-plugin"))
	spec, err := cli.ParseRun([]string{"--rootfs", rootfs, "sh", "-c", "cat /etc/from-plugin " + host})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	status, err := (&core.Runtime{Hooks: h}).Run(context.Background(), spec, core.Stdio{Out: &out, Err: &out})
	if status != 0 || err != nil || out.String() != "written at post-mount\nwritten at post-mount\n" {
		t.Errorf("status %d err %v out %q", status, err, out.String())
	}
	if b, _ := os.ReadFile(host); string(b) != "host\n" {
		t.Errorf("the plugin's write reached the host's file: %q", b)
	}
}

// An answer that leaves fields empty leaves them as they were: the
// container keeps its own root, its command and its environment.
func TestEmptyFieldsAreUnchanged(t *testing.T) {
	h, _ := load(t, Options{}, "clear-all")
	r := runIn(t, h, "--rootfs", testrootfs.Busybox(t), "-e", "KEPT=yes", "sh", "-c", "echo $KEPT; ls /bin/busybox")
	if r.err != nil || r.out != "yes\n/bin/busybox\n" {
		t.Errorf("status %d err %v out %q", r.status, r.err, r.out)
	}
}

// An invalid edit is refused, naming the plugin that made it.
func TestInvalidEditNamesThePlugin(t *testing.T) {
	h, _ := load(t, Options{}, "edit-a", "bad-host")
	r := runIn(t, h, "true")
	if r.status != 125 || r.err == nil || !strings.HasPrefix(r.err.Error(), `plugin bad-host: pre-clone: its edit is refused: invalid hostname "bad_host"`) {
		t.Errorf("status %d err %v", r.status, r.err)
	}
}

// ^C during a hook cancels it at once: the run ends with 130, not after
// --hook-timeout.
func TestInterruptCancelsAHook(t *testing.T) {
	h, _ := load(t, Options{HookTimeout: time.Minute}, "hang-post")
	spec, err := cli.ParseRun([]string{"true"})
	if err != nil {
		t.Fatal(err)
	}
	sigs := make(chan os.Signal, 1)
	go func() {
		time.Sleep(300 * time.Millisecond)
		sigs <- syscall.SIGINT
	}()
	status, err := (&core.Runtime{Hooks: h}).Run(context.Background(), spec, core.Stdio{Signals: sigs})
	if status != 130 || !errors.Is(err, core.ErrCancelled) {
		t.Errorf("status %d err %v", status, err)
	}
}

// With --debug, each plugin's edit is shown, naming the plugin.
func TestDebugShowsEdits(t *testing.T) {
	h, logs := load(t, Options{Debug: true}, "edit-a", "noop")
	runIn(t, h, "-e", "CHAIN=x", "true")
	if !strings.Contains(logs.String(), `edit-a: debug: pre-clone changed env`) || !strings.Contains(logs.String(), `"CHAIN=xa"`) || strings.Contains(logs.String(), "noop: debug: pre-clone changed") {
		t.Errorf("debug log:\n%s", logs)
	}
}

// A hook that honours its context gives up at the deadline and is left
// running; one that does not is killed after the grace.
func TestHookThatHonoursItsDeadlineIsNotKilled(t *testing.T) {
	h, _ := load(t, Options{HookTimeout: 300 * time.Millisecond}, "patient")
	r := runIn(t, h, "true")
	if r.status != 125 || r.err == nil || r.err.Error() != "plugin patient: pre-clone: no answer within 300ms (--hook-timeout); the hook gave up" {
		t.Errorf("status %d err %v", r.status, r.err)
	}
	if rep := h.plugins[0].report(); rep.starts != 1 || rep.state != "running" {
		t.Errorf("the plugin was stopped: %+v", rep)
	}
}

// A mydocker killed with SIGKILL cannot remove its plugins' socket
// directory; the next Host does, and never one of a live process.
func TestStaleSocketDirsAreSwept(t *testing.T) {
	dead := exec.Command("true")
	if err := dead.Run(); err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(os.TempDir(), fmt.Sprintf("%s%d-test", socketDirPrefix, dead.Process.Pid))
	live := filepath.Join(os.TempDir(), fmt.Sprintf("%s%d-test", socketDirPrefix, os.Getpid()))
	for _, d := range []string{stale, live} {
		os.Mkdir(d, 0o700)
	}
	defer os.RemoveAll(live)
	defer os.RemoveAll(stale)
	load(t, Options{}, "noop")
	if _, err := os.Stat(stale); err == nil {
		t.Error("the dead mydocker's socket directory was not swept")
	}
	if _, err := os.Stat(live); err != nil {
		t.Error("a live process's socket directory was swept")
	}
}
