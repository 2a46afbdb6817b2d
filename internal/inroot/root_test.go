package inroot

import (
	"os"
	"path/filepath"
	"testing"
)

// A hostile image: absolute and relative symlinks pointing out of the root.
// Through Root every write lands inside; the host's files are untouched.
func TestRootKeepsWritesInside(t *testing.T) {
	root, host := t.TempDir(), t.TempDir()
	hostFile := filepath.Join(host, "x")
	os.WriteFile(hostFile, []byte("host"), 0o644)
	os.MkdirAll(filepath.Join(root, "etc"), 0o755)
	os.Symlink(hostFile, filepath.Join(root, "etc", "motd"))             // absolute: the container's own path
	os.Symlink("../../../../../../"+host, filepath.Join(root, "escape")) // relative, climbing out
	os.Symlink(host, filepath.Join(root, "hostdir"))
	r, err := Open(root)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"etc/motd", "/escape/x", "hostdir/x", "../../" + host + "/x"} {
		if err := r.WriteFile(name, []byte("plugin"), 0o644); err != nil {
			if !os.IsNotExist(err) {
				t.Errorf("write %s: %v", name, err)
			}
		}
	}
	if b, _ := os.ReadFile(hostFile); string(b) != "host" {
		t.Fatalf("a write went to the host's file: %q", b)
	}
	// The absolute link resolved inside: the file is the root's own.
	if b, err := os.ReadFile(filepath.Join(root, hostFile)); err != nil && !os.IsNotExist(err) || err == nil && string(b) != "plugin" {
		t.Errorf("inside: %q %v", b, err)
	}
	_ = r.MkdirAll("/hostdir/made/deep", 0o755) // the link dangles inside: an error, or made inside
	if _, err := os.Stat(filepath.Join(host, "made")); err == nil {
		t.Fatal("MkdirAll made a directory on the host")
	}
	if err := r.MkdirAll("/srv/app/data", 0o755); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if info, err := os.Stat(filepath.Join(root, "srv", "app", "data")); err != nil || !info.IsDir() {
		t.Errorf("MkdirAll: %v", err)
	}
	if err := r.WriteFile("/etc/plain", []byte("ok"), 0o600); err != nil {
		t.Fatal(err)
	}
	if b, err := r.ReadFile("etc/plain"); err != nil || string(b) != "ok" {
		t.Errorf("read back %q %v", b, err)
	}
	if err := r.Chmod("etc/plain", 0o640); err != nil {
		t.Fatal(err)
	}
	if info, _ := os.Stat(filepath.Join(root, "etc", "plain")); info.Mode().Perm() != 0o640 {
		t.Errorf("mode %v", info.Mode())
	}
	if _, err := Open(""); err == nil {
		t.Error("a container without its own root has no Root")
	}
}
