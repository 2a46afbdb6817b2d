package core_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// --user, --workdir, --read-only, --tmpfs, --device and the upper layer's
// size, in a busybox container.
func TestRunOptions(t *testing.T) {
	requireRoot(t)
	tests := []struct {
		name  string
		words []string
		want  string
	}{
		{"root by default, HOME from passwd", []string{"sh", "-c", "id; echo $HOME"}, "uid=0(root) gid=0(root)\n/root\n"},
		{"a user by name", []string{"-u", "nobody", "sh", "-c", "id; echo $HOME; grep CapEff /proc/self/status"},
			"uid=65534(nobody) gid=65534(nogroup)\n/nonexistent\nCapEff:\t0000000000000000\n"},
		{"uid:gid not in passwd", []string{"-u", "1234:5678", "sh", "-c", "id -u; id -g; echo $HOME"}, "1234\n5678\n/\n"},
		{"user:group", []string{"--user", "root:tty", "id"}, "uid=0(root) gid=5(tty)\n"},
		{"-e HOME wins", []string{"-u", "nobody", "-e", "HOME=/tmp", "sh", "-c", "echo $HOME"}, "/tmp\n"},
		{"workdir made if missing", []string{"-w", "/srv/app/data", "pwd"}, "/srv/app/data\n"},
		{"workdir that exists", []string{"--workdir", "/etc", "sh", "-c", "pwd; ls hostname"}, "/etc\nhostname\n"},
		{"read-only root", []string{"--read-only", "sh", "-c", "touch /x 2>&1; touch /tmp/x 2>&1; echo > /dev/null && echo devnull"},
			"touch: /x: Read-only file system\ntouch: /tmp/x: Read-only file system\ndevnull\n"},
		{"read-only root, writable tmpfs", []string{"--read-only", "--tmpfs", "/tmp", "--tmpfs", "/run:size=1m,mode=755", "sh", "-c",
			"touch /tmp/x && echo tmp; stat -c %a /tmp /run; grep ' /run ' /proc/self/mountinfo | grep -o nosuid,nodev; grep ' /run ' /proc/self/mountinfo | grep -o size=[0-9a-z]*"},
			"tmp\n1777\n755\nnosuid,nodev\nsize=1024k\n"},
		{"a full tmpfs is ENOSPC", []string{"--tmpfs", "/scratch:size=1m", "sh", "-c", "dd if=/dev/zero of=/scratch/f bs=64k count=100 2>&1 | grep -o 'No space left on device'"},
			"No space left on device\n"},
		{"a device added", []string{"--device", "/dev/net/tun", "sh", "-c", "ls -l /dev/net/tun | cut -c1; : < /dev/net/tun && echo opened"},
			"c\nopened\n"},
		{"a device added read-only, elsewhere", []string{"--device", "/dev/net/tun:/dev/t:r", "sh", "-c", "ls /dev/t; : < /dev/t && echo read; (: > /dev/t) 2>/dev/null || echo nowrite"},
			"/dev/t\nread\nnowrite\n"},
		{"without --device it is denied", []string{"sh", "-c", "mknod /dev/t c 10 200 2>/dev/null || echo denied"}, "denied\n"},
		{"other devices stay closed", []string{"sh", "-c", "mknod /dev/k c 1 11 2>&1 || echo denied"}, "mknod: /dev/k: Operation not permitted\ndenied\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runRoot(t, "", tc.words...)
			if r.err != nil || r.stdout != tc.want {
				t.Errorf("status %d err %v\nstdout %q\nwant   %q\nstderr %q", r.status, r.err, r.stdout, tc.want, r.stderr)
			}
		})
	}
}

// The upper layer is a tmpfs of a bounded size: filling it gives ENOSPC
// inside, and the host gets its memory back when the container ends.
func TestStorageSize(t *testing.T) {
	requireRoot(t)
	before := shmem(t)
	r := runRoot(t, "", "--storage-size", "64m", "sh", "-c", "dd if=/dev/zero of=/big bs=1M count=200 2>&1 | grep -o 'No space left on device'; du -sm /big | cut -f1")
	if r.err != nil || !strings.HasPrefix(r.stdout, "No space left on device\n") {
		t.Fatalf("status %d err %v stdout %q stderr %q", r.status, r.err, r.stdout, r.stderr)
	}
	var mb int
	fmt.Sscanf(strings.Split(r.stdout, "\n")[1], "%d", &mb)
	if mb < 60 || mb > 64 {
		t.Errorf("wrote %d MiB into a 64m layer", mb)
	}
	// The kernel frees the layer (tmpfs pages: Shmem in /proc/meminfo)
	// when the mount namespace goes, just after the container's end. Other
	// test packages' containers run beside this one: allow for their
	// noise, not for 64 MiB.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		after := shmem(t)
		if after-before < 32<<20 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the host holds %d MiB more of tmpfs pages after the container ended", (after-before)>>20)
		}
	}
}

// shmem is the memory in tmpfs pages, host-wide (Shmem in /proc/meminfo).
func shmem(t *testing.T) int64 {
	b, err := os.ReadFile("/proc/meminfo")
	if err != nil {
		t.Fatal(err)
	}
	var kb int64
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "Shmem:") {
			fmt.Sscanf(strings.TrimPrefix(line, "Shmem:"), "%d", &kb)
		}
	}
	return kb << 10
}

func TestRunOptionsRejected(t *testing.T) {
	rootfs := ""
	if os.Geteuid() == 0 {
		rootfs = testrootfs.Busybox(t)
	} else {
		rootfs = t.TempDir()
	}
	tests := []struct {
		words []string
		says  string
	}{
		{[]string{"-m", "0.5", "sh"}, `invalid --memory "0.5"`},
		{[]string{"-m", "", "sh"}, "invalid --memory: empty value"},
		{[]string{"--cpus", "nan", "sh"}, "invalid --cpus NaN: must be more than 0"},
		{[]string{"--cpus", "inf", "sh"}, "invalid --cpus +Inf: must be more than 0"},
		{[]string{"--cpus", "0.001", "sh"}, "invalid --cpus 0.001: at least 0.01"},
		{[]string{"--cpus", "", "sh"}, "invalid --cpus: empty value"},
		{[]string{"--pids-limit", "0", "sh"}, "invalid --pids-limit 0: must be at least 1"},
		{[]string{"--rootfs", "", "sh"}, "invalid --rootfs: empty value"},
		{[]string{"--storage-size", "0.1", "sh"}, `invalid --storage-size "0.1"`},
		{[]string{"--cap-add", "BOGUS", "sh"}, `invalid --cap-add "BOGUS": no such capability`},
		{[]string{"--cap-drop", "cap_nope", "sh"}, `invalid --cap-drop "cap_nope": no such capability`},
		{[]string{"--security-opt", "apparmor=x", "sh"}, `invalid --security-opt "apparmor=x"`},
		{[]string{"--privileged", "--security-opt", "seccomp=/x.json", "sh"}, "--privileged runs without seccomp"},
		{[]string{"--device", "/etc/passwd:/dev/p", "sh"}, "invalid --device /etc/passwd: not a device node"},
		{[]string{"--device", "/nope", "sh"}, "invalid --device /nope: host path: no such file or directory"},
		{[]string{"--device", "/dev/null:/etc/null", "sh"}, "must be a clean path under /dev/"},
		{[]string{"--device", "/dev/null:/dev/n:rwx", "sh"}, `permissions "rwx"`},
		{[]string{"--tmpfs", "/tmp", "sh"}, "--tmpfs needs --rootfs"},
		{[]string{"--rootfs", rootfs, "--tmpfs", "tmp", "sh"}, "invalid --tmpfs tmp: the container path must be absolute"},
		{[]string{"--rootfs", rootfs, "--tmpfs", "/tmp:size=big", "sh"}, "size: want a size"},
		{[]string{"--rootfs", rootfs, "--tmpfs", "/tmp:uid=0", "sh"}, `unknown option "uid=0"`},
		{[]string{"-w", "relative", "sh"}, `invalid --workdir "relative": must be an absolute path`},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.words, " "), func(t *testing.T) {
			_, err := cli.ParseRun(tc.words)
			if err == nil || !strings.Contains(err.Error(), tc.says) || core.ExitCode(err) != core.ExitRuntimeError {
				t.Errorf("ParseRun(%q) = %v, want an error saying %q", tc.words, err, tc.says)
			}
		})
	}
	// A user unknown to the container's passwd fails the run, naming it.
	if os.Geteuid() == 0 {
		r := runRoot(t, "", "-u", "nosuchuser", "true")
		if r.status != core.ExitRuntimeError || r.err == nil || !strings.Contains(r.err.Error(), `invalid --user "nosuchuser"`) {
			t.Errorf("unknown user: status %d err %v", r.status, r.err)
		}
	}
}

// Four mydocker processes starting limited containers at once never race
// on the shared cgroup parents (one removing what another is creating in).
func TestConcurrentLimitedRuns(t *testing.T) {
	requireRoot(t)
	runs := 300
	if testing.Short() {
		runs = 30
	}
	var wg sync.WaitGroup
	errs := make([]string, 4)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			cmd := helperCommand(runs, "--pids-limit", "20", "-m", "32m", "true")
			out, err := cmd.CombinedOutput()
			if err != nil {
				errs[i] = fmt.Sprintf("process %d: %v: %s", i, err, out)
			}
		}()
	}
	wg.Wait()
	for _, e := range errs {
		if e != "" {
			t.Error(e)
		}
	}
	// Other test packages may have containers running: only an empty
	// cgroup that stays is a leftover.
	for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		var left []string
		all, _ := filepath.Glob("/sys/fs/cgroup/*/mydocker/*")
		for _, dir := range all {
			if info, err := os.Stat(dir); err == nil && info.IsDir() {
				if procs, _ := os.ReadFile(filepath.Join(dir, "cgroup.procs")); len(strings.TrimSpace(string(procs))) == 0 {
					left = append(left, dir)
				}
			}
		}
		if len(left) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("cgroups left: %v", left)
		}
	}
}
