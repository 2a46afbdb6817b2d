// Package bridge is mydocker's bundled network plugin: `--network bridge`
// puts a container on a Linux bridge (mydocker0) with an address of its
// own, NAT to the outside, and -p ports published on the host, as docker's
// default network does. It runs as the plugin binary mydocker-bridge
// (cmd/mydocker-bridge): setup at post-mount, from the host side, while
// the container's init waits; teardown at post-stop.
//
// What it makes on the host, all named mydocker's:
//
//	the bridge         mydocker0 (MYDOCKER_BRIDGE_NAME), the gateway
//	                   address of the subnet (MYDOCKER_BRIDGE_SUBNET,
//	                   default 10.89.0.0/24), route_localnet on it
//	a veth per         host end md<id[:10]> on the bridge (hairpin on),
//	container          its peer made directly in the container's network
//	                   namespace as eth0 (it goes when the namespace goes)
//	nftables           table ip mydocker: masquerade out of the subnet and
//	                   of DNAT'ed traffic (localhost and hairpin), DNAT of
//	                   published ports, each rule tagged with its container
//	sysctl             net.ipv4.ip_forward=1
//	state              MYDOCKER_BRIDGE_STATE (default /run/mydocker/bridge):
//	                   a lock, and one lease file per address in use
//
// Every change is made under the state's flock, so concurrent mydocker
// processes never race; leases whose container is gone (its PID 1 with
// the recorded start time is not alive: a SIGKILLed mydocker) are swept
// at every setup. Prune removes everything once no container uses it.
package bridge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// Name is the network this plugin provides.
const Name = "bridge"

// Config says where the bridge network lives.
type Config struct {
	Bridge string     // the bridge's name
	Subnet *net.IPNet // IPv4; the first address is the gateway
	State  string     // the state directory
}

// ConfigFromEnv reads MYDOCKER_BRIDGE_NAME, MYDOCKER_BRIDGE_SUBNET and
// MYDOCKER_BRIDGE_STATE.
func ConfigFromEnv() (Config, error) {
	c := Config{Bridge: "mydocker0", State: "/run/mydocker/bridge"}
	if v := os.Getenv("MYDOCKER_BRIDGE_NAME"); v != "" {
		c.Bridge = v
	}
	if v := os.Getenv("MYDOCKER_BRIDGE_STATE"); v != "" {
		c.State = v
	}
	subnet := "10.89.0.0/24"
	if v := os.Getenv("MYDOCKER_BRIDGE_SUBNET"); v != "" {
		subnet = v
	}
	_, n, err := net.ParseCIDR(subnet)
	if err != nil || n.IP.To4() == nil {
		return c, fmt.Errorf("MYDOCKER_BRIDGE_SUBNET %q: want an IPv4 subnet such as 10.89.0.0/24", subnet)
	}
	if ones, bits := n.Mask.Size(); bits-ones < 2 || bits-ones > 16 {
		return c, fmt.Errorf("MYDOCKER_BRIDGE_SUBNET %q: want a prefix from /16 to /30", subnet)
	}
	if len(c.Bridge) > 15 {
		return c, fmt.Errorf("MYDOCKER_BRIDGE_NAME %q: at most 15 bytes", c.Bridge)
	}
	c.Subnet = n
	return c, nil
}

// Gateway is the bridge's address: the subnet's first.
func (c Config) Gateway() net.IP { return addIP(c.Subnet.IP, 1) }

func addIP(ip net.IP, n uint32) net.IP {
	v := ip.To4()
	x := uint32(v[0])<<24 | uint32(v[1])<<16 | uint32(v[2])<<8 | uint32(v[3]) + n
	return net.IPv4(byte(x>>24), byte(x>>16), byte(x>>8), byte(x)).To4()
}

// vethName is a container's host-side interface (15 bytes at most).
func vethName(id string) string {
	if len(id) > 10 {
		id = id[:10]
	}
	return "md" + id
}

// lock serialises every change of the network across processes.
func (c Config) lock() (func(), error) {
	if err := os.MkdirAll(filepath.Join(c.State, "leases"), 0o700); err != nil {
		return nil, fmt.Errorf("bridge state: %w", err)
	}
	f, err := os.OpenFile(filepath.Join(c.State, "lock"), os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, fmt.Errorf("bridge state: %w", err)
	}
	for {
		err = unix.Flock(int(f.Fd()), unix.LOCK_EX)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, fmt.Errorf("lock the bridge state: %w", err)
	}
	return func() { f.Close() }, nil
}

// procStart is a process's start time (field 22 of /proc/PID/stat), which
// with the pid names it uniquely.
func procStart(pid int) (string, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return "", err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	f := strings.Fields(s[i+1:])
	if len(f) < 20 || f[0] == "Z" {
		return "", errors.New("not running")
	}
	return f[19], nil
}
