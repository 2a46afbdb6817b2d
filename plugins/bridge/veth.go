package bridge

import (
	"fmt"

	"github.com/vishvananda/netlink/nl"
	"golang.org/x/sys/unix"
)

// The host side of a container's veth in two requests on one netlink
// socket (rtnl.go), where the netlink package's LinkAdd, LinkByName,
// LinkSetMaster, LinkSetUp and LinkSetHairpin take six, each on a socket of
// its own (those round trips were a third of a setup's time here):
//
//	RTM_NEWLINK  veth NAME, up, master BRIDGE, one queue each way
//	             peer: eth0 in the container's network namespace
//	SIOCGIFINDEX NAME (an ioctl on the same socket)
//	RTM_SETLINK  AF_BRIDGE port NAME: hairpin on (a container reaches its
//	             own published ports)

// One queue each, asked for: a veth made with one per CPU is cut down to
// one after it is registered, and each cut waits for an expedited RCU
// grace period under the rtnl lock (about 1 ms a container here).
const vethQueues = 1

// addVeth makes the veth name on the bridge (index master) with its peer
// eth0 in the network namespace nsFd, up (eth0 is not: attach brings it up
// with its address), and turns hairpin on.
func addVeth(name string, master int, nsFd int) error {
	r, err := openRtnl() // this namespace
	if err != nil {
		return err
	}
	defer r.close()
	msg := nl.NewIfInfomsg(unix.AF_UNSPEC)
	msg.Flags, msg.Change = unix.IFF_UP, unix.IFF_UP
	info := nl.NewRtAttr(unix.IFLA_LINKINFO, nil)
	info.AddRtAttr(nl.IFLA_INFO_KIND, nl.NonZeroTerminated("veth"))
	data := info.AddRtAttr(nl.IFLA_INFO_DATA, nil)
	peer := data.AddRtAttr(nl.VETH_INFO_PEER, nil)
	nl.NewIfInfomsgChild(peer, unix.AF_UNSPEC) // not up: veth_open fails (ENOTCONN) until the pair is linked
	peer.AddRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated("eth0"))
	peer.AddRtAttr(unix.IFLA_NET_NS_FD, nl.Uint32Attr(uint32(nsFd)))
	peer.AddRtAttr(unix.IFLA_NUM_TX_QUEUES, nl.Uint32Attr(vethQueues))
	peer.AddRtAttr(unix.IFLA_NUM_RX_QUEUES, nl.Uint32Attr(vethQueues))
	if err := r.do(unix.RTM_NEWLINK, unix.NLM_F_CREATE|unix.NLM_F_EXCL, msg,
		nl.NewRtAttr(unix.IFLA_IFNAME, nl.ZeroTerminated(name)),
		nl.NewRtAttr(unix.IFLA_MASTER, nl.Uint32Attr(uint32(master))),
		nl.NewRtAttr(unix.IFLA_NUM_TX_QUEUES, nl.Uint32Attr(vethQueues)),
		nl.NewRtAttr(unix.IFLA_NUM_RX_QUEUES, nl.Uint32Attr(vethQueues)),
		info); err != nil {
		return err
	}

	index, err := ifIndex(r.fd, name)
	if err != nil {
		return err
	}
	port := nl.NewIfInfomsg(unix.AF_BRIDGE)
	port.Index = int32(index)
	mode := nl.NewRtAttr(unix.IFLA_PROTINFO|unix.NLA_F_NESTED, nil)
	mode.AddRtAttr(nl.IFLA_BRPORT_MODE, []byte{1})
	if err := r.do(unix.RTM_SETLINK, 0, port, mode); err != nil {
		return fmt.Errorf("hairpin: %w", err)
	}
	return nil
}

// ifIndex is the index of the interface name in the network namespace of
// the socket fd (any socket: the ioctl is the device layer's).
func ifIndex(fd int, name string) (int, error) {
	ifr, err := unix.NewIfreq(name)
	if err != nil {
		return 0, err
	}
	if err := unix.IoctlIfreq(fd, unix.SIOCGIFINDEX, ifr); err != nil {
		return 0, fmt.Errorf("interface %s: %w", name, err)
	}
	return int(ifr.Uint32()), nil
}

// linkIndex is the index of the interface name in this network namespace.
func linkIndex(name string) (int, error) {
	fd, err := unix.Socket(unix.AF_NETLINK, unix.SOCK_RAW|unix.SOCK_CLOEXEC, unix.NETLINK_ROUTE)
	if err != nil {
		return 0, err
	}
	defer unix.Close(fd)
	return ifIndex(fd, name)
}
