package main

import (
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/mydocker/mydocker/internal/testrootfs"
)

// bridgeScript runs script with bash in a network namespace made for the
// test (unshare --net), as the "host": mydocker and its bridge plugin never
// touch the machine's own. $MD is mydocker, $R a busybox root, $ROOT the
// state; an "outside" namespace sits behind a veth at 192.0.2.2 and
// fd00:2::2.
func bridgeScript(t *testing.T, script string) string {
	t.Helper()
	return netnsScript(t, append(os.Environ(), "MD="+os.Args[0], "MYDOCKER_TEST_MAIN=1"), script)
}

// netnsScript is bridgeScript with the environment env (which names $MD).
func netnsScript(t *testing.T, env []string, script string) string {
	t.Helper()
	prelude := `
set -u
ip link set lo up
md() { "$MD" --root "$ROOT" "$@"; }
leases() { ls "$ROOT/bridge/leases" 2>/dev/null | wc -l; }
unshare --net sleep 300 & outside=$!
trap 'kill $outside 2>/dev/null' EXIT
while [ "$(readlink /proc/$outside/ns/net)" = "$(readlink /proc/self/ns/net)" ]; do sleep 0.01; done
ip link add mdhost type veth peer name mdout
ip link set mdout netns $outside
ip addr add 192.0.2.1/24 dev mdhost && ip addr add fd00:2::1/64 dev mdhost nodad && ip link set mdhost up
nsenter --net=/proc/$outside/ns/net sh -c 'ip addr add 192.0.2.2/24 dev mdout; ip addr add fd00:2::2/64 dev mdout nodad; ip link set mdout up'
baseline() {
	ip -o link | grep -v mdhost; ip route | grep -v 192.0.2; ip -6 route | grep -v fd00:2; nft list ruleset
	sysctl -n net.ipv4.ip_forward net.ipv6.conf.all.forwarding
}
before=$(baseline)
`
	root := t.TempDir()
	cmd := exec.Command("unshare", "--net", "bash", "-c", prelude+script)
	cmd.Env = append(env, "ROOT="+root, "R="+testrootfs.Busybox(t), "MYDOCKER_BRIDGE_STATE="+root+"/bridge")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("script: %v\n%s", err, out)
	}
	return string(out)
}

// Traffic on the bridge network: to the outside through NAT (the outside
// has no route back to the containers' subnet, so an answer proves the
// masquerade), -p from 127.0.0.1, the bridge's address and the outside,
// container to container, a container to its own published port
// (hairpin), and the host back to its baseline after network prune.
func TestBridgeNetwork(t *testing.T) {
	requireRoot(t)
	out := bridgeScript(t, `
www=$ROOT/www; mkdir -p $www; echo hello >$www/index.html
md run --rm --network bridge --rootfs $R ping -c1 -W5 192.0.2.2 >/dev/null && echo "outside: reached through NAT"
md run --rm --network bridge --rootfs $R ping -6 -c1 -W5 fd00:2::2 >/dev/null && echo "outside over IPv6: reached through NAT"
echo "leases after run --rm: $(leases)" # post-stop tore it down: no later start swept it
md run -d --name web -h webhost --network bridge -p 8080:80 -p 127.0.0.1:8081:80/tcp -p 5353:53/udp -v $www:/www --rootfs $R httpd -f -p 80 -h /www >/dev/null
ip=$(md exec web ip -o -4 addr show eth0 | awk '{print $4}' | cut -d/ -f1)
for i in $(seq 100); do wget -qO- http://127.0.0.1:8080/ >/dev/null 2>&1 && break; sleep 0.05; done
echo "-p 127.0.0.1: $(wget -qO- http://127.0.0.1:8080/)"
echo "-p 127.0.0.1 only: $(wget -qO- http://127.0.0.1:8081/)"
echo "-p bridge address: $(wget -qO- http://10.89.0.1:8080/)"
echo "-p from outside: $(nsenter --net=/proc/$outside/ns/net wget -qO- http://192.0.2.1:8080/)"
echo "-p from outside over IPv6: $(nsenter --net=/proc/$outside/ns/net wget -qO- 'http://[fd00:2::1]:8080/')"
echo "container to container: $(md run --rm --network bridge --rootfs $R wget -qO- http://$ip/)"
echo "hairpin: $(md exec web wget -qO- http://10.89.0.1:8080/)"
md run --rm --network bridge -h second --rootfs $R sh -c 'grep -w webhost /etc/hosts; grep -w second /etc/hosts | grep 10.89' 
# UDP: a python3 echo server on the host's root (busybox has none)
md run -d --name udp --network bridge -p 5300:53/udp python3 -c "
import socket
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.bind(('0.0.0.0', 53))
while True:
    d, a = s.recvfrom(100); s.sendto(b'pong', a)" >/dev/null
udp() { python3 -c "
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); s.settimeout(0.5)
for i in range(40):
    s.sendto(b'ping', (sys.argv[1], 5300))
    try: print(s.recv(100).decode()); break
    except socket.timeout: pass" $1; }
echo "-p udp 127.0.0.1: $(udp 127.0.0.1)"
echo "-p udp bridge address: $(udp 10.89.0.1)"
md rm -f udp >/dev/null
echo "leases: $(leases)"
md rm -f web >/dev/null
for i in $(seq 200); do [ "$(leases)" = 0 ] && break; sleep 0.05; done
echo "leases after rm: $(leases)"
md network prune && echo pruned
[ "$before" = "$(baseline)" ] && echo "baseline restored"
`)
	want := `outside: reached through NAT
outside over IPv6: reached through NAT
leases after run --rm: 0
-p 127.0.0.1: hello
-p 127.0.0.1 only: hello
-p bridge address: hello
-p from outside: hello
-p from outside over IPv6: hello
container to container: hello
hairpin: hello
10.89.0.2	webhost
10.89.0.3	second
-p udp 127.0.0.1: pong
-p udp bridge address: pong
leases: 1
leases after rm: 0
Deleted network bridge (mydocker0, its nftables tables and state)
pruned
baseline restored
`
	if got := dropNotice(out); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// One prompt session keeps its network plugin (which `plugins` lists),
// which remembers the bridge it made: after a prune (another process) it
// makes the bridge again, and a container still reaches the outside.
func TestBridgeAfterPruneInOneSession(t *testing.T) {
	requireRoot(t)
	out := bridgeScript(t, `
md <<EOF
run --rm --network bridge --rootfs $R ping -c1 -W5 192.0.2.2
plugins
network prune
run --rm --network bridge --rootfs $R ping -c1 -W5 192.0.2.2
network prune
EOF
[ "$before" = "$(baseline)" ] && echo "baseline restored"
`)
	if got := dropNotice(out); strings.Count(got, " 0% packet loss") != 2 || strings.Count(got, "Deleted network bridge") != 2 ||
		!strings.Contains(got, "(built in)") || !strings.HasSuffix(got, "baseline restored\n") {
		t.Errorf("got:\n%s", out)
	}
}

// dropNotice removes the line mydocker prints when it first makes the bridge.
func dropNotice(out string) string {
	var keep []string
	for _, l := range strings.SplitAfter(out, "\n") {
		if !strings.HasPrefix(l, "mydocker: --network bridge changes this host's network") {
			keep = append(keep, l)
		}
	}
	return strings.Join(keep, "")
}

// Twenty detached containers started at once from four mydocker processes
// get twenty different addresses; a SIGKILLed mydocker's lease is swept by
// the next start; prune refuses while the network is used.
func TestBridgeConcurrentAndKilled(t *testing.T) {
	requireRoot(t)
	out := bridgeScript(t, `
pids=
for p in 1 2 3 4; do
	(for i in 1 2 3 4 5; do md run -d --network bridge --rootfs $R sleep 300 >/dev/null || echo "start failed"; done) &
	pids="$pids $!"
done
wait $pids
echo "leases: $(leases)"
ids=$(md ps -q)
for id in $ids; do md exec $id ip -o -4 addr show eth0 | awk '{print $4}'; done | sort -u | wc -l | sed 's/^/distinct addresses: /'
md network prune 2>&1 | sed 's/^.*: //'
md rm -f $ids >/dev/null
for i in $(seq 200); do [ "$(leases)" = 0 ] && break; sleep 0.05; done
"$MD" --root "$ROOT" run --network bridge --rootfs $R sleep 300 & fg=$! # mydocker itself, not a subshell
for i in $(seq 200); do [ "$(leases)" = 1 ] && break; sleep 0.05; done
init=$(cut -d' ' -f2 $ROOT/bridge/leases/*)
kill -9 $fg; wait $fg 2>/dev/null
# its guard kills the container: wait until its init is gone (or a zombie)
for i in $(seq 200); do
	[ -e /proc/$init ] && [ "$(cut -d')' -f2 /proc/$init/stat | cut -d' ' -f2)" != Z ] || break
	sleep 0.05
done
echo "after SIGKILL: $(leases) lease left"
md run --rm --network bridge --rootfs $R true
echo "after the next start: $(leases) leases"
md ps -aq | xargs -r "$MD" --root "$ROOT" rm -f >/dev/null
md network prune && echo pruned
[ "$before" = "$(baseline)" ] && echo "baseline restored"
`)
	want := `leases: 20
distinct addresses: 20
network bridge is in use by 20 container(s)
after SIGKILL: 1 lease left
after the next start: 0 leases
Deleted network bridge (mydocker0, its nftables tables and state)
pruned
baseline restored
`
	if got := dropNotice(out); got != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}

// A CNI network (--network cni:NAME) with Debian's plugins: bridge with
// host-local IPAM and masquerade, and portmap. ADD at post-mount gives the
// container its address; DEL at post-stop gives it back.
func TestCNINetwork(t *testing.T) {
	requireRoot(t)
	for _, bin := range []string{"/usr/lib/cni/bridge", "/usr/lib/cni/host-local", "/usr/lib/cni/portmap"} {
		if _, err := os.Stat(bin); err != nil {
			if os.Getenv("CI") == "true" {
				t.Fatalf("%s is missing (apt-get install containernetworking-plugins)", bin)
			}
			t.Skipf("%s is missing", bin)
		}
	}
	out := bridgeScript(t, `
export MYDOCKER_CNI_CONF_DIR=$ROOT/net.d MYDOCKER_CNI_CACHE=$ROOT/cni-cache MYDOCKER_CNI_PATH=/usr/lib/cni
mkdir -p $ROOT/net.d $ROOT/ipam
cat >$ROOT/net.d/10-mdtest.conflist <<JSON
{"cniVersion": "0.4.0", "name": "mdtest", "plugins": [
 {"type": "bridge", "bridge": "cni-md0", "isGateway": true, "ipMasq": true,
  "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.77.0.0/24"}]], "routes": [{"dst": "0.0.0.0/0"}], "dataDir": "$ROOT/ipam"}},
 {"type": "portmap", "capabilities": {"portMappings": true}}
]}
JSON
md run --rm --network cni:mdtest --rootfs $R sh -c 'ip -4 -o addr show eth0 | grep -o "inet 10.77.0.[0-9]*"; ping -c1 -W5 192.0.2.2 >/dev/null && echo "outside: reached through the CNI bridge"'
echo "addresses leased after DEL: $(ls $ROOT/ipam/mdtest | grep -c '^10\.')"
md run --rm --network cni:nope true 2>&1 || true
`)
	want := `inet 10.77.0.2
outside: reached through the CNI bridge
addresses leased after DEL: 0
mydocker: run: plugin mydocker-net: pre-clone: --network cni:nope: no net configuration with name "nope" in ` + "ROOT" + `/net.d
`
	got := out
	if i := strings.Index(got, "in /"); i >= 0 {
		if j := strings.Index(got[i:], "/net.d"); j >= 0 {
			got = got[:i+3] + "ROOT" + got[i+j:]
		}
	}
	if got != want {
		t.Errorf("got:\n%s\nwant:\n%s", out, want)
	}
}
