package bridge

import (
	"fmt"
	"net"
	"os"
	"strconv"

	"github.com/vishvananda/netlink"

	"github.com/mydocker/mydocker/internal/procstat"
)

// Setup puts container id (its init is pid) on the bridge: an address, a
// veth as its eth0, its published ports. It sweeps what containers that
// are gone left behind first. It returns the container's address and the
// /etc/hosts lines of the network's containers, itself included.
func (c Config) Setup(id string, pid int, hostname string, ports []Port) (ip string, hosts []string, err error) {
	unlock, err := c.lock()
	if err != nil {
		return "", nil, err
	}
	defer unlock()
	live, err := c.sweep()
	if err != nil {
		return "", nil, err
	}
	start, err := procstat.StartTime(pid)
	if err != nil || !procstat.Alive(pid, start) {
		return "", nil, fmt.Errorf("container %s: its init is gone", id)
	}
	br, err := c.bridgeReady()
	if err != nil {
		return "", nil, err
	}
	addr, err := c.allocate(live, id, pid, strconv.FormatUint(start, 10), hostname, len(ports) > 0)
	if err != nil {
		return "", nil, err
	}
	defer func() {
		if err != nil {
			c.release(id)
			detach(id)
			if len(ports) > 0 {
				c.Firewall.Unpublish(c, []string{id})
			}
			if c.ready != nil {
				c.ready.Store(0) // whatever failed, the next setup checks everything
			}
		}
	}()
	if err := c.attach(br, id, pid, addr); err != nil {
		return "", nil, err
	}
	ips := []net.IP{addr}
	if c.Subnet6 != nil {
		ips = append(ips, addIP6(c.Subnet6.IP, c.hostNumber(addr)))
	}
	if err := c.Firewall.Publish(c, id, ips, ports); err != nil {
		return "", nil, err
	}
	for _, l := range live {
		hosts = append(hosts, l.ip+"\t"+l.hostname)
	}
	hosts = append(hosts, addr.String()+"\t"+hostname)
	return addr.String(), hosts, nil
}

// bridgeReady returns the bridge's index, the bridge made (with its
// addresses, sysctls and nftables tables) unless this process already did
// for this very bridge: that check is one ioctl instead of about ten
// netlink calls (0.8 ms a container).
func (c Config) bridgeReady() (int, error) {
	if c.ready != nil {
		if index, err := linkIndex(c.Bridge); err == nil && int64(index) == c.ready.Load() {
			return index, nil
		}
	}
	br, err := c.ensureBridge()
	if err != nil {
		return 0, err
	}
	if err := c.Firewall.EnsureTables(c); err != nil {
		return 0, err
	}
	index := br.Attrs().Index
	if c.ready != nil {
		c.ready.Store(int64(index))
	}
	return index, nil
}

// Teardown takes container id off the network: its address, and its
// ports if it published any. Its veth goes with its network namespace,
// which the kernel tears down by itself; deleting it here would wait for
// that (about 20 ms).
func (c Config) Teardown(id string, published bool) error {
	unlock, err := c.lock()
	if err != nil {
		return err
	}
	defer unlock()
	c.release(id)
	if !published {
		return nil
	}
	return c.Firewall.Unpublish(c, []string{id})
}

// sweep drops the leases and rules of containers that are gone without a
// teardown (their mydocker was SIGKILLed), and returns the leases of
// those that live. The caller holds the lock.
func (c Config) sweep() ([]lease, error) {
	all, err := c.leases()
	if err != nil {
		return nil, fmt.Errorf("bridge leases: %w", err)
	}
	var live []lease
	var rules []string // of the gone that published ports
	for _, l := range all {
		if !l.alive() {
			if l.published {
				rules = append(rules, l.id)
			}
			c.release(l.id)
			continue
		}
		live = append(live, l)
	}
	if len(rules) > 0 {
		c.Firewall.Unpublish(c, rules)
	}
	return live, nil
}

// ErrInUse is returned by Prune while containers are on the network.
var ErrInUse = fmt.Errorf("network %s is in use", Name)

// Prune removes the bridge, the nftables table and the state once no
// living container uses them, and puts ip_forward back as it was.
func (c Config) Prune() (removed bool, err error) {
	unlock, err := c.lock()
	if err != nil {
		return false, err
	}
	defer unlock()
	live, err := c.sweep()
	if err != nil {
		return false, err
	}
	if len(live) > 0 {
		return false, fmt.Errorf("%w by %d container(s)", ErrInUse, len(live))
	}
	_, err = netlink.LinkByName(c.Bridge)
	removed = err == nil
	if err := c.Firewall.DeleteTables(c); err != nil {
		return false, fmt.Errorf("delete the nftables tables: %w", err)
	}
	if err := c.deleteBridge(); err != nil {
		return removed, fmt.Errorf("delete bridge %s: %w", c.Bridge, err)
	}
	if err := c.restoreForwarding(); err != nil {
		return removed, fmt.Errorf("restore ip_forward: %w", err)
	}
	os.RemoveAll(c.State)
	return removed, nil
}
