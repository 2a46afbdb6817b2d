package lifecycle

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/store"
)

// Inspection is what `inspect` prints of a container, in docker's spirit.
type Inspection struct {
	ID      string    `json:"Id"`
	Name    string    `json:"Name"`
	Created time.Time `json:"Created"`
	State   struct {
		Status     store.Status `json:"Status"`
		Running    bool         `json:"Running"`
		Pid        int          `json:"Pid"`
		ExitCode   *int         `json:"ExitCode"` // null while running or if lost
		Signal     int          `json:"Signal,omitempty"`
		OOMKilled  bool         `json:"OOMKilled"`
		Error      string       `json:"Error,omitempty"`
		StartedAt  time.Time    `json:"StartedAt,omitzero"`
		FinishedAt time.Time    `json:"FinishedAt,omitzero"`
	} `json:"State"`
	Detached   bool      `json:"Detached"`
	AutoRemove bool      `json:"AutoRemove"`
	Spec       core.Spec `json:"Spec"`
	LogPath    string    `json:"LogPath,omitempty"`
	StateDir   string    `json:"StateDir"`
}

// Inspect describes a container.
func (m *Manager) Inspect(ref string) (*Inspection, error) {
	c, err := m.Store.Resolve(ref)
	if err != nil {
		return nil, err
	}
	in := &Inspection{ID: c.ID, Name: c.Name, Created: c.Created, Detached: c.Detached, AutoRemove: c.AutoRemove, Spec: c.Spec, StateDir: c.Dir}
	in.State.Status, in.State.Running, in.State.StartedAt = c.Status, c.Running(), c.Started
	if c.Running() {
		in.State.Pid = c.Pid
	}
	if e := c.Exit; e != nil {
		code := e.ExitCode
		in.State.ExitCode, in.State.Signal, in.State.OOMKilled, in.State.FinishedAt, in.State.Error = &code, e.Signal, e.OOMKilled, e.FinishedAt, e.Error
	} else if c.Lost != "" {
		in.State.Error = c.Lost
	}
	if c.Broken != nil {
		in.State.Error = c.Broken.Error()
	}
	if c.Detached {
		in.LogPath = filepath.Join(c.Dir, core.LogFile)
	}
	return in, nil
}

// Proc is one process of a container, as `top` shows it.
type Proc struct {
	UID, PID, PPID int
	Cmd            string
}

// Top lists the processes of a running container: every process in its
// pid namespace.
func (m *Manager) Top(ref string) (*store.Container, []Proc, error) {
	c, err := m.Store.Resolve(ref)
	if err != nil {
		return nil, nil, err
	}
	if !c.Running() {
		return c, nil, fmt.Errorf("container %s %w", c.Name, core.ErrNotRunning)
	}
	var procs []Proc
	for _, pid := range core.NamespacePids(c.Pid) {
		if p, ok := readProc(pid); ok {
			procs = append(procs, p)
		}
	}
	slices.SortFunc(procs, func(a, b Proc) int { return a.PID - b.PID })
	return c, procs, nil
}

// readProc reads a process's owner, parent and command line.
func readProc(pid int) (Proc, bool) {
	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return Proc{}, false
	}
	p := Proc{PID: pid}
	for _, line := range strings.Split(string(status), "\n") {
		k, v, _ := strings.Cut(line, ":")
		f := strings.Fields(v)
		switch {
		case k == "PPid" && len(f) > 0:
			p.PPID, _ = strconv.Atoi(f[0])
		case k == "Uid" && len(f) > 0:
			p.UID, _ = strconv.Atoi(f[0])
		case k == "Name" && len(f) > 0 && p.Cmd == "":
			p.Cmd = "[" + f[0] + "]"
		}
	}
	if cmd, err := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", pid)); err == nil && len(cmd) > 0 {
		p.Cmd = string(bytes.ReplaceAll(bytes.TrimRight(cmd, "\x00"), []byte{0}, []byte{' '}))
	}
	return p, true
}
