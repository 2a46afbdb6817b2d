package core_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// runRoot runs `run --rootfs BUSYBOX words...` and checks afterwards that
// the container left no cgroup (TestMain checks mounts and processes).
func runRoot(t *testing.T, stdin string, words ...string) result {
	t.Helper()
	requireRoot(t)
	rootfs := testrootfs.Busybox(t)
	spec, err := cli.ParseRun(append([]string{"--rootfs", rootfs}, words...))
	if err != nil {
		t.Fatalf("ParseRun(%q): %v", words, err)
	}
	var out, errb bytes.Buffer
	status, err := (&core.Runtime{}).Run(context.Background(), spec, core.Stdio{In: strings.NewReader(stdin), Out: &out, Err: &errb})
	if left, _ := filepath.Glob("/sys/fs/cgroup/*/mydocker/" + spec.ID); len(left) > 0 {
		t.Errorf("cgroups left behind: %v", left)
	}
	return result{status, out.String(), errb.String(), err}
}

// treeDigest lists every path under dir with its size and mode, to see
// that a container changed nothing in it.
func treeDigest(t *testing.T, dir string) string {
	var b strings.Builder
	filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		info, _ := d.Info()
		fmt.Fprintf(&b, "%s %v %d %v\n", p, info.Mode(), info.Size(), info.ModTime().UnixNano())
		return nil
	})
	return b.String()
}

func TestRootfs(t *testing.T) {
	requireRoot(t)
	rootfs := testrootfs.Busybox(t)
	secret := filepath.Join(t.TempDir(), "host-only-file")
	os.WriteFile(secret, []byte("secret"), 0o600)
	before := treeDigest(t, rootfs)
	tests := []struct {
		name  string
		words []string
		want  string
	}{
		{"ls / shows the rootfs", []string{"ls", "/"}, "bin\ndev\netc\nlinuxrc\nproc\nroot\nsbin\nsys\ntmp\nusr\nvar\n"},
		{"a host-only file is not reachable", []string{"sh", "-c", "cat " + secret + " 2>&1; ls /proc/1/root" + secret + " 2>&1 | wc -l"}, "cat: can't open '" + secret + "': No such file or directory\n1\n"},
		{"mountinfo names no host path", []string{"sh", "-c", "grep -c -e " + rootfs + " -e /var/lib -e " + os.TempDir() + " /proc/1/mountinfo || true"}, "0\n"},
		{"the root is an overlay", []string{"sh", "-c", "grep ' / / ' /proc/self/mountinfo | grep -o 'overlay rw,lowerdir=lower,upperdir=upper,workdir=work'"}, "overlay rw,lowerdir=lower,upperdir=upper,workdir=work\n"},
		{"PID 1 with PATH lookup inside", []string{"sh", "-c", "echo $$; which ls"}, "1\n/bin/ls\n"},
		{"hostname files", []string{"--hostname", "box1", "sh", "-c", "cat /etc/hostname; grep -c box1 /etc/hosts; hostname"}, "box1\n2\nbox1\n"},
		{"only the planned devices", []string{"sh", "-c", "ls /dev | tr '\\n' ' '"}, "fd full null ptmx pts random shm stderr stdin stdout tty urandom zero "},
		{"devices work", []string{"sh", "-c", "echo x > /dev/null && head -c 4 /dev/zero | wc -c"}, "4\n"},
		{"sys is read-only", []string{"sh", "-c", "touch /sys/x 2>&1 | grep -c 'Read-only'"}, "1\n"},
		{"proc/sys is read-only", []string{"sh", "-c", "(echo 1 > /proc/sys/kernel/domainname) 2>&1 | grep -c 'Read-only'"}, "1\n"},
		{"masked proc files are empty", []string{"sh", "-c", "cat /proc/keys /proc/timer_list | wc -c"}, "0\n"},
		{"writes vanish with the container", []string{"sh", "-c", "echo changed > /etc/passwd; rm /bin/ls; mkdir /newdir; touch /tmp/t; echo ok"}, "ok\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runRoot(t, "", tc.words...)
			if r.err != nil || r.status != 0 || r.stdout != tc.want {
				t.Errorf("status %d err %v\nstdout %q\nwant   %q\nstderr %q", r.status, r.err, r.stdout, tc.want, r.stderr)
			}
		})
	}
	if after := treeDigest(t, rootfs); after != before {
		t.Errorf("the rootfs was modified")
	}
}

func TestVolumes(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "in"), []byte("from host\n"), 0o644)
	r := runRoot(t, "", "-v", dir+":/data", "-v", dir+":/ro/data:ro", "sh", "-c",
		"cat /data/in; echo from container > /data/out; echo x > /ro/data/x 2>/dev/null || echo read-only refused")
	if r.err != nil || r.stdout != "from host\nread-only refused\n" {
		t.Errorf("out %q err %v stderr %q", r.stdout, r.err, r.stderr)
	}
	if b, _ := os.ReadFile(filepath.Join(dir, "out")); string(b) != "from container\n" {
		t.Errorf("host sees %q", b)
	}
	if _, err := os.Stat(filepath.Join(dir, "x")); err == nil {
		t.Error("a :ro volume was written")
	}
}

func TestRootfsErrors(t *testing.T) {
	tests := []struct {
		name   string
		words  []string
		status int
		says   string
	}{
		{"command not in the rootfs", []string{"bash"}, 127, `exec "bash": executable file not found in $PATH`},
		{"host path not in the rootfs", []string{"/usr/bin/python3"}, 127, `exec "/usr/bin/python3": no such file or directory`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runRoot(t, "", tc.words...)
			if r.status != tc.status || r.err == nil || !strings.Contains(r.err.Error(), tc.says) {
				t.Errorf("status %d err %v", r.status, r.err)
			}
		})
	}
}

func TestMemoryLimitKills(t *testing.T) {
	r := runRoot(t, "", "-m", "16m", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1")
	if r.status != 137 || !errors.Is(r.err, core.ErrMemoryLimit) || !strings.Contains(r.err.Error(), "(-m 16m)") {
		t.Errorf("status %d err %v stderr %q", r.status, r.err, r.stderr)
	}
	r = runRoot(t, "", "-m", "64m", "dd", "if=/dev/zero", "of=/dev/null", "bs=8M", "count=1")
	if r.status != 0 || r.err != nil {
		t.Errorf("within the limit: status %d err %v", r.status, r.err)
	}
}

// A fork bomb stops at the pids limit: the shell cannot fork its 11th
// process (and, like any sh, gives up), while the same loop runs under a
// limit that leaves room for it.
func TestPidsLimit(t *testing.T) {
	loop := "for i in $(seq 20); do sleep 5 & done; echo all started"
	r := runRoot(t, "", "--pids-limit", "10", "sh", "-c", loop)
	if r.status == 0 || !strings.Contains(r.stderr, "can't fork: Resource temporarily unavailable") {
		t.Errorf("under --pids-limit 10: status %d out %q stderr %q err %v", r.status, r.stdout, r.stderr, r.err)
	}
	r = runRoot(t, "", "--pids-limit", "40", "sh", "-c", loop)
	if r.status != 0 || r.stdout != "all started\n" {
		t.Errorf("under --pids-limit 40: status %d out %q stderr %q err %v", r.status, r.stdout, r.stderr, r.err)
	}
}

// A busy loop under --cpus 0.5 gets about half a CPU: its CPU time over
// its wall time, measured inside the container, not a time limit.
func TestCPULimit(t *testing.T) {
	r := runRoot(t, "", "--cpus", "0.5", "sh", "-c", `time timeout -s KILL 2 sh -c 'while :; do :; done'`)
	var real, user, sys float64
	for _, line := range strings.Split(r.stderr, "\n") {
		f := strings.Fields(line)
		if len(f) == 3 {
			m, _ := strconv.ParseFloat(strings.TrimSuffix(f[1], "m"), 64)
			s, _ := strconv.ParseFloat(strings.TrimSuffix(f[2], "s"), 64)
			switch f[0] {
			case "real":
				real = m*60 + s
			case "user":
				user = m*60 + s
			case "sys":
				sys = m*60 + s
			}
		}
	}
	if real == 0 || (user+sys)/real < 0.35 || (user+sys)/real > 0.65 {
		t.Errorf("CPU share %.2f under --cpus 0.5 (real %.2f user %.2f sys %.2f; stderr %q)", (user+sys)/max(real, 1e-9), real, user, sys, r.stderr)
	}
}
