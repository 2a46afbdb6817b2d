package oci

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/store"
)

// The commands that only read: list, ps, features.

func (c *cmd) list(args []string) error {
	fs := flags("list")
	format := fs.StringP("format", "f", "table", "table or json")
	quiet := fs.BoolP("quiet", "q", false, "ids only")
	if err := fs.Parse(args); err != nil {
		return err
	}
	all, err := c.st.List()
	if err != nil {
		return err
	}
	type entry struct {
		specs.State
		Created time.Time `json:"created"`
	}
	var list []entry
	for _, ct := range all {
		if ct.OCI != nil {
			st := specs.State{Version: specs.Version, ID: ct.OCI.ID, Status: specs.ContainerState(ociStatus(ct)), Pid: ct.Pid, Bundle: ct.OCI.Bundle, Annotations: ct.OCI.Annotations}
			list = append(list, entry{st, ct.Created})
		}
	}
	switch {
	case *quiet:
		for _, e := range list {
			fmt.Fprintln(c.out, e.ID)
		}
	case *format == "json":
		b, _ := json.Marshal(list)
		fmt.Fprintln(c.out, string(b))
	default:
		w := tabwriter.NewWriter(c.out, 12, 1, 3, ' ', 0)
		fmt.Fprintln(w, "ID\tPID\tSTATUS\tBUNDLE\tCREATED\tOWNER")
		for _, e := range list {
			fmt.Fprintf(w, "%s\t%d\t%s\t%s\t%s\troot\n", e.ID, e.Pid, e.Status, e.Bundle, e.Created.Format(time.RFC3339Nano))
		}
		w.Flush()
	}
	return nil
}

func (c *cmd) ps(args []string) error {
	fs := flags("ps")
	format := fs.StringP("format", "f", "table", "table or json")
	id, err := oneID(fs, args)
	if err != nil {
		return err
	}
	ct, err := c.get(id)
	if err != nil {
		return err
	}
	pids := []int{}
	if ct.Status != store.Exited {
		pids = core.NamespacePids(ct.Pid)
	}
	if *format == "json" {
		b, _ := json.Marshal(pids)
		fmt.Fprintln(c.out, string(b))
		return nil
	}
	fmt.Fprintln(c.out, "PID")
	for _, p := range pids {
		fmt.Fprintln(c.out, p)
	}
	return nil
}

func (c *cmd) features(args []string) error {
	if len(args) > 0 {
		return fmt.Errorf("features takes no arguments")
	}
	f := map[string]any{
		"ociVersionMin": "1.0.0", "ociVersionMax": specs.Version,
		"hooks":        []string{},
		"mountOptions": mountOptionNames(),
		"linux": map[string]any{
			"namespaces":   []string{"cgroup", "ipc", "mount", "network", "pid", "user", "uts"},
			"capabilities": capNames(),
			"cgroup":       map[string]any{"v1": true, "v2": true, "systemd": false, "systemdUser": false},
			"seccomp":      map[string]any{"enabled": true},
		},
	}
	b, err := json.MarshalIndent(f, "", "    ")
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, string(b))
	return nil
}
