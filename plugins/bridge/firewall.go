package bridge

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"os/exec"
	"strings"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// Firewall is the nftables side of the bridge network: its tables (NAT out
// of the subnet), and the DNAT rules of published ports, each tagged with
// its container's id. Package nft makes the changes in its own process;
// HelperFirewall has mydocker-net's `firewall` command make them, so that
// mydocker itself need not link google/nftables. The setup of a container
// that publishes no port asks for nothing once the tables are made.
type Firewall interface {
	EnsureTables(c Config) error
	// Publish adds container id's ports; ips are its addresses, IPv4 first.
	Publish(c Config, id string, ips []net.IP, ports []Port) error
	Unpublish(c Config, ids []string) error
	DeleteTables(c Config) error
}

// Port is one port to publish.
type Port struct {
	HostIP        string
	HostPort      uint16
	ContainerPort uint16
	Protocol      string
}

// FirewallCommand is the argument of mydocker-net's command that serves
// HelperFirewall: one FirewallRequest, JSON on its stdin.
const FirewallCommand = "firewall"

// FirewallRequest is one Firewall call, for FirewallCommand.
type FirewallRequest struct {
	Op    string   `json:"op"` // ensure, publish, unpublish, delete
	ID    string   `json:"id,omitempty"`
	IPs   []net.IP `json:"ips,omitempty"`
	Ports []Port   `json:"ports,omitempty"`
	IDs   []string `json:"ids,omitempty"`
}

// Serve runs r on the network c's Firewall.
func (r FirewallRequest) Serve(c Config) error {
	fw := c.Firewall
	switch r.Op {
	case "ensure":
		return fw.EnsureTables(c)
	case "publish":
		return fw.Publish(c, r.ID, r.IPs, r.Ports)
	case "unpublish":
		return fw.Unpublish(c, r.IDs)
	case "delete":
		return fw.DeleteTables(c)
	}
	return fmt.Errorf("unknown firewall call %q", r.Op)
}

// HelperFirewall runs each call as `Path firewall` (mydocker-net), which
// reads the network's configuration from the same environment. A call
// costs a process start (about 20 ms here): made once a process for the
// tables, and for the containers that publish ports.
type HelperFirewall struct{ Path string }

var _ Firewall = HelperFirewall{}

func (h HelperFirewall) run(r FirewallRequest) error {
	in, err := json.Marshal(r)
	if err != nil {
		return err
	}
	var stderr bytes.Buffer
	cmd := exec.Command(h.Path, FirewallCommand)
	cmd.Stdin, cmd.Stderr = bytes.NewReader(in), &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(strings.TrimPrefix(stderr.String(), "mydocker-net: ")); msg != "" {
			return errors.New(msg)
		}
		return fmt.Errorf("%s %s: %w", h.Path, FirewallCommand, err)
	}
	return nil
}

// EnsureTables makes the tables unless they are: whether they are is
// asked of the kernel here, so that mydocker-net runs only to make them.
func (h HelperFirewall) EnsureTables(c Config) error {
	if ok, err := tablesExist(c); err == nil && ok {
		return nil
	}
	return h.run(FirewallRequest{Op: "ensure"})
}

// TableName is the name of the bridge's nftables table in each family.
const TableName = "mydocker"

// tablesExist reports whether the network's tables exist, one
// NFT_MSG_GETTABLE each (the check package nft makes before adding them).
func tablesExist(c Config) (bool, error) {
	r, err := openNetlink(unix.NETLINK_NETFILTER)
	if err != nil {
		return false, err
	}
	defer r.close()
	families := []uint8{unix.NFPROTO_IPV4}
	if c.Subnet6 != nil {
		families = append(families, unix.NFPROTO_IPV6)
	}
	for _, f := range families {
		hdr := nfgenmsg{family: f, version: unix.NFNETLINK_V0}
		err := r.do(unix.NFNL_SUBSYS_NFTABLES<<8|unix.NFT_MSG_GETTABLE, 0, hdr,
			nl.NewRtAttr(unix.NFTA_TABLE_NAME, nl.ZeroTerminated(TableName)))
		if errors.Is(err, unix.ENOENT) {
			return false, nil
		}
		if err != nil {
			return false, err
		}
	}
	return true, nil
}

// nfgenmsg is the nfnetlink header after the netlink one.
type nfgenmsg struct{ family, version uint8 }

func (m nfgenmsg) Len() int { return 4 }

func (m nfgenmsg) Serialize() []byte { return []byte{m.family, m.version, 0, 0} } // res_id 0

// Publish adds container id's ports.
func (h HelperFirewall) Publish(_ Config, id string, ips []net.IP, ports []Port) error {
	if len(ports) == 0 {
		return nil
	}
	return h.run(FirewallRequest{Op: "publish", ID: id, IPs: ips, Ports: ports})
}

// Unpublish deletes the rules of the containers ids.
func (h HelperFirewall) Unpublish(_ Config, ids []string) error {
	return h.run(FirewallRequest{Op: "unpublish", IDs: ids})
}

// DeleteTables drops the tables.
func (h HelperFirewall) DeleteTables(Config) error { return h.run(FirewallRequest{Op: "delete"}) }
