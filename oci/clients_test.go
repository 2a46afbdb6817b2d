package oci

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
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

// rmdirIfNew removes the cgroup directories matching pattern that were
// not there before, after the test (containerd's shim makes
// /sys/fs/cgroup/unified/<namespace> on a hybrid host).
func rmdirIfNew(t *testing.T, pattern string) {
	before, _ := filepath.Glob(pattern)
	t.Cleanup(func() {
		now, _ := filepath.Glob(pattern)
		for _, d := range now {
			if !slices.Contains(before, d) {
				unix.Rmdir(d)
			}
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

// podmanConf writes a containers.conf that keeps podman's state in dir
// and off the network, with rlimits within this host's hard limits, and
// returns its path.
func podmanConf(t *testing.T, dir string) string {
	t.Helper()
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
	path := filepath.Join(dir, "containers.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	// podman 4.3 makes /run/containers/networks whatever it is told.
	removeIfNew(t, "/run/containers")
	return path
}

func TestPodman(t *testing.T) {
	requireTool(t, "podman", "conmon")
	dir := t.TempDir()
	conf := podmanConf(t, dir)
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
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
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
	// sleep ignores SIGTERM: stop's grace ends in mydocker's SIGKILL.
	out("stop", "-t", "1", "c1")
	if got := out("inspect", "--format", "{{.State.ExitCode}}", "c1"); strings.TrimSpace(got) != "137" {
		t.Errorf("exit code after stop: %q, want 137 (killed after the grace)", got)
	}
	out("rm", "c1")
	// --uidmap: a user namespace, whose root is the host's uid 100000
	// (podman makes a copy of the image owned by it).
	if got := out("run", "--rm", "--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536", "localhost/busybox",
		"sh", "-c", "cat /proc/self/uid_map; id -u"); strings.Join(strings.Fields(got), " ") != "0 100000 65536 0" {
		t.Errorf("--uidmap: %q", got)
	}
	// -it under a pseudo-terminal: the container has one of its own, also
	// in a user namespace.
	for _, userns := range [][]string{nil, {"--uidmap", "0:100000:65536", "--gidmap", "0:100000:65536"}} {
		args := append(append([]string{"run", "-it", "--rm"}, userns...), "localhost/busybox", "sh", "-c", "tty; echo done")
		cmd := podman(args...)
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
			t.Errorf("run -it %v: %q", userns, got.String())
		}
	}
}

// startDaemon starts a daemon of the test's own (its state under dir) and
// stops it by pid at the end; ready says when it serves.
func startDaemon(t *testing.T, dir string, ready func() bool, name string, args ...string) {
	t.Helper()
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(name, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Signal(syscall.SIGTERM)
		done := make(chan struct{})
		go func() { cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(20 * time.Second):
			syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
	})
	for deadline := time.Now().Add(20 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if ready() {
			return
		}
	}
	b, _ := os.ReadFile(logf.Name())
	t.Fatalf("%s did not start:\n%s", name, b)
}

// ociArchive is the busybox root as an OCI image archive, for ctr import
// (made by podman, which the podman test needs anyway).
func ociArchive(t *testing.T, format string) string {
	t.Helper()
	dir := t.TempDir()
	conf := podmanConf(t, dir)
	podman := func(args ...string) {
		t.Helper()
		all := append([]string{"--root", dir + "/root", "--runroot", dir + "/runroot", "--storage-driver", "vfs"}, args...)
		cmd := exec.Command("podman", all...)
		cmd.Env = append(os.Environ(), "CONTAINERS_CONF="+conf)
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("podman %s: %v\n%s", strings.Join(args, " "), err, out)
		}
	}
	podman("import", busyboxTar(t), "localhost/busybox")
	archive := filepath.Join(t.TempDir(), "busybox.tar")
	podman("save", "--format", format, "-o", archive, "localhost/busybox")
	podman("rmi", "-af")
	return archive
}

func TestContainerd(t *testing.T) {
	requireTool(t, "containerd", "ctr", "containerd-shim-runc-v2", "podman")
	dir := t.TempDir()
	sock := dir + "/containerd.sock"
	conf := fmt.Sprintf(`version = 2
root = "%[1]s/root"
state = "%[1]s/state"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "%[2]s"
[ttrpc]
  address = "%[2]s.ttrpc"
[debug]
  address = "%[1]s/debug.sock"
`, dir, sock)
	os.WriteFile(dir+"/config.toml", []byte(conf), 0o644)
	archive := ociArchive(t, "oci-archive")
	// containerd 1.6 keeps its shims' sockets and ctr its fifos in
	// /run/containerd whatever its state directory.
	removeIfNew(t, "/run/containerd")
	rmdirIfNew(t, "/sys/fs/cgroup/*/default")
	startDaemon(t, dir, func() bool { _, err := os.Stat(sock); return err == nil }, "containerd", "--config", dir+"/config.toml")
	ctr := func(args ...string) (string, error) {
		b, err := exec.Command("ctr", append([]string{"-a", sock}, args...)...).CombinedOutput()
		return string(b), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := ctr(args...)
		if err != nil {
			t.Fatalf("ctr %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	must("image", "import", "--base-name", "localhost/busybox", archive)
	rt := []string{"--runc-binary", os.Args[0], "--runc-root", dir + "/runc"}
	if out := must(append(append([]string{"run", "--rm"}, rt...), "localhost/busybox:latest", "t1", "echo", "hi")...); out != "hi\n" {
		t.Errorf("ctr run --rm: %q", out)
	}
	must(append(append([]string{"run", "-d"}, rt...), "localhost/busybox:latest", "t2", "sleep", "1000")...)
	if out := must("task", "exec", "--exec-id", "e1", "t2", "sh", "-c", "echo in; cat /proc/1/cmdline"); !strings.HasPrefix(out, "in\nsleep") {
		t.Errorf("ctr task exec: %q", out)
	}
	if out := must("task", "ps", "t2"); !strings.Contains(out, "PID") {
		t.Errorf("ctr task ps: %q", out)
	}
	must("task", "kill", "-s", "SIGKILL", "t2")
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if out, _ := ctr("task", "ls"); !strings.Contains(out, "RUNNING") {
			break
		}
	}
	must("task", "delete", "t2")
	must("container", "delete", "t2")
}

func TestDocker(t *testing.T) {
	requireTool(t, "dockerd", "docker", "podman")
	dir := t.TempDir()
	sock := dir + "/docker.sock"
	archive := ociArchive(t, "docker-archive")
	removeIfNew(t, "/run/containerd", "/run/docker", "/var/lib/docker")
	rmdirIfNew(t, "/sys/fs/cgroup/*/moby")
	// dockerd 20.10 writes a trust key to /etc/docker unless told where.
	os.WriteFile(dir+"/daemon.json", []byte(`{"deprecated-key-path": "`+dir+`/key.json"}`), 0o644)
	startDaemon(t, dir, func() bool {
		return exec.Command("docker", "-H", "unix://"+sock, "version").Run() == nil
	}, "dockerd", "--config-file", dir+"/daemon.json", "--data-root", dir+"/data", "--exec-root", dir+"/exec",
		"-H", "unix://"+sock, "--pidfile", dir+"/docker.pid", "--iptables=false", "--ip6tables=false", "--ip-forward=false",
		"--ip-masq=false", "--bridge=none", "--userland-proxy=false", "--add-runtime", "mydocker="+os.Args[0])
	docker := func(args ...string) (string, error) {
		b, err := exec.Command("docker", append([]string{"-H", "unix://" + sock}, args...)...).CombinedOutput()
		return string(b), err
	}
	must := func(args ...string) string {
		t.Helper()
		out, err := docker(args...)
		if err != nil {
			t.Fatalf("docker %s: %v\n%s", strings.Join(args, " "), err, out)
		}
		return out
	}
	must("load", "-i", archive)
	t.Cleanup(func() { docker("rm", "-f", "d1") })
	if out := must("run", "--runtime", "mydocker", "--rm", "--network", "none", "localhost/busybox", "echo", "hi"); out != "hi\n" {
		t.Errorf("docker run --rm: %q", out)
	}
	must("run", "--runtime", "mydocker", "-d", "--name", "d1", "--network", "none", "localhost/busybox", "sleep", "1000")
	if out := must("exec", "d1", "sh", "-c", "echo in; cat /proc/1/cmdline"); !strings.HasPrefix(out, "in\nsleep") {
		t.Errorf("docker exec: %q", out)
	}
	must("stop", "-t", "1", "d1")
	must("rm", "d1")
}
