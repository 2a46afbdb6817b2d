package core

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"golang.org/x/sys/unix"
)

// The cgroup v2 device filter, attached for real: on this hybrid host to a
// cgroup of the unified hierarchy (/sys/fs/cgroup/unified), where device
// programs apply as on a v2-only host.
func TestDeviceFilterV2(t *testing.T) {
	requireRoot(t)
	var root string
	for _, dir := range []string{"/sys/fs/cgroup/unified", "/sys/fs/cgroup"} {
		var st unix.Statfs_t
		if unix.Statfs(dir, &st) == nil && st.Type == unix.CGROUP2_SUPER_MAGIC {
			root = dir
			break
		}
	}
	if root == "" {
		t.Fatal("no cgroup2 hierarchy mounted on this host")
	}
	dir := filepath.Join(root, fmt.Sprintf("mydocker-devtest-%d", os.Getpid()))
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	defer removeCgroupDir(dir)
	// /dev/null read and write, /dev/zero read only; nothing else.
	rules := []deviceNode{{'c', 1, 3, "rw", "", 0}, {'c', 1, 5, "r", "", 0}}
	if err := attachDeviceFilter(dir, rules); err != nil {
		t.Fatal(err)
	}
	script := `echo $$ > ` + dir + `/cgroup.procs || exit 9
: < /dev/null && echo null-read
: > /dev/null && echo null-write
: < /dev/zero && echo zero-read
(: > /dev/zero) 2>/dev/null || echo zero-write-denied
(: < /dev/full) 2>/dev/null || echo full-denied
(mknod ` + t.TempDir() + `/n c 1 3) 2>/dev/null || echo mknod-denied`
	out, err := exec.Command("sh", "-c", script).CombinedOutput()
	want := "null-read\nnull-write\nzero-read\nzero-write-denied\nfull-denied\nmknod-denied\n"
	if err != nil || string(out) != want {
		t.Errorf("in the filtered cgroup: %v\n%s\nwant\n%s", err, out, want)
	}
}
