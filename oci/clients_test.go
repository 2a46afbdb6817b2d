package oci

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/creack/pty"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/internal/hostcheck"
)

// The real clients drive this test binary as their runtime: its TestMain
// runs Main when called with an OCI command line (conmon passes no
// environment, so the arguments say it). Each client's state goes to
// directories of the test, and what they make on the host anyway
// (podman's /run/containers, conmon's libpod_parent cgroups) is removed
// if it was not there before.

// requireTool skips without the client, except under CI, which installs it.
func requireTool(t *testing.T, tools ...string) {
	t.Helper()
	hostcheck.RequireRoot(t)
	for _, tool := range tools {
		if _, err := exec.LookPath(tool); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is not installed (.ci/run installs it)", tool)
			}
			t.Skipf("%s is not installed", tool)
		}
	}
}

// removeIfNew removes each path (empty directories, deepest first) after
// the test if it did not exist before.
func removeIfNew(t *testing.T, paths ...string) {
	var fresh []string
	for _, p := range paths {
		if _, err := os.Stat(p); err != nil {
			fresh = append(fresh, p)
		}
	}
	t.Cleanup(func() {
		for _, p := range fresh {
			os.RemoveAll(p)
		}
	})
}

// busyboxTar is a tar of the busybox root (scripts/mkrootfs.sh).
func busyboxTar(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := exec.Command("../scripts/mkrootfs.sh", filepath.Join(dir, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("mkrootfs: %v %s", err, out)
	}
	tar := filepath.Join(dir, "busybox.tar")
	if out, err := exec.Command("tar", "-C", filepath.Join(dir, "rootfs"), "-cf", tar, ".").CombinedOutput(); err != nil {
		t.Fatalf("tar: %v %s", err, out)
	}
	return tar
}

// conmonCgroups are where conmon puts itself on cgroup v1 under podman's
// cgroupfs manager.
func conmonCgroups() []string {
	dirs, _ := filepath.Glob("/sys/fs/cgroup/*/libpod_parent")
	var out []string
	for _, d := range dirs {
		out = append(out, d+"/conmon", d)
	}
	return out
}

// runtimeWrapper is this test binary as a runtime whose state is in root:
// podman passes no --root to some of its calls (its cleanup's delete), and
// conmon no environment, so a script sets MYDOCKER_ROOT.
func runtimeWrapper(t *testing.T, root string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "mydocker")
	script := fmt.Sprintf("#!/bin/sh\nMYDOCKER_ROOT=%s exec %s \"$@\"\n", root, os.Args[0])
	if err := os.WriteFile(path, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPodman(t *testing.T) {
	requireTool(t, "podman", "conmon")
	dir := t.TempDir()
	var hard, nproc unix.Rlimit
	unix.Getrlimit(unix.RLIMIT_NOFILE, &hard)
	unix.Getrlimit(unix.RLIMIT_NPROC, &nproc)
	conf := fmt.Sprintf(`[containers]
netns = "none"
default_ulimits = ["nofile=%d:%d", "nproc=%d:%d"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "%s/events.log"
tmp_dir = "%s/tmp"
[network]
network_config_dir = "%s/networks"
`, hard.Max, hard.Max, min(nproc.Max, 32768), min(nproc.Max, 32768), dir, dir, dir)
	os.WriteFile(filepath.Join(dir, "containers.conf"), []byte(conf), 0o644)
	removeIfNew(t, "/run/containers")
	before := map[string]bool{}
	for _, d := range conmonCgroups() {
		before[d] = true
	}
	t.Cleanup(func() {
		for _, d := range conmonCgroups() { // deepest first
			if !before[d] {
				unix.Rmdir(d)
			}
		}
	})
	runtime := runtimeWrapper(t, dir+"/state")
	podman := func(args ...string) *exec.Cmd {
		all := append([]string{"--root", dir + "/root", "--runroot", dir + "/runroot", "--storage-driver", "vfs",
			"--runtime", runtime}, args...)
		cmd := exec.Command("podman", all...)
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+dir+"/containers.conf")
		return cmd
	}
	out := func(args ...string) string {
		t.Helper()
		b, err := podman(args...).CombinedOutput()
		if err != nil {
			t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, b)
		}
		return string(b)
	}
	out("import", busyboxTar(t), "localhost/busybox")
	t.Cleanup(func() { podman("rm", "-af").Run(); podman("rmi", "-af").Run() })
	if got := out("run", "--rm", "localhost/busybox", "echo", "hi"); got != "hi\n" {
		t.Errorf("run --rm: %q", got)
	}
	if got := out("run", "--rm", "--network", "none", "localhost/busybox", "sh", "-c", "ls /sys/class/net"); got != "lo\n" {
		t.Errorf("--network none: %q", got)
	}
	if err := podman("run", "--rm", "localhost/busybox", "sh", "-c", "exit 7").Run(); err == nil || err.(*exec.ExitError).ExitCode() != 7 {
		t.Errorf("exit status: %v", err)
	}
	out("run", "-d", "--name", "c1", "localhost/busybox", "sleep", "1000")
	if got := out("exec", "c1", "sh", "-c", "cat /proc/1/cmdline; echo; hostname"); !strings.HasPrefix(got, "sleep\x001000") {
		t.Errorf("exec: %q", got)
	}
	if err := podman("exec", "c1", "sh", "-c", "exit 5").Run(); err == nil || err.(*exec.ExitError).ExitCode() != 5 {
		t.Errorf("exec status: %v", err)
	}
	began := time.Now()
	out("stop", "-t", "1", "c1")
	if time.Since(began) > 10*time.Second {
		t.Errorf("stop took %v", time.Since(began))
	}
	out("rm", "c1")
	// -it under a pseudo-terminal: the container has one of its own.
	cmd := podman("run", "-it", "--rm", "localhost/busybox", "sh", "-c", "tty; echo done")
	ptmx, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	done := make(chan struct{})
	go func() { got.ReadFrom(ptmx); close(done) }()
	cmd.Wait()
	ptmx.Close()
	<-done
	if !strings.Contains(got.String(), "/dev/pts/0") || !strings.Contains(got.String(), "done") {
		t.Errorf("run -it: %q", got.String())
	}
}
