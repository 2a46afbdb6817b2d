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

// A lease is a file leases/IP holding "ID PID START HOSTNAME": the address
// belongs to container ID as long as its PID 1 (PID, started at START)
// lives; HOSTNAME is for the other containers' /etc/hosts.

type lease struct {
	ip, id, start, hostname string
	pid                     int
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
		if len(f) != 4 {
			continue
		}
		pid, _ := strconv.Atoi(f[1])
		out = append(out, lease{ip: e.Name(), id: f[0], pid: pid, start: f[2], hostname: f[3]})
	}
	return out, nil
}

// alive reports whether the lease's container still runs.
func (l lease) alive() bool {
	start, err := strconv.ParseUint(l.start, 10, 64)
	return err == nil && procstat.Alive(l.pid, start)
}

// allocate leases the lowest address that none of live holds to container
// id (pid, start, hostname). The caller holds the lock.
func (c Config) allocate(live []lease, id string, pid int, start, hostname string) (net.IP, error) {
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
		if err := os.WriteFile(path, fmt.Appendf(nil, "%s %d %s %s\n", id, pid, start, hostname), 0o600); err != nil {
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
