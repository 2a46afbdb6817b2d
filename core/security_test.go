package core_test

import (
	"bytes"
	"context"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

var probe struct {
	once sync.Once
	dir  string
	err  error
}

// secprobe builds testdata/secprobe.c, static, once per test binary, and
// returns the directory holding it (mounted into containers as /probe).
func secprobe(t *testing.T) string {
	t.Helper()
	probe.once.Do(func() {
		probe.dir, probe.err = os.MkdirTemp("", "mydocker-secprobe-")
		if probe.err != nil {
			return
		}
		out, err := exec.Command("gcc", "-static", "-O2", "-o", filepath.Join(probe.dir, "secprobe"), "testdata/secprobe.c").CombinedOutput()
		if err != nil {
			probe.err = fmt.Errorf("build secprobe (gcc, static glibc from libc6-dev): %v: %s", err, out)
		}
	})
	if probe.err != nil {
		t.Fatal(probe.err)
	}
	t.Cleanup(func() {}) // the directory is removed by TestMain's testrootfs cleanup below
	return probe.dir
}

// rootBlockDevice is the host's block device holding /, as "b MAJOR
// MINOR" (any block device if / is on none), and whether this process
// can open it at all (some sandboxes deny it even to the host's root).
func rootBlockDevice(t *testing.T) ([]string, bool) {
	var st unix.Stat_t
	major, minor := uint32(0), uint32(0)
	if err := unix.Stat("/", &st); err == nil && unix.Major(st.Dev) != 0 {
		major, minor = unix.Major(st.Dev), unix.Minor(st.Dev)
	} else if devs, _ := filepath.Glob("/sys/dev/block/*:*"); len(devs) > 0 {
		fmt.Sscanf(filepath.Base(devs[0]), "%d:%d", &major, &minor)
	} else {
		t.Fatal("no block device on this host")
	}
	node := filepath.Join(t.TempDir(), "disk")
	opens := false
	if unix.Mknod(node, unix.S_IFBLK|0o600, int(unix.Mkdev(major, minor))) == nil {
		if fd, err := unix.Open(node, unix.O_RDONLY|unix.O_NONBLOCK, 0); err == nil {
			unix.Close(fd)
			opens = true
		}
	}
	return []string{"b", fmt.Sprint(major), fmt.Sprint(minor)}, opens
}

// hostHandle is a file handle of a host file outside any volume, as the
// shocker attack forges one: "TYPE HEX".
func hostHandle(t *testing.T, path string) []string {
	h, _, err := unix.NameToHandleAt(unix.AT_FDCWD, path, 0)
	if err != nil {
		t.Skipf("no file handles on this filesystem: %v", err)
	}
	return []string{fmt.Sprint(h.Type()), hex.EncodeToString(h.Bytes())}
}

// attack runs secprobe in a busybox container with the volumes the
// attacks need, with extra flags, and returns its one line of output.
func attack(t *testing.T, flags []string, args ...string) string {
	t.Helper()
	dir := secprobe(t)
	words := append([]string{"--rootfs", testrootfs.Busybox(t), "-v", dir + ":/probe:ro", "-v", volDir(t) + ":/vol:ro"}, flags...)
	words = append(words, append([]string{"/probe/secprobe"}, args...)...)
	spec, err := cli.ParseRun(words)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	_, err = (&core.Runtime{}).Run(context.Background(), spec, core.Stdio{Out: &out, Err: &errb})
	if err != nil {
		t.Fatalf("run %q: %v (stderr %q)", args, err, errb.String())
	}
	return strings.TrimSpace(out.String())
}

var vol struct {
	once        sync.Once
	dir, secret string
}

// volDir is a host directory with a read-only submount (a tmpfs at sub/),
// and a secret file beside it, outside it, on the same filesystem.
func volDir(t *testing.T) string {
	vol.once.Do(func() {
		base, err := os.MkdirTemp("", "mydocker-vol-")
		if err != nil {
			t.Fatal(err)
		}
		vol.dir, vol.secret = filepath.Join(base, "vol"), filepath.Join(base, "secret")
		os.MkdirAll(filepath.Join(vol.dir, "sub"), 0o755)
		os.WriteFile(vol.secret, []byte("host secret\n"), 0o600)
	})
	return vol.dir
}

func TestSecurityDefaults(t *testing.T) {
	requireRoot(t)
	volDir(t)
	defer os.RemoveAll(filepath.Dir(vol.dir))
	disk, diskOpens := rootBlockDevice(t)
	handle := hostHandle(t, vol.secret)
	priv := []string{"--privileged"}
	privDisk := priv
	if !diskOpens {
		t.Log("this host denies its root block device to its own root: --privileged cannot show the disk attack working")
		privDisk = nil
	}
	tests := []struct {
		attack  []string
		denied  string   // the default's answer
		allowed []string // flags under which the same attack works
	}{
		{append([]string{"open_by_handle", "/vol"}, handle...), "denied: EPERM", priv},
		{append([]string{"mknod_open"}, disk...), "denied: EPERM", privDisk},
		{[]string{"mknod_open", "c", "1", "11"}, "denied: EPERM", priv}, // /dev/kmsg
		{[]string{"fsopen"}, "denied: EPERM", priv},
		{[]string{"remount_procsys"}, "denied: EPERM", []string{"--cap-add", "SYS_ADMIN"}},
		{[]string{"remount_sys"}, "denied: EPERM", priv},
		{[]string{"mount_proc"}, "denied: EPERM", priv},
		{[]string{"mount_sysfs"}, "denied: EPERM", priv},
		{[]string{"mount_cgroup"}, "denied: EPERM", priv},
		{[]string{"umount_mask"}, "denied: EPERM", []string{"--cap-add", "SYS_ADMIN"}},
		{[]string{"bpf"}, "denied: EPERM", priv},
		{[]string{"perf_event_open"}, "denied: EPERM", priv},
		{[]string{"userfaultfd"}, "denied: EPERM", priv},
		{[]string{"keyctl_user"}, "denied: EPERM", priv},
		{[]string{"adjtimex"}, "denied: EPERM", priv},
		{[]string{"ioperm"}, "denied: EPERM", nil}, // --privileged: ENOSYS on kernels without ioperm
		{[]string{"syslog"}, "denied: EPERM", priv},
		{[]string{"unshare_user"}, "denied: EPERM", priv},
	}
	for _, tc := range tests {
		t.Run(tc.attack[0], func(t *testing.T) {
			if got := attack(t, nil, tc.attack...); got != tc.denied {
				t.Errorf("default: %s says %q, want %q", tc.attack[0], got, tc.denied)
			}
			if tc.allowed != nil {
				if got := attack(t, tc.allowed, tc.attack...); got != "allowed" {
					t.Errorf("with %q: %s says %q, want allowed (else this test cannot fail)", tc.allowed, tc.attack[0], got)
				}
			}
		})
	}
}

// A :ro volume is read-only with its submounts. The submount (a tmpfs in
// the volume) is made in a mount namespace of a helper mydocker, so that
// the host's mount table, which parallel test packages check, never
// changes.
func TestReadOnlyVolumeIsRecursive(t *testing.T) {
	requireRoot(t)
	dir := secprobe(t)
	vol := t.TempDir()
	sub := filepath.Join(vol, "sub")
	os.Mkdir(sub, 0o755)
	for _, tc := range []struct{ mode, want string }{{"ro", "denied: EROFS"}, {"rw", "allowed"}} {
		cmd := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c",
			`mount -t tmpfs -o size=1m tmpfs "$1" && shift && exec "$@"`, "sh", sub,
			os.Args[0], "--rootfs", testrootfs.Busybox(t), "-v", dir+":/probe:ro", "-v", vol+":/vol:"+tc.mode,
			"/probe/secprobe", "write", "/vol/sub/x")
		cmd.Env = append(os.Environ(), helperEnv+"=1")
		out, _ := cmd.Output()
		if got := strings.TrimSpace(string(out)); got != tc.want {
			t.Errorf("-v :%s, writing to its submount: %q, want %q", tc.mode, got, tc.want)
		}
	}
}

// Without -t the container has no controlling terminal, so it cannot push
// input into the caller's (TIOCSTI), though its stdio is that terminal.
func TestNoTerminalInjection(t *testing.T) {
	requireRoot(t)
	dir := secprobe(t)
	for _, tc := range []struct {
		flags []string
		want  string
	}{{nil, "denied: EPERM"}, {[]string{"--privileged"}, "allowed"}} {
		ptmx, tty, err := pty.Open()
		if err != nil {
			t.Fatal(err)
		}
		args := append([]string{"--rootfs", testrootfs.Busybox(t), "-i", "-v", dir + ":/probe:ro"}, tc.flags...)
		cmd := exec.Command(os.Args[0], append(args, "/probe/secprobe", "tiocsti")...)
		cmd.Env = append(os.Environ(), helperEnv+"=1")
		cmd.Stdin, cmd.Stdout, cmd.Stderr = tty, tty, tty
		cmd.SysProcAttr = &unix.SysProcAttr{Setsid: true, Setctty: true, Ctty: 0} // the pty is the caller's terminal
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		tty.Close()
		var out bytes.Buffer
		buf := make([]byte, 256)
		for !strings.Contains(out.String(), "\n") || !strings.Contains(out.String(), "ed") {
			n, err := ptmx.Read(buf)
			out.Write(buf[:max(n, 0)])
			if err != nil {
				break
			}
		}
		cmd.Wait()
		ptmx.Close()
		if !strings.Contains(out.String(), tc.want) {
			t.Errorf("%q: TIOCSTI on the caller's terminal: %q, want %q", tc.flags, out.String(), tc.want)
		}
	}
}

// A PID 1 that clears its parent-death signal still dies with mydocker,
// and its cgroups go too: the guard (guard.c) sees to both.
func TestContainerDiesWithMydockerEvenWithoutPdeathsig(t *testing.T) {
	requireRoot(t)
	dir := secprobe(t)
	cmd := exec.Command(os.Args[0], "--rootfs", testrootfs.Busybox(t), "-v", dir+":/probe:ro", "--pids-limit", "50", "/probe/secprobe", "clear_pdeathsig")
	cmd.Env = append(os.Environ(), helperEnv+"=1")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 6)
	if n, err := io.ReadFull(out, buf); err != nil || string(buf[:n]) != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("read %q: %v", buf, err)
	}
	init := childWithArg(t, cmd.Process.Pid, "clear_pdeathsig")
	cgroups := cgroupsOf(t, init)
	killed := time.Now()
	cmd.Process.Kill() // SIGKILL: mydocker cleans nothing up itself
	cmd.Wait()
	for !processGone(init) {
		if time.Since(killed) > time.Second {
			t.Fatalf("the container's PID 1 %d still runs %v after mydocker was killed", init, time.Since(killed))
		}
		time.Sleep(5 * time.Millisecond)
	}
	t.Logf("PID 1 gone %v after kill -9 of mydocker", time.Since(killed))
	for _, cg := range cgroups {
		for deadline := time.Now().Add(5 * time.Second); ; time.Sleep(10 * time.Millisecond) {
			if _, err := os.Stat(cg); err != nil {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cgroup %s left behind", cg)
			}
		}
	}
}

// cgroupsOf lists the cgroup directories of pid, read from the host's
// side (the container sees its own as "/").
func cgroupsOf(t *testing.T, pid int) []string {
	t.Helper()
	var dirs []string
	for _, d := range []string{"devices", "pids"} {
		matches, _ := filepath.Glob(fmt.Sprintf("/sys/fs/cgroup/%s/mydocker/*", d))
		for _, m := range matches {
			procs, _ := os.ReadFile(filepath.Join(m, "cgroup.procs"))
			if slices.Contains(strings.Fields(string(procs)), strconv.Itoa(pid)) {
				dirs = append(dirs, m)
			}
		}
	}
	if len(dirs) != 2 {
		t.Fatalf("the container's cgroups: %v, want its devices and pids cgroups", dirs)
	}
	return dirs
}

// childWithArg finds the child of parent whose command line has arg.
func childWithArg(t *testing.T, parent int, arg string) int {
	t.Helper()
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", parent))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, field := range strings.Fields(string(b)) {
			cmdline, _ := os.ReadFile("/proc/" + field + "/cmdline")
			if strings.Contains(string(cmdline), arg) {
				pid, _ := strconv.Atoi(field)
				return pid
			}
		}
	}
	t.Fatalf("no child of %d runs %s", parent, arg)
	return 0
}

// processGone reports whether pid has exited (a zombie counts: it runs
// nothing; this test binary, a subreaper, reaps it at the end).
func processGone(pid int) bool {
	stat, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	return err != nil || strings.Contains(string(stat), ") Z ")
}

// The capability, seccomp and no-new-privileges options, read back from
// the container's /proc/1/status.
func TestSecurityOptions(t *testing.T) {
	requireRoot(t)
	profile := filepath.Join(t.TempDir(), "nomkdir.json")
	os.WriteFile(profile, []byte(`{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir","mkdirat"],"action":"SCMP_ACT_ERRNO"}]}`), 0o644)
	status := "grep -E '^(CapEff|CapBnd|CapPrm|CapInh|CapAmb|Seccomp|NoNewPrivs):' /proc/1/status | tr -d '\\t' | tr '\\n' ' '"
	docker := "00000000a80425fb"
	tests := []struct {
		name  string
		flags []string
		cmd   string
		want  string
	}{
		{"default", nil, status, "CapInh:0000000000000000 CapPrm:" + docker + " CapEff:" + docker + " CapBnd:" + docker + " CapAmb:0000000000000000 NoNewPrivs:0 Seccomp:2 "},
		{"cap-drop ALL, cap-add one", []string{"--cap-drop", "ALL", "--cap-add", "net_bind_service"}, status,
			"CapInh:0000000000000000 CapPrm:0000000000000400 CapEff:0000000000000400 CapBnd:0000000000000400 CapAmb:0000000000000000 NoNewPrivs:0 Seccomp:2 "},
		{"cap-drop one", []string{"--cap-drop", "CAP_NET_RAW"}, "grep CapEff /proc/1/status", "CapEff:\t00000000a80405fb\n"},
		{"cap-add one", []string{"--cap-add", "SYS_PTRACE"}, "grep CapEff /proc/1/status", "CapEff:\t00000000a80c25fb\n"},
		{"seccomp unconfined", []string{"--security-opt", "seccomp=unconfined"}, "grep Seccomp: /proc/1/status", "Seccomp:\t0\n"},
		{"no-new-privileges", []string{"--security-opt", "no-new-privileges"}, "grep -E '^(NoNewPrivs|Seccomp):' /proc/1/status", "NoNewPrivs:\t1\nSeccomp:\t2\n"},
		{"a profile file", []string{"--security-opt", "seccomp=" + profile}, "mkdir /tmp/x 2>&1; touch /tmp/y && echo touched", "mkdir: can't create directory '/tmp/x': Operation not permitted\ntouched\n"},
		{"a session of its own, no terminal", nil, "cat /proc/1/stat | cut -d' ' -f6,7", "1 0\n"},
		{"its own cgroup namespace", nil, "grep -c ':/$' /proc/1/cgroup; grep -vc ':/$' /proc/1/cgroup", "10\n0\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := runRoot(t, "", append(tc.flags, "sh", "-c", tc.cmd)...)
			if r.err != nil || r.stdout != tc.want {
				t.Errorf("status %d err %v\nstdout %q\nwant   %q\nstderr %q", r.status, r.err, r.stdout, tc.want, r.stderr)
			}
		})
	}
}

// CVE-2022-24769: a user the command drops to (as a server drops to
// nobody) executes a file with inheritable file capabilities, and gets
// none of them: the inheritable set is empty. On the host's root, whose
// setcap and setpriv the container uses, with the file in the test's
// temporary directory (which the container shares).
func TestNoCapabilityThroughInheritable(t *testing.T) {
	requireRoot(t)
	file := filepath.Join(t.TempDir(), "inhcat")
	for _, bin := range []string{"/usr/sbin/setcap", "/usr/bin/setpriv"} {
		if _, err := os.Stat(bin); err != nil {
			t.Fatalf("%s is missing (apt-get install libcap2-bin util-linux)", bin)
		}
	}
	script := "cp /bin/cat " + file + " && /usr/sbin/setcap cap_dac_override+ei " + file + " && " +
		"/usr/bin/setpriv --reuid 65534 --regid 65534 --clear-groups " + file + " /proc/self/status | grep -E '^Cap(Inh|Prm|Eff)'"
	spec, err := cli.ParseRun([]string{"sh", "-c", script})
	if err != nil {
		t.Fatal(err)
	}
	var out, errb bytes.Buffer
	status, err := (&core.Runtime{}).Run(context.Background(), spec, core.Stdio{Out: &out, Err: &errb})
	want := "CapInh:\t0000000000000000\nCapPrm:\t0000000000000000\nCapEff:\t0000000000000000\n"
	if status != 0 || err != nil || out.String() != want {
		t.Errorf("status %d err %v\nstdout %q\nwant   %q\nstderr %q", status, err, out.String(), want, errb.String())
	}
}
