package plugins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
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
	before, _ := filepath.Glob(filepath.Join(os.TempDir(), "plugin*"))
	h, _ := load(t, Options{}, "after-serve", "noop")
	if info, err := os.Stat(h.socketDir); err != nil || info.Mode().Perm() != 0o700 {
		t.Errorf("socket directory %s: %v %v", h.socketDir, info.Mode(), err)
	}
	socketDir := h.socketDir
	h.Close()
	if _, err := os.Stat(filepath.Join(dir, "after-serve")); err != nil {
		t.Errorf("the code after Serve did not run: %v", err)
	}
	if _, err := os.Stat(socketDir); err == nil {
		t.Errorf("socket directory %s left behind", socketDir)
	}
	if after, _ := filepath.Glob(filepath.Join(os.TempDir(), "plugin*")); len(after) > len(before) {
		t.Errorf("sockets left in %s: %v", os.TempDir(), after)
	}
}
