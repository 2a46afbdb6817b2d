// Package bridge is mydocker's bundled network plugin: `--network bridge`
// puts a container on a Linux bridge (mydocker0) with an address of its
// own, NAT to the outside, and -p ports published on the host, as docker's
// default network does. It runs in mydocker's own process (its hooks,
// Hooks, called by core) or in the plugin binary mydocker-net
// (plugins/cmd/mydocker-net, --plugin): setup from the host side, begun as
// soon as the container's init is cloned (post-clone) and awaited at
// post-mount, before the command runs; teardown at post-stop.
//
// What it makes on the host, all named mydocker's:
//
//	the bridge         mydocker0 (MYDOCKER_BRIDGE_NAME), the gateway
//	                   addresses of the subnets (MYDOCKER_BRIDGE_SUBNET,
//	                   default 10.89.0.0/24; MYDOCKER_BRIDGE_SUBNET6,
//	                   default fd89::/64), route_localnet on it
//	a veth per         host end md<id[:10]> on the bridge (hairpin on),
//	container          its peer made directly in the container's network
//	                   namespace as eth0 (it goes when the namespace goes)
//	nftables           tables ip and ip6 mydocker: masquerade out of the subnet and
//	                   of DNAT'ed traffic (localhost and hairpin), DNAT of
//	                   published ports, each rule tagged with its container
//	sysctl             IPv4 and IPv6 forwarding on (put back by prune)
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
	"sync/atomic"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/internal/flock"
)

// Name is the network this plugin provides.
const Name = "bridge"

// Config says where the bridge network lives.
type Config struct {
	Bridge string     // the bridge's name
	Subnet *net.IPNet // IPv4; the first address is the gateway
	// Subnet6 is the IPv6 ULA subnet (a /64 or longer); nil: IPv4 only.
	Subnet6 *net.IPNet
	State   string // the state directory
	// ready is the index of the bridge this process last made sure of
	// (addresses, up, sysctls, nftables tables): while the bridge with
	// that index exists, a setup skips those steps (prune deletes the
	// bridge with the tables, so a new bridge means doing them again).
	ready *atomic.Int64
	// Firewall makes the nftables tables and port rules (package nft, or
	// HelperFirewall); the caller sets it.
	Firewall Firewall
}

// ConfigFromEnv reads MYDOCKER_BRIDGE_NAME, MYDOCKER_BRIDGE_SUBNET and
// MYDOCKER_BRIDGE_STATE.
func ConfigFromEnv() (Config, error) {
	c := Config{Bridge: "mydocker0", State: "/run/mydocker/bridge", ready: new(atomic.Int64)}
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
	subnet6 := "fd89::/64"
	if v, ok := os.LookupEnv("MYDOCKER_BRIDGE_SUBNET6"); ok {
		subnet6 = v
	}
	if _, err := os.Stat("/proc/sys/net/ipv6"); err != nil || subnet6 == "none" {
		return c, nil // IPv6 disabled on this host, or by the user
	}
	_, n6, err := net.ParseCIDR(subnet6)
	if ones, bits := 0, 0; err == nil {
		ones, bits = n6.Mask.Size()
		if bits != 128 || ones < 64 || ones > 120 || n6.IP[0]&0xfe != 0xfc {
			err = errors.New("not a ULA")
		}
	}
	if err != nil {
		return c, fmt.Errorf("MYDOCKER_BRIDGE_SUBNET6 %q: want an IPv6 ULA subnet such as fd89::/64, or none", subnet6)
	}
	c.Subnet6 = n6
	return c, nil
}

// Gateway6 is the bridge's IPv6 address: the subnet's first.
func (c Config) Gateway6() net.IP { return addIP6(c.Subnet6.IP, 1) }

// addIP6 adds n to the last 32 bits of ip.
func addIP6(ip net.IP, n uint32) net.IP {
	v := append(net.IP(nil), ip.To16()...)
	x := uint32(v[12])<<24 | uint32(v[13])<<16 | uint32(v[14])<<8 | uint32(v[15]) + n
	v[12], v[13], v[14], v[15] = byte(x>>24), byte(x>>16), byte(x>>8), byte(x)
	return v
}

// hostNumber is ip's offset in the IPv4 subnet: its IPv6 address has the
// same.
func (c Config) hostNumber(ip net.IP) uint32 {
	a, b := ip.To4(), c.Subnet.IP.To4()
	return (uint32(a[0])<<24 | uint32(a[1])<<16 | uint32(a[2])<<8 | uint32(a[3])) -
		(uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3]))
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
	release, err := flock.Lock(filepath.Join(c.State, "lock"), unix.LOCK_EX)
	if err != nil {
		return nil, fmt.Errorf("lock the bridge state: %w", err)
	}
	return release, nil
}
