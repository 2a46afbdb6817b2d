package core

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Programs are cached in CacheDir across processes; a damaged cache file
// is ignored and replaced, never loaded.
func TestSeccompDiskCache(t *testing.T) {
	dir := t.TempDir()
	forget := func() {
		seccompCache.Lock()
		clear(seccompCache.programs)
		seccompCache.Unlock()
	}
	forget()
	first, err := seccompProgram("", DefaultCapabilities, dir)
	if err != nil || len(first) == 0 || len(first)%8 != 0 {
		t.Fatalf("compile: %d bytes, %v", len(first), err)
	}
	files, _ := filepath.Glob(filepath.Join(dir, "seccomp-*.bpf"))
	if len(files) != 1 {
		t.Fatalf("cache files %v", files)
	}
	forget()
	if again, err := seccompProgram("", DefaultCapabilities, dir); err != nil || !bytes.Equal(again, first) {
		t.Fatalf("from the cache: %v", err)
	}
	os.WriteFile(files[0], []byte("short"), 0o600)
	forget()
	if again, err := seccompProgram("", DefaultCapabilities, dir); err != nil || !bytes.Equal(again, first) {
		t.Fatalf("a damaged cache file was used: %v", err)
	}
	if b, _ := os.ReadFile(files[0]); !bytes.Equal(b, first) {
		t.Error("the damaged cache file was not replaced")
	}
	// Another capability set is another program (docker opens syscalls
	// such as mount with CAP_SYS_ADMIN).
	forget()
	other, err := seccompProgram("", append([]string{"CAP_SYS_ADMIN"}, DefaultCapabilities...), dir)
	if err != nil || bytes.Equal(other, first) {
		t.Errorf("CAP_SYS_ADMIN's program: %v, same as the default: %v", err, bytes.Equal(other, first))
	}
}

// BenchmarkSeccompCompile is what the first container of a process pays
// to compile docker's profile (later ones use the cached program).
func BenchmarkSeccompCompile(b *testing.B) {
	for b.Loop() {
		seccompCache.Lock()
		clear(seccompCache.programs)
		seccompCache.Unlock()
		if _, err := seccompProgram("", DefaultCapabilities, ""); err != nil {
			b.Fatal(err)
		}
	}
}
