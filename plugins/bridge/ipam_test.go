package bridge

import (
	"os"
	"path/filepath"
	"testing"
)

// Lease files are read as written: with the ports mark or without; any
// other shape is not a lease.
func TestLeaseFiles(t *testing.T) {
	c := Config{State: t.TempDir()}
	os.MkdirAll(filepath.Join(c.State, "leases"), 0o700)
	for name, body := range map[string]string{
		"10.89.0.2": "c1 100 5 web\n",
		"10.89.0.3": "c2 101 6 api ports\n",
		"10.89.0.4": "c3 102 7 bad extra\n",
		"10.89.0.5": "c4 103\n",
	} {
		os.WriteFile(filepath.Join(c.State, "leases", name), []byte(body), 0o600)
	}
	all, err := c.leases()
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]lease{}
	for _, l := range all {
		got[l.id] = l
	}
	want := map[string]lease{
		"c1": {ip: "10.89.0.2", id: "c1", pid: 100, start: "5", hostname: "web"},
		"c2": {ip: "10.89.0.3", id: "c2", pid: 101, start: "6", hostname: "api", published: true},
	}
	if len(got) != len(want) || got["c1"] != want["c1"] || got["c2"] != want["c2"] {
		t.Errorf("leases: %+v, want %+v", got, want)
	}
}
