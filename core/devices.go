package core

import (
	"fmt"
	"path/filepath"
	"strings"

	"golang.org/x/sys/unix"
)

// A container may use only docker's default devices, and those added with
// --device: a device cgroup denies every other device to mknod, open, read
// or write, the host's disks included, whatever the container's /dev holds.

// Device is a host device made usable in the container (--device).
type Device struct {
	Host, Container string // absolute paths; Container defaults to Host
	Perms           string // some of r, w, m (mknod); default rwm
}

// deviceNode is a device as the cgroup and mknod see it.
type deviceNode struct {
	kind         byte // 'c' or 'b'
	major, minor uint32
	perms        string
	path         string // where the container's /dev has it, "" for none
	fileMode     uint32 // permission bits of the node; 0 for 0666
}

// defaultDevices are docker's default device rules: the nodes the
// container's /dev is made with, the terminal devices and any pty slave.
var defaultDevices = []deviceNode{
	{'c', 1, 3, "rwm", "null", 0}, {'c', 1, 5, "rwm", "zero", 0}, {'c', 1, 7, "rwm", "full", 0},
	{'c', 1, 8, "rwm", "random", 0}, {'c', 1, 9, "rwm", "urandom", 0}, {'c', 5, 0, "rwm", "tty", 0},
	{'c', 5, 1, "rwm", "", 0},          // console
	{'c', 5, 2, "rwm", "", 0},          // ptmx
	{'c', 136, anyMinor, "rwm", "", 0}, // the pty slaves of the container's devpts
}

const anyMinor = ^uint32(0)

// rule is the device cgroup v1 line for the node.
func (d deviceNode) rule() string {
	minor := fmt.Sprint(d.minor)
	if d.minor == anyMinor {
		minor = "*"
	}
	return fmt.Sprintf("%c %d:%s %s", d.kind, d.major, minor, d.perms)
}

// ParseDevice reads --device HOST[:CONTAINER][:PERMS].
func ParseDevice(s string) (Device, error) {
	parts := strings.Split(s, ":")
	d := Device{Perms: "rwm"}
	switch {
	case len(parts) == 1:
		d.Host, d.Container = parts[0], parts[0]
	case len(parts) == 2 && isDevicePerms(parts[1]):
		d.Host, d.Container, d.Perms = parts[0], parts[0], parts[1]
	case len(parts) == 2:
		d.Host, d.Container = parts[0], parts[1]
	case len(parts) == 3:
		d.Host, d.Container, d.Perms = parts[0], parts[1], parts[2]
	default:
		return d, invalidf("invalid --device %q: want HOST[:CONTAINER][:PERMS]", s)
	}
	return d, nil
}

func isDevicePerms(s string) bool {
	return s != "" && strings.Trim(s, "rwm") == ""
}

// validate checks a --device as user input: a device node on the host, an
// absolute clean path under /dev in the container, permissions from rwm.
func (d *Device) validate() error {
	bad := func(why string) error { return invalidf("invalid --device %s: %s", d.Host, why) }
	if !isDevicePerms(d.Perms) {
		return bad(fmt.Sprintf("permissions %q: want some of r, w, m", d.Perms))
	}
	if !filepath.IsAbs(d.Host) || !filepath.IsAbs(d.Container) {
		return bad("paths must be absolute")
	}
	if _, err := d.node(); err != nil {
		return bad(unwrapPathError(err).Error())
	}
	if c := filepath.Clean(d.Container); c != d.Container || !strings.HasPrefix(c, "/dev/") || strings.ContainsAny(c, ":,") {
		return bad(fmt.Sprintf("container path %q must be a clean path under /dev/", d.Container))
	}
	return nil
}

// node reads the host device's type and number.
func (d Device) node() (deviceNode, error) {
	var st unix.Stat_t
	if err := unix.Stat(d.Host, &st); err != nil {
		return deviceNode{}, fmt.Errorf("host path: %w", err)
	}
	// The rule also allows mknod of this one device: the init makes its
	// node after joining the cgroup, and the container holds it anyway.
	perms := d.Perms
	if !strings.Contains(perms, "m") {
		perms += "m"
	}
	n := deviceNode{major: unix.Major(st.Rdev), minor: unix.Minor(st.Rdev), perms: perms, path: strings.TrimPrefix(d.Container, "/dev/")}
	switch st.Mode & unix.S_IFMT {
	case unix.S_IFCHR:
		n.kind = 'c'
	case unix.S_IFBLK:
		n.kind = 'b'
	default:
		return deviceNode{}, fmt.Errorf("not a device node")
	}
	return n, nil
}

// deviceNodes is the container's whole device list: the defaults, then
// --device entries (validated, so their nodes can be read).
func deviceNodes(extra []Device) []deviceNode {
	nodes := append([]deviceNode(nil), defaultDevices...)
	for _, d := range extra {
		if n, err := d.node(); err == nil {
			nodes = append(nodes, n)
		}
	}
	return nodes
}

// mode is the node's mknod mode: 'b' block, 'p' fifo, else character.
func (d deviceNode) mode() uint32 {
	perm := d.fileMode & 0o7777
	if perm == 0 {
		perm = 0o666
	}
	switch d.kind {
	case 'b':
		return unix.S_IFBLK | perm
	case 'p':
		return unix.S_IFIFO | perm
	}
	return unix.S_IFCHR | perm
}
