package core

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
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
	c, err := newCgroupV2(root, "abc", cgroupConfig{limits: Limits{Memory: 64 << 20, CPUs: 0.5, Pids: 20}})
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
	if got := c.procsFiles(); len(got) != 1 || got[0] != filepath.Join(dir, "cgroup.procs") {
		t.Errorf("procsFiles = %q", got)
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
	_, err := newCgroupV2(root, "abc", cgroupConfig{limits: Limits{Pids: 5}})
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
	mounts["devices"] = filepath.Join(root, "devices")
	for _, m := range mounts {
		os.MkdirAll(m, 0o755)
	}
	c, err := newCgroupV1(mounts, "abc", cgroupConfig{limits: Limits{Memory: 32 << 20, CPUs: 1.5, Pids: 7}, devices: defaultDevices[:2]})
	if err != nil {
		t.Fatal(err)
	}
	for file, want := range map[string]string{
		"memory/mydocker/abc/memory.limit_in_bytes": "33554432", // no memsw file here: no swap accounting to close
		"cpu/mydocker/abc/cpu.cfs_period_us":        "100000", "cpu/mydocker/abc/cpu.cfs_quota_us": "150000", "pids/mydocker/abc/pids.max": "7",
		"devices/mydocker/abc/devices.deny": "a", "devices/mydocker/abc/devices.allow": "c 1:3 rwmc 1:5 rwm", // one write per rule
	} {
		if got := readTrim(t, filepath.Join(root, file)); got != want {
			t.Errorf("%s = %q, want %q", file, got, want)
		}
	}
	var want []string
	for _, ctrl := range []string{"cpu", "devices", "memory", "pids"} {
		want = append(want, filepath.Join(root, ctrl, "mydocker", "abc", "cgroup.procs"))
	}
	if got := c.procsFiles(); !slices.Equal(got, want) {
		t.Errorf("procsFiles = %q, want %q", got, want)
	}
	if _, err := newCgroupV1(map[string]string{}, "x", cgroupConfig{limits: Limits{Memory: 32 << 20}}); err == nil || !strings.Contains(err.Error(), "no memory cgroup controller is mounted") {
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
	for _, in := range []string{"", "lots", "-1m", "0", "m", "12q", "1e30g", "0.5", "nan", "inf", "NaNm"} {
		if _, err := ParseSize(in); err == nil {
			t.Errorf("ParseSize(%q) accepted", in)
		}
	}
}

// A mydocker killed with SIGKILL leaves its container's (empty) cgroup
// behind; the next container with limits removes it, but never a cgroup
// that is young (a container about to join it) or still has processes.
func TestStaleCgroupsAreSwept(t *testing.T) {
	requireRoot(t)
	parent := "/sys/fs/cgroup/pids/mydocker"
	if _, err := os.Stat("/sys/fs/cgroup/pids"); err != nil {
		t.Skip("no v1 pids hierarchy here; the sweep is the same code on v2")
	}
	stale, young := filepath.Join(parent, "stale0000000"), filepath.Join(parent, "young0000000")
	for _, d := range []string{stale, young} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Cleanup(func() { os.Remove(stale); os.Remove(young); os.Remove(parent) })
	old := time.Now().Add(-2 * staleAge)
	if err := os.Chtimes(stale, old, old); err != nil {
		t.Fatal(err)
	}
	id := NewID()
	spec := &Spec{ID: id, Args: []string{"true"}, Hostname: ShortID(id), Env: DefaultEnv(ShortID(id), false), Limits: Limits{Pids: 5}}
	if status, err := (&Runtime{}).Run(context.Background(), spec, Stdio{}); err != nil || status != 0 {
		t.Fatalf("run: %d %v", status, err)
	}
	if _, err := os.Stat(stale); err == nil {
		t.Error("the stale cgroup was not swept")
	}
	if _, err := os.Stat(young); err != nil {
		t.Error("a young cgroup was swept")
	}
}
