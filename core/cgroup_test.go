package core

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func readTrim(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.TrimSpace(string(b))
}

// The v2 file handling, against a scratch directory laid out like a
// cgroup2 root (this host's cgroups are v1).
func TestCgroupV2Files(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpuset cpu io memory pids\n"), 0o644)
	c, err := newCgroupV2(root, "abc", Limits{Memory: 64 << 20, CPUs: 0.5, Pids: 20})
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "mydocker", "abc")
	for file, want := range map[string]string{
		"memory.max": "67108864", "memory.swap.max": "0", "cpu.max": "50000 100000", "pids.max": "20",
	} {
		if got := readTrim(t, filepath.Join(dir, file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	for _, d := range []string{root, filepath.Join(root, "mydocker")} {
		if got := readTrim(t, filepath.Join(d, "cgroup.subtree_control")); got != "+memory +cpu +pids" {
			t.Errorf("%s/cgroup.subtree_control = %q", d, got)
		}
	}
	if err := c.join(4242); err != nil || readTrim(t, filepath.Join(dir, "cgroup.procs")) != "4242" {
		t.Errorf("join: %v", err)
	}
	if c.oomKilled() {
		t.Error("oomKilled without memory.events")
	}
	os.WriteFile(filepath.Join(dir, "memory.events"), []byte("low 0\nhigh 0\nmax 3\noom 1\noom_kill 1\n"), 0o644)
	if !c.oomKilled() {
		t.Error("oom_kill 1 not seen")
	}
}

func TestCgroupV2MissingController(t *testing.T) {
	root := t.TempDir()
	os.WriteFile(filepath.Join(root, "cgroup.controllers"), []byte("cpu memory\n"), 0o644)
	_, err := newCgroupV2(root, "abc", Limits{Pids: 5})
	if err == nil || err.Error() != "cannot apply --pids-limit: no pids controller in this host's cgroup v2 hierarchy" {
		t.Errorf("err %v", err)
	}
	if _, err := os.Stat(filepath.Join(root, "mydocker", "abc")); err == nil {
		t.Error("a cgroup was created for a limit that cannot be applied")
	}
}

func TestCgroupV1Files(t *testing.T) {
	root := t.TempDir()
	mounts := map[string]string{"memory": filepath.Join(root, "memory"), "cpu": filepath.Join(root, "cpu"), "pids": filepath.Join(root, "pids")}
	os.MkdirAll(filepath.Join(root, "memory", "mydocker", "abc"), 0o755)
	os.WriteFile(filepath.Join(root, "memory", "mydocker", "abc", "memory.memsw.limit_in_bytes"), nil, 0o644) // swap accounting on
	c, err := newCgroupV1(mounts, "abc", Limits{Memory: 32 << 20, CPUs: 1.5, Pids: 7})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory/mydocker/abc/memory.limit_in_bytes": "33554432", "memory/mydocker/abc/memory.memsw.limit_in_bytes": "33554432",
		"cpu/mydocker/abc/cpu.cfs_period_us": "100000", "cpu/mydocker/abc/cpu.cfs_quota_us": "150000", "pids/mydocker/abc/pids.max": "7",
	} {
		if got := readTrim(t, filepath.Join(root, file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	if err := c.join(99); err != nil {
		t.Fatal(err)
	}
	for _, ctrl := range []string{"memory", "cpu", "pids"} {
		if got := readTrim(t, filepath.Join(root, ctrl, "mydocker", "abc", "cgroup.procs")); got != "99" {
			t.Errorf("%s cgroup.procs = %q", ctrl, got)
		}
	}
	if _, err := newCgroupV1(map[string]string{}, "x", Limits{Memory: 32 << 20}); err == nil || !strings.Contains(err.Error(), "no memory cgroup controller is mounted") {
		t.Errorf("missing controller: %v", err)
	}
}

func TestParseSize(t *testing.T) {
	good := map[string]int64{"64m": 64 << 20, "64M": 64 << 20, "64mb": 64 << 20, "1g": 1 << 30, "512k": 512 << 10, "1048576": 1 << 20, "1.5g": 3 << 29}
	for in, want := range good {
		if got, err := ParseSize(in); err != nil || got != want {
			t.Errorf("ParseSize(%q) = %d, %v; want %d", in, got, err, want)
		}
	}
	for _, in := range []string{"", "lots", "-1m", "0", "m", "12q", "1e30g"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}
