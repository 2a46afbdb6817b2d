package core

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// Programs are cached in CacheDir across processes, under two names: by
// this executable and the inputs (profile, capabilities), which spares a
// later process generating the profile, and by the rules themselves. A
// damaged cache file is ignored and replaced, never loaded.
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
	byInputs, _ := filepath.Glob(filepath.Join(dir, "seccomp-in-*.bpf"))
	all, _ := filepath.Glob(filepath.Join(dir, "seccomp-*.bpf"))
	if len(byInputs) != 1 || len(all) != 2 {
		t.Fatalf("cache files %v", all)
	}
	byRules := all[0]
	if byRules == byInputs[0] {
		byRules = all[1]
	}
	for _, damaged := range [][]string{{byInputs[0]}, {byRules}, {byInputs[0], byRules}} {
		for _, f := range damaged {
			os.WriteFile(f, []byte("short"), 0o600)
		}
		forget()
		if again, err := seccompProgram("", DefaultCapabilities, dir); err != nil || !bytes.Equal(again, first) {
			t.Fatalf("damaged %v: a damaged cache file was used: %v", damaged, err)
		}
		// The rules' file is read (and so replaced) only when the
		// inputs' file was damaged too.
		if b, _ := os.ReadFile(byInputs[0]); !bytes.Equal(b, first) {
			t.Errorf("damaged %v: the file by inputs was not replaced", damaged)
		}
	}
	if b, _ := os.ReadFile(byRules); !bytes.Equal(b, first) {
		t.Error("the file by rules was not replaced")
	}
	// Found by its inputs, a program is used as it is: what a compile in
	// an earlier process of this executable stored.
	marked := append(bytes.Clone(first[:len(first)-8]), 6, 0, 0, 0, 0, 0, 0xff, 0x7f) // RET ALLOW
	os.WriteFile(byInputs[0], marked, 0o600)
	forget()
	if got, err := seccompProgram("", DefaultCapabilities, dir); err != nil || !bytes.Equal(got, marked) {
		t.Errorf("the program stored by inputs was not the one used: %v", err)
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
