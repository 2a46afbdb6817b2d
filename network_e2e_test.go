package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"
)

// The network modes and the /etc files, with mydocker run in a network
// namespace made for the test (unshare --net), never the machine's: a
// veth pair there stands for the host's links.
func TestNetworkModes(t *testing.T) {
	requireRoot(t)
	hostsBefore, _ := os.ReadFile("/etc/hosts")
	resolvBefore, _ := os.ReadFile("/etc/resolv.conf")
	script := `
set -e
ip link add mdtest0 type veth peer name mdtest1
md() { "$MD" --root "$ROOT" "$@"; }
echo "host: $(md run --network host ip -o link show mdtest0 >/dev/null && echo sees-mdtest0)"
echo "none: $(md run sh -c "ip -o link | cut -d: -f2 | tr -d ' \n'; ip -o link show lo | grep -q 'LOOPBACK,UP' && echo ' up'")"
md run -h box --add-host db:10.0.0.9 --dns 192.0.2.53 cat /etc/hostname /etc/hosts /etc/resolv.conf
md run -d --name netbox sleep 100 >/dev/null
a=$(md exec netbox readlink /proc/self/ns/net)
b=$(md run --rm --network container:netbox readlink /proc/self/ns/net)
[ "$a" = "$b" ] && echo "container: same namespace"
c=$(md run --rm readlink /proc/self/ns/net)
[ "$a" != "$c" ] && echo "none: a namespace of its own"
md rm -f netbox >/dev/null
`
	cmd := exec.Command("unshare", "--net", "sh", "-c", script)
	cmd.Env = append(os.Environ(), "MD="+os.Args[0], "ROOT="+t.TempDir(), "MYDOCKER_TEST_MAIN=1")
	out, err := cmd.CombinedOutput()
	want := `host: sees-mdtest0
none: lo up
box
127.0.0.1	localhost box
::1	localhost ip6-localhost ip6-loopback box
10.0.0.9	db
nameserver 192.0.2.53
container: same namespace
none: a namespace of its own
`
	// resolv.conf keeps the host's search and options lines.
	got := string(out)
	for _, line := range strings.Split(string(resolvBefore), "\n") {
		if f := strings.Fields(line); len(f) > 0 && (f[0] == "search" || f[0] == "options" || f[0] == "domain") {
			got = strings.Replace(got, line+"\n", "", 1)
		}
	}
	if err != nil || got != want {
		t.Errorf("err %v\n got:\n%s\nwant:\n%s", err, out, want)
	}
	if after, _ := os.ReadFile("/etc/hosts"); string(after) != string(hostsBefore) {
		t.Error("the host's /etc/hosts changed")
	}
	if after, _ := os.ReadFile("/etc/resolv.conf"); string(after) != string(resolvBefore) {
		t.Error("the host's /etc/resolv.conf changed")
	}
	root := t.TempDir()
	for _, tc := range []struct {
		args   []string
		stderr string
	}{
		{[]string{"run", "--network", "container:nope", "true"}, "mydocker: run: --network container:nope: no such container: nope"},
		{[]string{"run", "--network", "other", "true"}, "mydocker: run: --network other: no plugin provides it (mydocker's own are bridge and cni:NAME; load others with --plugin)"},
		{[]string{"run", "-p", "8080:80", "true"}, "mydocker: run: -p needs a network that publishes ports (a plugin's, such as bridge), not --network none"},
		{[]string{"run", "--network", "ns:/nonexistent", "true"}, "mydocker: run: invalid --network ns:/nonexistent: no such file or directory"},
		{[]string{"run", "--dns", "x", "true"}, `mydocker: run: invalid --dns "x": not an IP address`},
	} {
		status, out, errs := md(t, root, tc.args...)
		if status != 125 || out != "" || strings.TrimSpace(errs) != tc.stderr {
			t.Errorf("%q: %d %q %q; want 125 %q", tc.args, status, out, errs, tc.stderr)
		}
	}
}
