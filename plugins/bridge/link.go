package bridge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/vishvananda/netlink"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// ensureBridge makes the bridge with the gateway address, up, routing
// localhost-published traffic (route_localnet), and forwarding on.
func (c Config) ensureBridge() (netlink.Link, error) {
	br, err := netlink.LinkByName(c.Bridge)
	if err != nil {
		attrs := netlink.NewLinkAttrs()
		attrs.Name = c.Bridge
		if err := netlink.LinkAdd(&netlink.Bridge{LinkAttrs: attrs}); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("create bridge %s: %w", c.Bridge, err)
		}
		if br, err = netlink.LinkByName(c.Bridge); err != nil {
			return nil, fmt.Errorf("bridge %s: %w", c.Bridge, err)
		}
	}
	ones, _ := c.Subnet.Mask.Size()
	addr := &netlink.Addr{IPNet: &net.IPNet{IP: c.Gateway(), Mask: net.CIDRMask(ones, 32)}}
	if err := netlink.AddrAdd(br, addr); err != nil && !errors.Is(err, unix.EEXIST) {
		return nil, fmt.Errorf("address bridge %s: %w", c.Bridge, err)
	}
	if c.Subnet6 != nil {
		ones, _ := c.Subnet6.Mask.Size()
		addr6 := &netlink.Addr{IPNet: &net.IPNet{IP: c.Gateway6(), Mask: net.CIDRMask(ones, 128)}, Flags: unix.IFA_F_NODAD}
		if err := netlink.AddrAdd(br, addr6); err != nil && !errors.Is(err, unix.EEXIST) {
			return nil, fmt.Errorf("address bridge %s: %w", c.Bridge, err)
		}
	}
	if err := netlink.LinkSetUp(br); err != nil {
		return nil, fmt.Errorf("bring up bridge %s: %w", c.Bridge, err)
	}
	sysctls := map[string]string{
		ipForward: "1",
		fmt.Sprintf("/proc/sys/net/ipv4/conf/%s/route_localnet", c.Bridge): "1",
	}
	forwarding := []string{ipForward}
	if c.Subnet6 != nil {
		sysctls[ip6Forward] = "1"
		forwarding = append(forwarding, ip6Forward)
	}
	// Forwarding is the host's: what it was is kept for prune to restore.
	for _, path := range forwarding {
		saved := filepath.Join(c.State, savedName[path])
		if _, err := os.Stat(saved); errors.Is(err, os.ErrNotExist) {
			old, err := os.ReadFile(path)
			if err != nil {
				return nil, fmt.Errorf("sysctl %s: %w", path, err)
			}
			if err := os.WriteFile(saved, old, 0o600); err != nil {
				return nil, err
			}
		}
	}
	for path, value := range sysctls {
		if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
			return nil, fmt.Errorf("sysctl %s: %w", path, err)
		}
	}
	return br, nil
}

// attach makes the container's veth: the host end on the bridge (its
// index), the peer created right in the container's network namespace as
// eth0 (veth.go), with ip and a default route through the gateway.
func (c Config) attach(bridge int, id string, pid int, ip net.IP) error {
	ns, err := netns.GetFromPath(fmt.Sprintf("/proc/%d/ns/net", pid))
	if err != nil {
		return fmt.Errorf("open the container's network namespace: %w", err)
	}
	defer ns.Close()
	if err := addVeth(vethName(id), bridge, int(ns)); err != nil {
		return fmt.Errorf("create veth %s: %w", vethName(id), err)
	}
	r, err := openRtnlAt(ns)
	if err != nil {
		return err
	}
	defer r.close()
	eth0, err := ifIndex(r.fd, "eth0")
	if err != nil {
		return fmt.Errorf("the container's eth0: %w", err)
	}
	ones, _ := c.Subnet.Mask.Size()
	if err := r.addAddr(eth0, ip, ones); err != nil {
		return fmt.Errorf("address eth0: %w", err)
	}
	if err := r.linkUp(eth0); err != nil {
		return fmt.Errorf("bring up eth0: %w", err)
	}
	if err := r.addDefaultRoute(eth0, c.Gateway()); err != nil {
		return fmt.Errorf("default route: %w", err)
	}
	if c.Subnet6 != nil {
		ones6, _ := c.Subnet6.Mask.Size()
		if err := r.addAddr(eth0, addIP6(c.Subnet6.IP, c.hostNumber(ip)), ones6); err != nil {
			return fmt.Errorf("address eth0: %w", err)
		}
		if err := r.addDefaultRoute(eth0, c.Gateway6()); err != nil {
			return fmt.Errorf("default IPv6 route: %w", err)
		}
	}
	return nil
}

// detach deletes the container's host-side veth if it is still there (it
// goes by itself with the container's network namespace).
func detach(id string) {
	if l, err := netlink.LinkByName(vethName(id)); err == nil {
		netlink.LinkDel(l)
	}
}

const (
	ipForward  = "/proc/sys/net/ipv4/ip_forward"
	ip6Forward = "/proc/sys/net/ipv6/conf/all/forwarding"
)

// savedName is the state file keeping a forwarding sysctl's old value.
var savedName = map[string]string{ipForward: "ip_forward", ip6Forward: "ipv6_forwarding"}

// restoreForwarding puts IPv4 and IPv6 forwarding back as they were
// before the bridge.
func (c Config) restoreForwarding() error {
	for _, path := range []string{ipForward, ip6Forward} {
		old, err := os.ReadFile(filepath.Join(c.State, savedName[path]))
		if err != nil {
			continue // never set
		}
		if err := os.WriteFile(path, old, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// deleteBridge removes the bridge (prune).
func (c Config) deleteBridge() error {
	br, err := netlink.LinkByName(c.Bridge)
	if err != nil {
		return nil
	}
	return netlink.LinkDel(br)
}
