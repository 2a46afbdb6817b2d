package bridge

import (
	"encoding/binary"
	"fmt"
	"net"

	"github.com/google/nftables"
	"github.com/google/nftables/expr"
	"golang.org/x/sys/unix"
)

// The nftables side: a table of mydocker's own, so nothing else's rules
// are touched and prune drops it whole.
//
//	table ip mydocker
//	  chain postrouting (nat, srcnat)
//	    ip saddr SUBNET ip daddr != SUBNET masquerade
//	    oifname BRIDGE ct status dnat masquerade    # from 127/8 and hairpin
//	  chain prerouting (nat, dstnat): fib daddr type local jump hostports
//	  chain output     (nat, dstnat): fib daddr type local jump hostports
//	  chain hostports: [ip daddr HOSTIP] tcp|udp dport P dnat to IP:PORT, tagged ID
const tableName = "mydocker"

// ipsDstNAT is the conntrack status bit of a DNAT'ed connection (IPS_DST_NAT).
const ipsDstNAT = 1 << 5

var table = &nftables.Table{Family: nftables.TableFamilyIPv4, Name: tableName}

func hostports() *nftables.Chain { return &nftables.Chain{Name: "hostports", Table: table} }

// ensureTable makes the table and its fixed rules once.
func (c Config) ensureTable(conn *nftables.Conn) error {
	if t, err := conn.ListTableOfFamily(tableName, nftables.TableFamilyIPv4); err == nil && t != nil {
		return nil
	}
	conn.AddTable(table)
	post := conn.AddChain(&nftables.Chain{Name: "postrouting", Table: table, Type: nftables.ChainTypeNAT,
		Hooknum: nftables.ChainHookPostrouting, Priority: nftables.ChainPriorityNATSource})
	hp := conn.AddChain(hostports())
	for _, h := range []struct {
		name string
		hook *nftables.ChainHook
	}{{"prerouting", nftables.ChainHookPrerouting}, {"output", nftables.ChainHookOutput}} {
		ch := conn.AddChain(&nftables.Chain{Name: h.name, Table: table, Type: nftables.ChainTypeNAT,
			Hooknum: h.hook, Priority: nftables.ChainPriorityNATDest})
		conn.AddRule(&nftables.Rule{Table: table, Chain: ch, Exprs: []expr.Any{
			&expr.Fib{Register: 1, FlagDADDR: true, ResultADDRTYPE: true},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.NativeEndian.AppendUint32(nil, unix.RTN_LOCAL)},
			&expr.Verdict{Kind: expr.VerdictJump, Chain: hp.Name},
		}})
	}
	subnet, mask := c.Subnet.IP.To4(), net.IP(c.Subnet.Mask).To4()
	conn.AddRule(&nftables.Rule{Table: table, Chain: post, Exprs: []expr.Any{
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 12, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: subnet},
		&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4, Mask: mask, Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: subnet},
		&expr.Masq{},
	}})
	conn.AddRule(&nftables.Rule{Table: table, Chain: post, Exprs: []expr.Any{
		&expr.Meta{Key: expr.MetaKeyOIFNAME, Register: 1},
		&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: ifname(c.Bridge)},
		&expr.Ct{Register: 1, Key: expr.CtKeySTATUS},
		&expr.Bitwise{SourceRegister: 1, DestRegister: 1, Len: 4,
			Mask: binary.NativeEndian.AppendUint32(nil, ipsDstNAT), Xor: make([]byte, 4)},
		&expr.Cmp{Op: expr.CmpOpNeq, Register: 1, Data: make([]byte, 4)},
		&expr.Masq{},
	}})
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("nftables table %s: %w", tableName, err)
	}
	return nil
}

func ifname(name string) []byte {
	b := make([]byte, unix.IFNAMSIZ)
	copy(b, name)
	return b
}

// Port is one port to publish.
type Port struct {
	HostIP        string
	HostPort      uint16
	ContainerPort uint16
	Protocol      string
}

// publish adds the DNAT rules of a container's ports, tagged with its id.
func publish(conn *nftables.Conn, id string, ip net.IP, ports []Port) error {
	for _, p := range ports {
		proto := byte(unix.IPPROTO_TCP)
		if p.Protocol == "udp" {
			proto = unix.IPPROTO_UDP
		}
		var e []expr.Any
		if p.HostIP != "" {
			hip := net.ParseIP(p.HostIP).To4()
			if hip == nil {
				return fmt.Errorf("-p %s:%d: only IPv4 host addresses are published", p.HostIP, p.HostPort)
			}
			e = append(e, &expr.Payload{DestRegister: 1, Base: expr.PayloadBaseNetworkHeader, Offset: 16, Len: 4},
				&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: hip})
		}
		e = append(e,
			&expr.Meta{Key: expr.MetaKeyL4PROTO, Register: 1},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: []byte{proto}},
			&expr.Payload{DestRegister: 1, Base: expr.PayloadBaseTransportHeader, Offset: 2, Len: 2},
			&expr.Cmp{Op: expr.CmpOpEq, Register: 1, Data: binary.BigEndian.AppendUint16(nil, p.HostPort)},
			&expr.Immediate{Register: 1, Data: ip.To4()},
			&expr.Immediate{Register: 2, Data: binary.BigEndian.AppendUint16(nil, p.ContainerPort)},
			&expr.NAT{Type: expr.NATTypeDestNAT, Family: unix.NFPROTO_IPV4, RegAddrMin: 1, RegProtoMin: 2},
		)
		conn.AddRule(&nftables.Rule{Table: table, Chain: hostports(), Exprs: e, UserData: []byte(id)})
	}
	if len(ports) == 0 {
		return nil
	}
	if err := conn.Flush(); err != nil {
		return fmt.Errorf("publish ports: %w", err)
	}
	return nil
}

// unpublish deletes the rules tagged with the ids.
func unpublish(conn *nftables.Conn, ids map[string]bool) error {
	rules, err := conn.GetRules(table, hostports())
	if err != nil {
		return nil // no table: nothing published
	}
	n := 0
	for _, r := range rules {
		if ids[string(r.UserData)] {
			if err := conn.DelRule(r); err != nil {
				return err
			}
			n++
		}
	}
	if n == 0 {
		return nil
	}
	return conn.Flush()
}
