package oci

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/hostcheck"
	"github.com/mydocker/mydocker/plugins"
)

// TestMain doubles the test binary as mydocker's OCI runtime for the
// clients (clients_test.go), and checks the host is left as found.
func TestMain(m *testing.M) {
	if len(os.Args) > 1 && !strings.HasPrefix(os.Args[1], "-test.") && IsOCI(os.Args[1:]) {
		os.Exit(Main(&core.Runtime{}, os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(hostcheck.Main(m))
}

// bundle makes a bundle of the busybox root (scripts/mkrootfs.sh) with
// `runc spec`'s config as mydocker's own default config, running args.
func bundle(t *testing.T, args ...string) string {
	t.Helper()
	hostcheck.RequireRoot(t)
	dir := t.TempDir()
	if out, err := exec.Command("../scripts/mkrootfs.sh", filepath.Join(dir, "rootfs")).CombinedOutput(); err != nil {
		t.Fatalf("mkrootfs: %v %s", err, out)
	}
	cfg := specs.Spec{Version: specs.Version, Root: &specs.Root{Path: "rootfs"}, Hostname: "oci",
		Process: &specs.Process{Args: args, Env: []string{"PATH=/bin:/sbin"}, Cwd: "/",
			Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}, Effective: []string{"CAP_KILL"}, Permitted: []string{"CAP_KILL"}},
			Rlimits:      []specs.POSIXRlimit{{Type: "RLIMIT_NOFILE", Hard: 1024, Soft: 1024}}, NoNewPrivileges: true},
		Mounts: []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"},
			{Destination: "/dev", Type: "tmpfs", Source: "tmpfs", Options: []string{"nosuid", "strictatime", "mode=755", "size=65536k"}},
			{Destination: "/dev/pts", Type: "devpts", Source: "devpts", Options: []string{"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620"}},
			{Destination: "/sys", Type: "sysfs", Source: "sysfs", Options: []string{"nosuid", "noexec", "nodev", "ro"}}},
		Linux: &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: "pid"}, {Type: "network"}, {Type: "ipc"}, {Type: "uts"}, {Type: "mount"}},
			MaskedPaths: []string{"/proc/kcore"}, ReadonlyPaths: []string{"/proc/sys"}},
	}
	b, _ := json.Marshal(cfg)
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// reap waits for a container's init that this test process created in
// process (create made it our child): in production the caller (conmon,
// the shim) reaps it, and until then the zombie holds its cgroup.
func reap(pid int) {
	var ws unix.WaitStatus
	unix.Wait4(pid, &ws, 0, nil)
}

// runDetached runs the bundle b as container id (`run --detach`), to be
// killed, reaped and deleted when the test ends, and returns its state.
func runDetached(t *testing.T, root, b, id string) specs.State {
	t.Helper()
	if status, _, errs := oci(t, root, "run", "--detach", "--bundle", b, id); status != 0 {
		t.Fatalf("run %s: %s", id, errs)
	}
	_, out, _ := oci(t, root, "state", id)
	var st specs.State
	if err := json.Unmarshal([]byte(out), &st); err != nil || st.Pid == 0 {
		t.Fatalf("state of %s: %v %q", id, err, out)
	}
	t.Cleanup(func() {
		oci(t, root, "kill", id, "KILL")
		reap(st.Pid)
		oci(t, root, "delete", "--force", id)
	})
	return st
}

func oci(t *testing.T, root string, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	status := Main(&core.Runtime{}, append([]string{"--root", root}, args...), &out, &errb)
	return status, out.String(), errb.String()
}

func TestIsOCI(t *testing.T) {
	for _, tc := range []struct {
		args []string
		oci  bool
	}{
		{[]string{"create", "--bundle", "b", "x"}, true},
		{[]string{"--root", "r", "--log", "l", "--log-format", "json", "kill", "x", "9"}, true},
		{[]string{"kill", "x", "SIGTERM"}, true},
		{[]string{"kill", "--all", "x"}, true},
		{[]string{"kill", "web"}, false},
		{[]string{"kill", "-s", "TERM", "web"}, false},
		{[]string{"run", "--bundle", "b", "x"}, true},
		{[]string{"run", "-d", "sleep", "1"}, false},
		{[]string{"--root", "r", "ps", "-a"}, false},
		{[]string{"ps", "--format", "json", "x"}, true},
		{[]string{"--version"}, true},
		{[]string{"--plugin", "p", "run", "true"}, false},
		{[]string{"exec", "--process", "p.json", "x"}, true},
		{[]string{"exec", "-ti", "web", "sh"}, false},
		{nil, false},
	} {
		if got := IsOCI(tc.args); got != tc.oci {
			t.Errorf("IsOCI(%q) = %v", tc.args, got)
		}
	}
}

// The runtime-spec lifecycle: create parks the init, state says created,
// start runs the command, kill and delete end it and leave nothing.
func TestLifecycle(t *testing.T) {
	b := bundle(t, "sh", "-c", "echo started > /dev/null; exec sleep 100")
	root := t.TempDir()
	pidFile := filepath.Join(t.TempDir(), "pid")
	if status, _, errs := oci(t, root, "create", "--bundle", b, "--pid-file", pidFile, "c1"); status != 0 {
		t.Fatalf("create: %s", errs)
	}
	state := func() specs.State {
		t.Helper()
		_, out, errs := oci(t, root, "state", "c1")
		var st specs.State
		if err := json.Unmarshal([]byte(out), &st); err != nil {
			t.Fatalf("state: %v %s", err, errs)
		}
		return st
	}
	pid, _ := os.ReadFile(pidFile)
	if st := state(); st.Status != specs.StateCreated || st.Pid == 0 || string(pid) != strings.TrimSpace(string(pid)) || st.Bundle != b {
		t.Fatalf("after create: %+v (pid file %q)", st, pid)
	}
	if status, _, errs := oci(t, root, "create", "--bundle", b, "c1"); status == 0 || !strings.Contains(errs, "already exists") {
		t.Errorf("create twice: %d %s", status, errs)
	}
	if status, _, errs := oci(t, root, "start", "c1"); status != 0 {
		t.Fatalf("start: %s", errs)
	}
	if st := state(); st.Status != specs.StateRunning {
		t.Fatalf("after start: %+v", st)
	}
	if _, out, _ := oci(t, root, "ps", "--format", "json", "c1"); !strings.HasPrefix(out, "[") {
		t.Errorf("ps: %q", out)
	}
	if status, _, errs := oci(t, root, "pause", "c1"); status != 0 {
		t.Errorf("pause: %s", errs)
	}
	if _, out, _ := oci(t, root, "state", "c1"); !strings.Contains(out, `"status": "paused"`) {
		t.Errorf("state after pause: %s", out)
	}
	if status, _, errs := oci(t, root, "resume", "c1"); status != 0 {
		t.Errorf("resume: %s", errs)
	}
	if st := state(); st.Status != specs.StateRunning {
		t.Errorf("after resume: %+v", st)
	}
	res := filepath.Join(t.TempDir(), "res.json")
	os.WriteFile(res, []byte(`{"pids": {"limit": 77}}`), 0o644)
	if status, _, errs := oci(t, root, "update", "--resources", res, "c1"); status != 0 {
		t.Errorf("update: %s", errs)
	}
	if cg, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cgroup", state().Pid)); !strings.Contains(string(cg), "pids:/mydocker/") {
		t.Errorf("not in a pids cgroup: %s", cg)
	} else {
		for _, line := range strings.Split(string(cg), "\n") {
			if rest, ok := strings.CutPrefix(line, strings.SplitN(line, ":", 2)[0]+":pids:"); ok {
				if max, _ := os.ReadFile("/sys/fs/cgroup/pids" + rest + "/pids.max"); strings.TrimSpace(string(max)) != "77" {
					t.Errorf("pids.max after update: %q", max)
				}
			}
		}
	}
	if status, _, errs := oci(t, root, "delete", "c1"); status == 0 || !strings.Contains(errs, "not stopped") {
		t.Errorf("delete of a running container: %d %s", status, errs)
	}
	pidOf := state().Pid
	if status, _, errs := oci(t, root, "kill", "c1", "KILL"); status != 0 {
		t.Fatalf("kill: %s", errs)
	}
	reap(pidOf)
	if status, _, errs := oci(t, root, "delete", "--force", "c1"); status != 0 {
		t.Fatalf("delete: %s", errs)
	}
	if status, _, errs := oci(t, root, "state", "c1"); status == 0 || !strings.Contains(errs, "does not exist") {
		t.Errorf("state after delete: %d %s", status, errs)
	}
}

// run is create, start and wait: the command's status, inside what the
// config asks for.
func TestRun(t *testing.T) {
	b := bundle(t, "sh", "-c", `hostname; grep -E '^(CapEff|NoNewPrivs)' /proc/self/status; ulimit -n; cat /proc/kcore | wc -c; exit 3`)
	root := t.TempDir()
	status, _, errs := oci(t, root, "run", "--bundle", b, "r1")
	if status != 3 {
		t.Fatalf("run: status %d %s", status, errs)
	}
	if status, out, _ := oci(t, root, "list", "-q"); status != 0 || out != "" {
		t.Errorf("run left %q", out)
	}
}

func TestErrors(t *testing.T) {
	hostcheck.RequireRoot(t)
	root := t.TempDir()
	log := filepath.Join(t.TempDir(), "log.json")
	var out, errb bytes.Buffer
	status := Main(&core.Runtime{}, []string{"--root", root, "--log", log, "--log-format", "json", "start", "nope"}, &out, &errb)
	b, _ := os.ReadFile(log)
	var entry map[string]string
	if status != 1 || json.Unmarshal(b, &entry) != nil || entry["msg"] != "start: container nope does not exist" || entry["level"] != "error" {
		t.Errorf("status %d log %q stderr %q", status, b, errb.String())
	}
	if status, _, errs := oci(t, root, "--systemd-cgroup", "create", "x"); status != 1 || !strings.Contains(errs, "systemd") {
		t.Errorf("--systemd-cgroup: %d %q", status, errs)
	}
}

// Command hooks run at their points with the state on stdin; a failing
// prestart hook fails the create and leaves nothing.
func TestHooks(t *testing.T) {
	b := bundle(t, "sleep", "100")
	out := t.TempDir()
	var cfg specs.Spec
	raw, _ := os.ReadFile(filepath.Join(b, "config.json"))
	json.Unmarshal(raw, &cfg)
	hook := func(name string) specs.Hook {
		return specs.Hook{Path: "/bin/sh", Args: []string{"sh", "-c", "cat > " + filepath.Join(out, name)}}
	}
	cfg.Hooks = &specs.Hooks{Prestart: []specs.Hook{hook("prestart")}, CreateRuntime: []specs.Hook{hook("createRuntime")}, //nolint:staticcheck
		Poststart: []specs.Hook{hook("poststart")}, Poststop: []specs.Hook{hook("poststop")}}
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(b, "config.json"), raw, 0o644)
	root := t.TempDir()
	pid := 0
	for _, args := range [][]string{{"create", "--bundle", b, "h1"}, {"start", "h1"}, {"kill", "h1", "9"}, {"delete", "--force", "h1"}} {
		if args[0] == "kill" {
			_, out, _ := oci(t, root, "state", "h1")
			var st specs.State
			json.Unmarshal([]byte(out), &st)
			pid = st.Pid
		}
		if args[0] == "delete" {
			reap(pid)
		}
		if status, _, errs := oci(t, root, args...); status != 0 {
			t.Fatalf("%v: %s", args, errs)
		}
	}
	for name, want := range map[string]specs.ContainerState{"prestart": specs.StateCreating, "createRuntime": specs.StateCreating,
		"poststart": specs.StateRunning, "poststop": specs.StateStopped} {
		var st specs.State
		b, err := os.ReadFile(filepath.Join(out, name))
		if err != nil || json.Unmarshal(b, &st) != nil || st.Status != want || st.ID != "h1" || (want != specs.StateStopped && st.Pid == 0) {
			t.Errorf("%s hook saw %s (%v)", name, b, err)
		}
	}
	cfg.Hooks = &specs.Hooks{Prestart: []specs.Hook{{Path: "/bin/false"}}} //nolint:staticcheck
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(b, "config.json"), raw, 0o644)
	if status, _, errs := oci(t, root, "create", "--bundle", b, "h2"); status == 0 || !strings.Contains(errs, "prestart hook /bin/false: exit status 1") {
		t.Errorf("failing prestart: %d %q", status, errs)
	}
	if _, out, _ := oci(t, root, "list", "-q"); out != "" {
		t.Errorf("a failed create left %q", out)
	}
}

// A bundle on a shared mount with rootfsPropagation shared: nothing the
// container mounts may appear outside it. (In a mount namespace of the
// test's own, where the bundle is made a shared mount.)
func TestRootfsPropagationStaysInside(t *testing.T) {
	b := bundle(t, "true")
	var cfg specs.Spec
	raw, _ := os.ReadFile(filepath.Join(b, "config.json"))
	json.Unmarshal(raw, &cfg)
	cfg.Linux.RootfsPropagation = "shared"
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(b, "config.json"), raw, 0o644)
	script := fmt.Sprintf(`mount --bind %[1]s %[1]s && mount --make-shared %[1]s &&
%[2]s --root %[3]s run --bundle %[1]s p1 && grep -c ' %[1]s/' /proc/self/mountinfo || true`, b, os.Args[0], t.TempDir())
	out, err := exec.Command("unshare", "--mount", "--propagation", "private", "sh", "-c", script).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "0" {
		t.Errorf("mounts seen outside the container: %v %q", err, out)
	}
}

// Namespaces joined by path (a pod): the second container sees the
// first's processes and hostname.
func TestJoinNamespaces(t *testing.T) {
	b1 := bundle(t, "sleep", "100")
	root := t.TempDir()
	st := runDetached(t, root, b1, "infra")
	b2 := bundle(t, "sh", "-c", `test "$(hostname)" = oci && test "$(tr "\0" " " </proc/1/cmdline)" = "sleep 100 "`)
	var cfg specs.Spec
	raw, _ := os.ReadFile(filepath.Join(b2, "config.json"))
	json.Unmarshal(raw, &cfg)
	cfg.Hostname = ""
	for i, ns := range cfg.Linux.Namespaces {
		if ns.Type != specs.MountNamespace {
			cfg.Linux.Namespaces[i].Path = fmt.Sprintf("/proc/%d/ns/%s", st.Pid, map[specs.LinuxNamespaceType]string{
				specs.PIDNamespace: "pid", specs.NetworkNamespace: "net", specs.IPCNamespace: "ipc", specs.UTSNamespace: "uts"}[ns.Type])
		}
	}
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(b2, "config.json"), raw, 0o644)
	if status, _, errs := oci(t, root, "run", "--bundle", b2, "member"); status != 0 {
		t.Errorf("a member of infra's namespaces: status %d %s", status, errs)
	}
}

// Hook plugins listed in ROOT/plugins.json run around OCI containers: a
// pre-clone edit of the env applies, post-mount writes into the root,
// post-stop fires at delete; a bundle may opt out.
func TestPlugins(t *testing.T) {
	b := bundle(t, "sh", "-c", `test "$CHAIN" = "x1" && test "$(cat /etc/from-plugin)" = "written at post-mount"`)
	dir := t.TempDir()
	for _, name := range []string{"edit-1", "write-root", "poststop-oci"} {
		if out, err := exec.Command("go", "build", "-o", filepath.Join(dir, name), "../plugins/internal/testplugin").CombinedOutput(); err != nil {
			t.Fatalf("build %s: %v %s", name, err, out)
		}
	}
	t.Setenv("TESTPLUGIN_DIR", dir)
	var cfg specs.Spec
	raw, _ := os.ReadFile(filepath.Join(b, "config.json"))
	json.Unmarshal(raw, &cfg)
	cfg.Process.Env = append(cfg.Process.Env, "CHAIN=x")
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(b, "config.json"), raw, 0o644)
	root := t.TempDir()
	list, _ := json.Marshal(map[string]any{"plugins": []string{dir + "/edit-1", dir + "/write-root", dir + "/poststop-oci"}, "hookTimeout": "10s"})
	os.WriteFile(filepath.Join(root, PluginsFile), list, 0o644)
	load := func(paths []string, timeout string) (core.Hooks, func(), error) {
		h, err := plugins.Load(plugins.Options{Paths: paths})
		if err != nil {
			return nil, nil, err
		}
		return h, func() { h.Close() }, nil
	}
	var out, errb bytes.Buffer
	if status := MainWithPlugins(&core.Runtime{}, load, []string{"--root", root, "run", "--bundle", b, "pl1"}, &out, &errb); status != 0 {
		t.Fatalf("run with plugins: status %d %s", status, errb.String())
	}
	if got, _ := os.ReadFile(filepath.Join(dir, "poststop")); !strings.HasPrefix(string(got), "oci exited 0") {
		t.Errorf("post-stop: %q", got)
	}
	// Opted out: no edit, so the command's test fails (status 1).
	cfg.Annotations = map[string]string{OptOut: "off"}
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(b, "config.json"), raw, 0o644)
	if status := MainWithPlugins(&core.Runtime{}, load, []string{"--root", root, "run", "--bundle", b, "pl2"}, &out, &errb); status != 1 {
		t.Errorf("opted out: status %d", status)
	}
}
