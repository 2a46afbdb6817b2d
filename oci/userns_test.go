package oci

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"golang.org/x/sys/unix"
)

// A container with a user namespace of its own: its root is the host's
// uid 100000, for its command and for what exec runs in it; it cannot
// make device nodes, and has the host's (bound); its mappings are
// checked before anything is made.
func TestUserNamespace(t *testing.T) {
	b := bundle(t, "sh", "-c", "touch /shared/by-init; exec sleep 100")
	// The container's root is an ordinary host uid: the bundle must be
	// reachable for it, as with runc; a bind mount's source need not be
	// (mydocker opens it): this one is in a directory only root may enter.
	for _, dir := range []string{filepath.Dir(b), b} {
		os.Chmod(dir, 0o755)
	}
	// The directory is on a shared mount (as / is under systemd): the
	// container's view of it must be a slave, never the host's peer.
	private := t.TempDir()
	if err := unix.Mount("tmpfs", private, "tmpfs", 0, "mode=0700"); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { unix.Unmount(private, unix.MNT_DETACH) })
	if err := unix.Mount("", private, "", unix.MS_SHARED, ""); err != nil {
		t.Fatal(err)
	}
	shared := filepath.Join(private, "shared")
	os.Mkdir(shared, 0o777)
	os.Chmod(shared, 0o777)
	// Its root owns nothing in this root filesystem (the host's root
	// does): mount points must be there already.
	os.Mkdir(filepath.Join(b, "rootfs", "shared"), 0o755)
	var cfg specs.Spec
	raw, _ := os.ReadFile(filepath.Join(b, "config.json"))
	json.Unmarshal(raw, &cfg)
	cfg.Linux.Namespaces = append(cfg.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
	cfg.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	cfg.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 65536}}
	cfg.Mounts = append(cfg.Mounts, specs.Mount{Destination: "/shared", Type: "bind", Source: shared, Options: []string{"rbind"}})
	cfg.Root.Readonly = true // a bind remount of a host mount, in a user namespace
	raw, _ = json.Marshal(cfg)
	os.WriteFile(filepath.Join(b, "config.json"), raw, 0o644)

	root := t.TempDir()
	st := runDetached(t, root, b, "u1")
	script := `cat /proc/self/uid_map > /shared/uid_map; touch /shared/by-exec
		if mknod /shared/null c 1 3 2>/dev/null; then echo made > /shared/mknod; fi
		stat -c %t:%T /dev/null > /shared/devnull; echo x > /dev/null && echo ok > /shared/write-null`
	if status, _, errs := oci(t, root, "exec", "u1", "sh", "-c", script); status != 0 {
		t.Fatalf("exec: %d %s", status, errs)
	}
	read := func(name string) string {
		b, _ := os.ReadFile(filepath.Join(shared, name))
		return strings.Join(strings.Fields(string(b)), " ")
	}
	for _, tc := range []struct{ what, got, want string }{
		{"exec's uid_map", read("uid_map"), "0 100000 65536"},
		{"/dev/null", read("devnull"), "1:3"},
		{"writing /dev/null", read("write-null"), "ok"},
		{"mknod", read("mknod"), ""},
	} {
		if tc.got != tc.want {
			t.Errorf("%s: %q, want %q", tc.what, tc.got, tc.want)
		}
	}
	for _, f := range []string{"by-init", "by-exec"} {
		var s syscall.Stat_t
		if err := syscall.Stat(filepath.Join(shared, f), &s); err != nil || s.Uid != 100000 || s.Gid != 100000 {
			t.Errorf("%s: owned by %d:%d (%v), want the host's 100000:100000", f, s.Uid, s.Gid, err)
		}
	}
	// The bound directory is a slave of the host's mount, never its peer:
	// nothing mounted in it reaches the host.
	mi, _ := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/mountinfo")
	found := false
	for _, line := range strings.Split(string(mi), "\n") {
		if f := strings.Fields(line); len(f) > 6 && f[4] == "/shared" {
			found = true
			if strings.Contains(line, " shared:") {
				t.Errorf("/shared is the host's peer: %s", line)
			}
		}
	}
	if !found {
		t.Errorf("no /shared in the container's mountinfo:\n%s", mi)
	}
	if m, _ := os.ReadFile("/proc/" + strconv.Itoa(st.Pid) + "/uid_map"); strings.Join(strings.Fields(string(m)), " ") != "0 100000 65536" {
		t.Errorf("the init's uid_map: %q", m)
	}
}

// A user namespace's mappings are checked before anything is made.
func TestUserNamespaceRefused(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*specs.Spec)
		want string
	}{
		{"no mappings", func(c *specs.Spec) {}, "needs both linux.uidMappings and linux.gidMappings"},
		{"root not mapped", func(c *specs.Spec) {
			c.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 1, HostID: 100000, Size: 10}}
			c.Linux.GIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 10}}
		}, "must map the container's root (uid 0)"},
		{"a path", func(c *specs.Spec) {
			c.Linux.Namespaces[len(c.Linux.Namespaces)-1].Path = "/proc/1/ns/user"
		}, "joining a user namespace (/proc/1/ns/user) is not supported"},
		{"mappings without the namespace", func(c *specs.Spec) {
			c.Linux.Namespaces = c.Linux.Namespaces[:len(c.Linux.Namespaces)-1]
			c.Linux.UIDMappings = []specs.LinuxIDMapping{{ContainerID: 0, HostID: 100000, Size: 10}}
		}, "need a user namespace"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b := bundle(t, "true")
			var cfg specs.Spec
			raw, _ := os.ReadFile(filepath.Join(b, "config.json"))
			json.Unmarshal(raw, &cfg)
			cfg.Linux.Namespaces = append(cfg.Linux.Namespaces, specs.LinuxNamespace{Type: specs.UserNamespace})
			tc.edit(&cfg)
			raw, _ = json.Marshal(cfg)
			os.WriteFile(filepath.Join(b, "config.json"), raw, 0o644)
			root := t.TempDir()
			status, _, errs := oci(t, root, "run", "--bundle", b, "u2")
			if status == 0 || !strings.Contains(errs, tc.want) || strings.Count(strings.TrimSpace(errs), "\n") != 0 {
				t.Errorf("status %d, stderr %q, want one line with %q", status, errs, tc.want)
			}
			if _, out, _ := oci(t, root, "list", "-q"); out != "" {
				t.Errorf("left %q", out)
			}
		})
	}
}
