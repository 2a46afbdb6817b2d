package plugins

import (
	"strings"
	"testing"
)

func TestExamplePolicy(t *testing.T) {
	t.Setenv("MYDOCKER_POLICY_DENY", "rm, dd")
	h, logs := load(t, Options{}, "policy")
	r := runIn(t, h, "/bin/rm", "-rf", "/nothing")
	if r.status != 125 || r.err == nil || r.err.Error() != `plugin policy: pre-clone: command "rm" is denied by policy (MYDOCKER_POLICY_DENY)` {
		t.Errorf("rm: status %d err %v", r.status, r.err)
	}
	if r := runIn(t, h, "echo", "allowed"); r.err != nil || r.out != "allowed\n" {
		t.Errorf("echo: out %q err %v", r.out, r.err)
	}
	if logs.String() != "" {
		t.Errorf("policy logged without --debug:\n%s", logs)
	}
}

func TestExampleNaming(t *testing.T) {
	t.Setenv("MYDOCKER_NAME_PREFIX", "lab")
	h, _ := load(t, Options{}, "naming")
	r := runIn(t, h, "sh", "-c", `echo "$(hostname) $HOSTNAME $CONTAINER_ID"`)
	f := strings.Fields(r.out)
	if r.err != nil || len(f) != 3 || f[0] != "lab-"+f[2][:6] || f[1] != f[0] {
		t.Errorf("out %q err %v", r.out, r.err)
	}
	r = runIn(t, h, "--hostname", "mine", "hostname")
	if r.out != "mine\n" {
		t.Errorf("an explicit --hostname was overridden: %q", r.out)
	}
}

func TestExampleNetlo(t *testing.T) {
	probe := []string{"sh", "-c", "ip -o link show lo | grep -o '<[^>]*>'"}
	h, _ := load(t, Options{}) // no plugin: the runtime brings lo up itself
	if r := runIn(t, h, probe...); !strings.Contains(r.out, ",UP") {
		t.Errorf("without netlo: %q %v", r.out, r.err)
	}
	h, _ = load(t, Options{}, "netlo")
	if r := runIn(t, h, probe...); !strings.Contains(r.out, ",UP") {
		t.Errorf("with netlo: %q %v", r.out, r.err)
	}
	if r := runIn(t, h, "ping", "-c", "1", "-W", "2", "127.0.0.1"); r.status != 0 || !strings.Contains(r.out, "1 received") {
		t.Errorf("ping with netlo: status %d out %q err %v", r.status, r.out, r.err)
	}
}
