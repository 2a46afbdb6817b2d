package bridge

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"runtime"
	"syscall"

	"github.com/vishvananda/netlink/nl"
	"github.com/vishvananda/netns"
	"golang.org/x/sys/unix"
)

// rtnl is a NETLINK_ROUTE socket on which a container's links, addresses
// and routes are made: requests built with package nl's message types,
// each sent and its acknowledgement read here, into one buffer. The
// netlink package's own calls allocate 64 KiB per answer (an array its
// read closure captures: half a megabyte of garbage a container, in
// mydocker's own heap), go through Go's poller, and look eth0 up with a
// dump where an ioctl does.
type rtnl struct {
	fd  int
	seq uint32
	buf [8192]byte // acknowledgements echo only the request's header
}

// openRtnl opens a socket in this process's network namespace.
func openRtnl() (*rtnl, error) { return openNetlink(unix.NETLINK_ROUTE) }

// openNetlink opens a netlink socket of the protocol proto (the same
// request-and-acknowledgement exchange serves NETLINK_NETFILTER).
func openNetlink(proto int) (*rtnl, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, proto)
	if err != nil {
		return nil, fmt.Errorf("netlink socket: %w", err)
	}
	// Errors carry only the request's header back, not the request.
	_ = unix.SetsockoptInt(fd, unix.SOL_NETLINK, unix.NETLINK_CAP_ACK, 1)
	return &rtnl{fd: fd}, nil
}

// openRtnlAt opens a socket in the network namespace ns: made on a thread
// moved there and back. A thread that cannot be moved back stays locked,
// so that Go ends it with its goroutine instead of reusing it.
func openRtnlAt(ns netns.NsHandle) (*rtnl, error) {
	runtime.LockOSThread()
	own, err := netns.Get()
	if err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("this thread's network namespace: %w", err)
	}
	defer own.Close()
	if err := netns.Set(ns); err != nil {
		runtime.UnlockOSThread()
		return nil, fmt.Errorf("enter the container's network namespace: %w", err)
	}
	r, err := openRtnl()
	if serr := netns.Set(own); serr != nil {
		if r != nil {
			r.close()
		}
		return nil, fmt.Errorf("back from the container's network namespace: %w", serr)
	}
	runtime.UnlockOSThread()
	return r, err
}

func (r *rtnl) close() { unix.Close(r.fd) }

// do sends one request of type typ (flags besides NLM_F_REQUEST and
// NLM_F_ACK) and waits for its acknowledgement.
func (r *rtnl) do(typ, flags int, data ...nl.NetlinkRequestData) error {
	req := nl.NewNetlinkRequest(typ, flags|unix.NLM_F_ACK)
	r.seq++
	req.Seq = r.seq
	for _, d := range data {
		req.AddData(d)
	}
	if err := unix.Sendto(r.fd, req.Serialize(), 0, &unix.SockaddrNetlink{Family: unix.AF_NETLINK}); err != nil {
		return err
	}
	for {
		n, _, err := unix.Recvfrom(r.fd, r.buf[:], 0)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		msgs, err := syscall.ParseNetlinkMessage(r.buf[:n])
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Header.Seq != r.seq || m.Header.Type != unix.NLMSG_ERROR || len(m.Data) < 4 {
				continue
			}
			if errno := -int32(binary.NativeEndian.Uint32(m.Data)); errno != 0 {
				return syscall.Errno(errno)
			}
			return nil
		}
	}
}

// linkUp brings the interface index up.
func (r *rtnl) linkUp(index int) error {
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Index = int32(index)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	return r.do(unix.RTM_NEWLINK, 0, msg)
}

// addAddr gives the interface index the address ip/ones (without duplicate
// address detection for IPv6, whose wait would hold the first packets).
func (r *rtnl) addAddr(index int, ip net.IP, ones int) error {
	family, addr := unix.AF_INET6, ip.To16()
	if v4 := ip.To4(); v4 != nil {
		family, addr = unix.AF_INET, v4
	}
	msg := nl.NewIfAddrmsg(family)
	msg.Index, msg.Prefixlen = uint32(index), uint8(ones)
	data := []nl.NetlinkRequestData{msg, nl.NewRtAttr(unix.IFA_LOCAL, addr), nl.NewRtAttr(unix.IFA_ADDRESS, addr)}
	if family == unix.AF_INET {
		if ones < 31 {
			mask, brd := net.CIDRMask(ones, 32), make(net.IP, 4)
			for i := range brd {
				brd[i] = addr[i] | ^mask[i]
			}
			data = append(data, nl.NewRtAttr(unix.IFA_BROADCAST, brd))
		}
	} else {
		msg.Flags = unix.IFA_F_NODAD
	}
	return r.do(unix.RTM_NEWADDR, unix.NLM_F_CREATE|unix.NLM_F_EXCL, data...)
}

// addDefaultRoute routes everything of gw's family through gw, out of the
// interface index.
func (r *rtnl) addDefaultRoute(index int, gw net.IP) error {
	msg := nl.NewRtMsg() // main table, unicast, universe scope
	addr := gw.To16()
	msg.Family = unix.AF_INET6
	if v4 := gw.To4(); v4 != nil {
		msg.Family, addr = unix.AF_INET, v4
	}
	oif := make([]byte, 4)
	binary.NativeEndian.PutUint32(oif, uint32(index))
	return r.do(unix.RTM_NEWROUTE, unix.NLM_F_CREATE|unix.NLM_F_EXCL, msg,
		nl.NewRtAttr(unix.RTA_GATEWAY, addr), nl.NewRtAttr(unix.RTA_OIF, oif))
}
