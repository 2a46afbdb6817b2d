package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/mydocker/mydocker/internal/testrootfs"
)

// The mydocker users run is built by build.sh (static, musl), not by go
// test (glibc): this builds it the README's way and runs, through it, each
// of the C entry points its re-executions take (the init of run, of run -d
// and of exec, the guard, the monitor), with the security steps checked
// from inside, one-shot and from a piped script; then its helpers, found
// next to it as users have them: the plugin host with an example plugin,
// and the bridge network in a network namespace made for the test.
func TestReleaseBinary(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	if out, err := exec.Command("bash", "build.sh", dir).CombinedOutput(); err != nil {
		t.Fatalf("build.sh: %v\n%s", err, out)
	}
	naming := filepath.Join(dir, "naming")
	if out, err := exec.Command("go", "build", "-o", naming, "./plugins/examples/naming").CombinedOutput(); err != nil {
		t.Fatalf("build the naming plugin: %v\n%s", err, out)
	}
	// Not the helpers TestMain built: the ones next to the binary.
	var env []string
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); k != "MYDOCKER_PLUGIN_HOST" && k != "MYDOCKER_NET_PLUGIN" && k != "MYDOCKER_IMAGE_HELPER" {
			env = append(env, kv)
		}
	}
	bin, root, rootfs := filepath.Join(dir, "mydocker"), t.TempDir(), testrootfs.Busybox(t)
	release := func(stdin string, args ...string) (int, string, string) {
		cmd := exec.Command(bin, append([]string{"--root", root}, args...)...)
		cmd.Env = env
		var out, errb bytes.Buffer
		cmd.Stdin, cmd.Stdout, cmd.Stderr = strings.NewReader(stdin), &out, &errb
		_ = cmd.Run()
		return cmd.ProcessState.ExitCode(), out.String(), errb.String()
	}
	t.Cleanup(func() { release("", "rm", "-f", "box") })
	security := `grep -E "^(CapEff|NoNewPrivs|Seccomp):" /proc/self/status; unshare -U true 2>/dev/null || echo unshare refused`
	want := "CapEff:\t00000000a80425fb\nNoNewPrivs:\t0\nSeccomp:\t2\nunshare refused\n"
	tests := []struct {
		name   string
		stdin  string
		args   []string
		status int
		stdout string // "~re" is a regexp
	}{
		{"version", "", []string{"--version"}, 0, "~^mydocker version "},
		{"run", "", []string{"run", "--rm", "--rootfs", rootfs, "sh", "-c", "echo pid=$$; " + security}, 0, "pid=1\n" + want},
		{"run status", "", []string{"run", "--rm", "--rootfs", rootfs, "sh", "-c", "exit 3"}, 3, ""},
		{"run -d", "", []string{"run", "-d", "--name", "box", "--rootfs", rootfs, "sleep", "100"}, 0, "~^[0-9a-f]{64}\n$"},
		{"exec", "", []string{"exec", "box", "sh", "-c", security}, 0, want},
		{"stop", "", []string{"stop", "-t", "0", "box"}, 0, "box\n"},
		{"ps -a", "", []string{"ps", "-a"}, 0, "~ box .* Exited \\(137\\) "},
		{"rm", "", []string{"rm", "box"}, 0, "box\n"},
		{"plugin", "", []string{"--plugin", naming, "run", "--rm", "--rootfs", rootfs, "hostname"}, 0, "~^box-[0-9a-f]{6}\n$"},
		{"script", strings.ReplaceAll("run --rm --rootfs R echo one\nrun --rm --rootfs R sh -c 'exit 4'\nrun --rm --rootfs R echo two\n", "R", rootfs), nil, 0, "one\ntwo\n"},
	}
	for _, tc := range tests {
		status, out, errs := release(tc.stdin, tc.args...)
		ok := out == tc.stdout
		if strings.HasPrefix(tc.stdout, "~") {
			ok = regexp.MustCompile(tc.stdout[1:]).MatchString(out)
		}
		if status != tc.status || !ok {
			t.Errorf("%s: %d %q (stderr %q), want %d %q", tc.name, status, out, errs, tc.status, tc.stdout)
		}
	}
	got := netnsScript(t, append(env, "MD="+bin), `
md run --rm --network bridge --rootfs $R ping -c1 -W5 192.0.2.2 >/dev/null && echo "outside: reached through NAT"
md network prune >/dev/null && [ "$before" = "$(baseline)" ] && echo "baseline restored"
`)
	// (After the notice the first use of bridge prints on stderr.)
	if !strings.HasSuffix(got, "\noutside: reached through NAT\nbaseline restored\n") {
		t.Errorf("the bridge network through the release build:\n%s", got)
	}
	if left, _ := filepath.Glob(filepath.Join(root, "containers", "[0-9a-f]*")); len(left) != 0 {
		t.Errorf("left in the store: %v", left)
	}
}
