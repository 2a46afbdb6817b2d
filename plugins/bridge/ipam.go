package bridge

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/mydocker/mydocker/internal/procstat"
)

// A lease is a file leases/IP holding "ID PID START HOSTNAME [ports]": the
// address belongs to container ID as long as its PID 1 (PID, started at
// START) lives; HOSTNAME is for the other containers' /etc/hosts; "ports"
// says it publishes some, whose rules a sweep must delete (only then:
// that is a process start of mydocker-net's, HelperFirewall).

type lease struct {
	ip, id, start, hostname string
	pid                     int
	published               bool
}

func (c Config) leases() ([]lease, error) {
	dir := filepath.Join(c.State, "leases")
	entries, err := os.ReadDir(dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, err
	}
	var out []lease
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			continue
		}
		f := strings.Fields(string(b))
		if len(f) != 4 && (len(f) != 5 || f[4] != publishedMark) {
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		out = append(out, lease{ip: e.Name(), id: f[0], pid: pid, start: f[2], hostname: f[3], published: len(f) == 5})
	}
	return out, nil
}

// alive reports whether the lease's container still runs.
func (l lease) alive() bool {
	start, err := strconv.ParseUint(l.start, 10, 64)
	return err == nil && procstat.Alive(l.pid, start)
}

// publishedMark ends the lease of a container that publishes ports.
const publishedMark = "ports"

// allocate leases the lowest address that none of live holds to container
// id (pid, start, hostname, whether it publishes ports). The caller holds
// the lock.
func (c Config) allocate(live []lease, id string, pid int, start, hostname string, published bool) (net.IP, error) {
	taken := map[string]bool{}
	for _, l := range live {
		taken[l.ip] = true
	}
	ones, bits := c.Subnet.Mask.Size()
	size := uint32(1) << (bits - ones)
	for n := uint32(2); n < size-1; n++ { // .0 the network, .1 the gateway, last the broadcast
		ip := addIP(c.Subnet.IP, n)
		if taken[ip.String()] {
			continue
		}
		path := filepath.Join(c.State, "leases", ip.String())
		line := fmt.Sprintf("%s %d %s %s", id, pid, start, hostname)
		if published {
			line += " " + publishedMark
		}
		if err := os.WriteFile(path, []byte(line+"\n"), 0o600); err != nil {
			return nil, err
		}
		return ip, nil
	}
	return nil, fmt.Errorf("network %s: no free address left in %s", Name, c.Subnet)
}

// release drops container id's lease, returning its address ("" if none).
func (c Config) release(id string) string {
	all, _ := c.leases()
	for _, l := range all {
		if l.id == id {
			os.Remove(filepath.Join(c.State, "leases", l.ip))
			return l.ip
		}
	}
	return ""
}
