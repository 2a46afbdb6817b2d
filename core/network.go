package core

import (
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// How a container is networked (--network), and the files that tell its
// programs about it (/etc/hostname, /etc/hosts, /etc/resolv.conf). Links,
// addresses and routes are never the runtime's: a network plugin makes
// them at post-mount, from the host side, while the init waits.

// The network modes of Network.Mode.
const (
	NetworkNone   = "none"   // a network namespace of its own with only lo, up
	NetworkHost   = "host"   // the host's network namespace
	NetworkJoin   = "join"   // another namespace: container:NAME or ns:PATH
	NetworkPlugin = "plugin" // its own namespace, configured by a plugin
)

// Network is --network, parsed.
type Network struct {
	Mode string // one of the Network* modes; "" is NetworkNone
	// Name is what the user gave: "none", "host", "container:web",
	// "ns:/run/netns/x" or a plugin network's name ("bridge").
	Name string
	// Path is the network namespace a NetworkJoin container joins: the
	// path of ns:PATH, or /proc/PID/ns/net of container:NAME (filled in by
	// whoever knows the containers).
	Path string
}

// ParseNetwork reads --network.
func ParseNetwork(s string) (Network, error) {
	switch {
	case s == "" || s == NetworkNone:
		return Network{Mode: NetworkNone, Name: NetworkNone}, nil
	case s == NetworkHost:
		return Network{Mode: NetworkHost, Name: s}, nil
	case strings.HasPrefix(s, "container:") && len(s) > len("container:"):
		return Network{Mode: NetworkJoin, Name: s}, nil
	case strings.HasPrefix(s, "cni:") && len(s) > len("cni:"):
		return Network{Mode: NetworkPlugin, Name: s}, nil // a CNI conflist's name
	case strings.HasPrefix(s, "ns:"):
		path := strings.TrimPrefix(s, "ns:")
		if !filepath.IsAbs(path) {
			return Network{}, invalidf("invalid --network %q: ns: wants an absolute path to a network namespace", s)
		}
		return Network{Mode: NetworkJoin, Name: s, Path: path}, nil
	}
	for i, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || i > 0 && (c == '-' || c == '_' || c == '.')) {
			return Network{}, invalidf("invalid --network %q: want none, host, bridge, container:NAME, ns:PATH, cni:NAME or a network's name ([a-z0-9][a-z0-9_.-]*)", s)
		}
	}
	return Network{Mode: NetworkPlugin, Name: s}, nil
}

// OwnNetns reports whether the container gets a network namespace of its own.
func (n Network) OwnNetns() bool { return n.Mode != NetworkHost && n.Mode != NetworkJoin }

// Port is one -p: a port a network plugin publishes on the host.
type Port struct {
	HostIP        string // "" for every address
	HostPort      uint16
	ContainerPort uint16
	Protocol      string // "tcp" or "udp"
}

// ParsePort reads -p [HOSTIP:]HOSTPORT:CTRPORT[/tcp|/udp].
func ParsePort(s string) (Port, error) {
	bad := func(why string) (Port, error) {
		return Port{}, invalidf("invalid -p %q: %s (want [HOSTIP:]HOSTPORT:CONTAINERPORT[/tcp|/udp])", s, why)
	}
	spec, proto, _ := strings.Cut(s, "/")
	p := Port{Protocol: "tcp"}
	switch proto {
	case "", "tcp":
	case "udp":
		p.Protocol = "udp"
	default:
		return bad("the protocol is tcp or udp")
	}
	i := strings.LastIndexByte(spec, ':')
	if i < 0 {
		return bad("no host port")
	}
	rest, ctr := spec[:i], spec[i+1:]
	host := rest
	if j := strings.LastIndexByte(rest, ':'); j >= 0 {
		p.HostIP, host = strings.Trim(rest[:j], "[]"), rest[j+1:]
		if net.ParseIP(p.HostIP) == nil {
			return bad("the host address is not an IP address")
		}
	}
	for _, f := range []struct {
		text string
		into *uint16
	}{{host, &p.HostPort}, {ctr, &p.ContainerPort}} {
		n, err := strconv.ParseUint(f.text, 10, 16)
		if err != nil || n == 0 {
			return bad(fmt.Sprintf("%q is not a port from 1 to 65535", f.text))
		}
		*f.into = uint16(n)
	}
	return p, nil
}

// ParseExtraHost reads --add-host NAME:IP into a line of /etc/hosts.
func ParseExtraHost(s string) (string, error) {
	name, ip, ok := strings.Cut(s, ":")
	if !ok || net.ParseIP(strings.Trim(ip, "[]")) == nil {
		return "", invalidf("invalid --add-host %q: want NAME:IP", s)
	}
	if err := ValidateHostname(name); err != nil {
		return "", invalidf("invalid --add-host %q: %v", s, err)
	}
	return strings.Trim(ip, "[]") + "\t" + name, nil
}

// validateNetwork checks the network flags together.
func (s *Spec) validateNetwork() error {
	n := &s.Network
	if n.Mode == "" {
		n.Mode, n.Name = NetworkNone, NetworkNone
	}
	if n.Mode == NetworkJoin && n.Path != "" { // container:NAME is resolved later
		var st unix.Statfs_t
		if err := unix.Statfs(n.Path, &st); err != nil {
			return invalidf("invalid --network %s: %v", n.Name, unwrapPathError(err))
		}
		if st.Type != unix.NSFS_MAGIC && st.Type != unix.PROC_SUPER_MAGIC {
			return invalidf("invalid --network %s: %s is not a network namespace", n.Name, n.Path)
		}
	}
	if len(s.Ports) > 0 && n.Mode != NetworkPlugin {
		return invalidf("-p needs a network that publishes ports (a plugin's, such as bridge), not --network %s", n.Name)
	}
	for _, ip := range s.DNS {
		if net.ParseIP(ip) == nil {
			return invalidf("invalid --dns %q: not an IP address", ip)
		}
	}
	return nil
}

// cloneFlags are the namespaces the container's init is created in.
func (s *Spec) cloneFlags() uintptr {
	if s.Network.OwnNetns() {
		return cloneFlags
	}
	return cloneFlags &^ unix.CLONE_NEWNET
}

// networkSteps join another network namespace, or bring up lo in the
// container's own.
func networkSteps(spec *Spec) []step {
	switch {
	case spec.Network.Mode == NetworkJoin:
		return []step{{op: opNspath, flags: unix.CLONE_NEWNET, str: []string{spec.Network.Path}, what: "join the network namespace of --network " + spec.Network.Name}}
	case spec.Network.OwnNetns():
		return []step{{op: opLinkup, str: []string{"lo"}, what: "bring up lo"}}
	}
	return nil
}

// etcFiles are the contents of the container's /etc/hostname, /etc/hosts
// and /etc/resolv.conf, made from the host's and the flags, never written
// to the host's.
func etcFiles(spec *Spec) map[string]string {
	hosts := fmt.Sprintf("127.0.0.1\tlocalhost %[1]s\n::1\tlocalhost ip6-localhost ip6-loopback %[1]s\n", spec.Hostname)
	if !spec.Network.OwnNetns() {
		if b, err := os.ReadFile("/etc/hosts"); err == nil {
			hosts = string(b)
			if !strings.HasSuffix(hosts, "\n") {
				hosts += "\n"
			}
		}
	}
	for _, h := range spec.ExtraHosts {
		hosts += h + "\n"
	}
	return map[string]string{"hostname": spec.Hostname + "\n", "hosts": hosts, "resolv.conf": resolvConf(spec)}
}

// resolvConf is --dns, or the host's resolv.conf; in a network namespace
// of its own, the host's loopback nameservers (a local cache) are dropped:
// they are not reachable from there.
func resolvConf(spec *Spec) string {
	var b strings.Builder
	host, _ := os.ReadFile("/etc/resolv.conf")
	for _, line := range strings.Split(string(host), "\n") {
		fields := strings.Fields(line)
		if len(fields) == 0 || fields[0] != "nameserver" {
			if len(fields) > 0 && (fields[0] == "search" || fields[0] == "options" || fields[0] == "domain") {
				b.WriteString(line + "\n")
			}
			continue
		}
		if len(spec.DNS) > 0 {
			continue
		}
		if ip := net.ParseIP(fields[len(fields)-1]); spec.Network.OwnNetns() && ip != nil && ip.IsLoopback() {
			continue
		}
		b.WriteString(line + "\n")
	}
	for _, ip := range spec.DNS {
		b.WriteString("nameserver " + ip + "\n")
	}
	return b.String()
}
