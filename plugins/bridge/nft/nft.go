// Package nft is the bridge network's firewall made with nftables
// (google/nftables): what bridge.Firewall asks for, done in this process.
// mydocker-net links it; mydocker does not (the package's initialisation
// alone cost every mydocker start 0.7 ms) and has mydocker-net's
// `firewall` command do it (bridge.HelperFirewall).
//
// A table of mydocker's own per family, so nothing else's rules are
// touched and prune drops them whole:
//
//	table ip mydocker (and ip6 mydocker)
//	  chain postrouting (nat, srcnat)
//	    ip saddr SUBNET ip daddr != SUBNET masquerade
//	    oifname BRIDGE ct status dnat masquerade    # from 127/8 and hairpin
//	  chain prerouting (nat, dstnat): fib daddr type local jump hostports
//	  chain output     (nat, dstnat): fib daddr type local jump hostports
//	  chain hostports: [ip daddr HOSTIP] tcp|udp dport P dnat to IP:PORT, tagged ID
package nft

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/plugins/bridge"
)

const tableName = bridge.TableName

// Firewall makes the bridge's nftables changes itself.
type Firewall struct{}

var _ bridge.Firewall = Firewall{}

// ipsDstNAT is the conntrack status bit of a DNAT'ed connection (IPS_DST_NAT).
const ipsDstNAT = 1 << 5

// family is one address family's table and where its addresses are in
// the network header.
type family struct {
	table             *nftables.Table
	subnet            *net.IPNet
	saddr, daddr, len uint32
	nfproto           uint32
}

// families are the tables of the network c: IPv4, and IPv6 with a subnet.
func families(c bridge.Config) []family {
	f := []family{{table: &nftables.Table{Family: nftables.TableFamilyIPv4, Name: tableName}, subnet: c.Subnet,
		saddr: 12, daddr: 16, len: 4, nfproto: unix.NFPROTO_IPV4}}
	if c.Subnet6 != nil {
		f = append(f, family{table: &nftables.Table{Family: nftables.TableFamilyIPv6, Name: tableName}, subnet: c.Subnet6,
			saddr: 8, daddr: 24, len: 16, nfproto: unix.NFPROTO_IPV6})
	}
	return f
}

func (f family) hostports() *nftables.Chain {
	return &nftables.Chain{Name: "hostports", Table: f.table}
}

// addr is ip in the family's length.
func (f family) addr(ip net.IP) []byte {
	if f.len == 4 {
		return ip.To4()
	}
	return ip.To16()
}

func connect() (*nftables.Conn, error) {
	conn, err := nftables.New()
	if err != nil {
		return nil, fmt.Errorf("nftables: %w", err)
	}
	return conn, nil
}

// EnsureTables makes the tables and their fixed rules, unless they are.
func (Firewall) EnsureTables(c bridge.Config) error {
	conn, err := connect()
	if err != nil {
		return err
	}
	for _, f := range families(c) {
		if t, err := conn.ListTableOfFamily(tableName, f.table.Family); err == nil && t != nil {
			continue
		}
		addTable(conn, c, f)
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: %w", tableName, err)
	}
	return nil
}

func addTable(conn *nftables.Conn, c bridge.Config, f family) {
	conn.AddTable(f.table)
	post := conn.AddChain(&nftables.Chain{Name: "postrouting", Table: f.table, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	hp := conn.AddChain(f.hostports())
	for _, h := range []struct {
		name string
		hook *nftables.ChainHook
	}{{"prerouting", nftables.ChainHookPrerouting}, {"output", nftables.ChainHookOutput}} {
		ch := conn.AddChain(&nftables.Chain{Name: h.name, Table: f.table, Type: nftables.ChainTypeNAT,
			Hooknum: h.hook, Priority: nftables.ChainPriorityNATDest})
		conn.AddRule(&nftables.Rule{Table: f.table, Chain: ch, Exprs: []expr.Any{
			&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, unix.RTN_LOCAL)},
			&expr.Verdict{Kind: expr.VerdictJump, Chain: hp.Name},
		}})
	}
	subnet, mask := f.addr(f.subnet.IP), []byte(f.subnet.Mask)
	zero := make([]byte, f.len)
	conn.AddRule(&nftables.Rule{Table: f.table, Chain: post, Exprs: []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.saddr, Len: f.len},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: f.len, Mask: mask, Xor: zero},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: subnet},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddr, Len: f.len},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: f.len, Mask: mask, Xor: zero},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: subnet},
		&expr.Masq{},
	}})
	conn.AddRule(&nftables.Rule{Table: f.table, Chain: post, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(c.Bridge)},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binary.NativeEndian.AppendUint32(nil, ipsDstNAT), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
		&expr.Masq{},
	}})
}

// DeleteTables drops the tables (prune).
func (Firewall) DeleteTables(c bridge.Config) error {
	conn, err := connect()
	if err != nil {
		return err
	}
	n := 0
	for _, f := range families(c) {
		if t, err := conn.ListTableOfFamily(tableName, f.table.Family); err == nil && t != nil {
			conn.DelTable(f.table)
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return conn.Flush()
}

func ifname(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}

// Publish adds the DNAT rules of a container's ports, tagged with its id:
// a port on every address in both families, one on a host address in its
// own. ips are the container's addresses, in the families' order.
func (Firewall) Publish(c bridge.Config, id string, ips []net.IP, ports []bridge.Port) error {
	if len(ports) == 0 {
		return nil
	}
	conn, err := connect()
	if err != nil {
		return err
	}
	for i, f := range families(c) {
		for _, p := range ports {
			e, ok := f.dnat(p, ips[i])
			if ok {
				conn.AddRule(&nftables.Rule{Table: f.table, Chain: f.hostports(), Exprs: e, UserData: []byte(id)})
			}
		}
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("publish ports: %w", err)
	}
	return nil
}

// dnat is the rule publishing p in f, if p is for f.
func (f family) dnat(p bridge.Port, to net.IP) ([]expr.Any, bool) {
	proto := byte(unix.IPPROTO_TCP)
	if p.Protocol == "udp" {
		proto = unix.IPPROTO_UDP
	}
	var e []expr.Any
	if p.HostIP != "" {
		hip := net.ParseIP(p.HostIP)
		if (hip.To4() != nil) != (f.len == 4) {
			return nil, false // the other family's
		}
		e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: f.daddr, Len: f.len},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: f.addr(hip)})
	}
	return append(e,
		&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, p.HostPort)},
		&expr.Immediate{Register: 1, Data: f.addr(to)},
		&expr.Immediate{Register: 2, Data: binary.BigEndian.AppendUint16(nil, p.ContainerPort)},
		&expr.NAT{Type: expr.NATTypeDestNAT, Family: f.nfproto, RegAddrMin: 1, RegProtoMin: 2},
	), true
}

// Unpublish deletes the rules tagged with the ids.
func (Firewall) Unpublish(c bridge.Config, ids []string) error {
	conn, err := connect()
	if err != nil {
		return err
	}
	tagged := map[string]bool{}
	for _, id := range ids {
		tagged[id] = true
	}
	n := 0
	for _, f := range families(c) {
		rules, err := conn.GetRules(f.table, f.hostports())
		if err != nil {
			continue // no table: nothing published
		}
		for _, r := range rules {
			if tagged[string(r.UserData)] {
				if err := conn.DelRule(r); err != nil {
					return err
				}
				n++
			}
		}
	}
	if n == 0 {
		return nil
	}
	return conn.Flush()
}
