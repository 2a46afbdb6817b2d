package oci

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/lifecycle"
	"github.com/mydocker/mydocker/store"
)

// mydocker's own exec (the prompt's) into an OCI container gives the
// process what the bundle's process has, as `oci exec` does: here only
// CAP_KILL and no-new-privileges, not mydocker's defaults; with -u, -w
// and -e as for mydocker's containers.
func TestPromptExecIntoOCIContainer(t *testing.T) {
	b := bundle(t, "sleep", "100")
	root := t.TempDir()
	runDetached(t, root, b, "e1")
	m := &lifecycle.Manager{Runtime: &core.Runtime{}, Store: store.New(root)}
	for _, tc := range []struct {
		name string
		e    core.ExecSpec
		want []string // lines the output must have
	}{
		{"the bundle's security", core.ExecSpec{Args: []string{"sh", "-c", "grep -E '^(CapEff|CapBnd|NoNewPrivs)' /proc/self/status; id -u"}},
			[]string{"CapEff:\t0000000000000020", "CapBnd:\t0000000000000020", "NoNewPrivs:\t1", "0"}},
		{"-u -w -e", core.ExecSpec{Args: []string{"sh", "-c", "id -u; pwd; echo $FOO"}, User: "65534", WorkDir: "/tmp", Env: []string{"FOO=bar"}},
			[]string{"65534", "/tmp", "bar"}},
	} {
		var stdout, stderr bytes.Buffer
		status, err := m.Exec(context.Background(), "e1", &tc.e, core.Stdio{Out: &stdout, Err: &stderr})
		lines := strings.Split(strings.TrimSpace(stdout.String()), "\n")
		if err != nil || status != 0 || strings.Join(lines, "|") != strings.Join(tc.want, "|") {
			t.Errorf("%s: status %d, %v, output %q (stderr %q), want %q", tc.name, status, err, lines, stderr.String(), tc.want)
		}
	}
	if status, err := m.Exec(context.Background(), "e1", &core.ExecSpec{Args: []string{"sh", "-c", "exit 4"}}, core.Stdio{}); status != 4 || err != nil {
		t.Errorf("exit 4: %d %v", status, err)
	}
}
