package hostcheck

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestDiffSeesLeftovers proves the checker would catch what it guards
// against: a process left running below the test, here in another pid
// namespace like a container.
func TestDiffSeesLeftovers(t *testing.T) {
	RequireRoot(t)
	snap, err := Take()
	if err != nil {
		t.Fatal(err)
	}
	if d := snap.Diff(); d != "" {
		t.Fatalf("clean host reported as changed: %s", d)
	}
	cmd := exec.Command("unshare", "--pid", "--fork", "--kill-child", "sleep", "60")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cmd.Process.Kill(); cmd.Wait() }()
	var d string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if d = snap.Diff(); strings.Contains(d, "sleep 60") {
			break
		}
	}
	if !strings.Contains(d, "processes left behind") || !strings.Contains(d, "sleep 60") {
		t.Errorf("leftovers not reported; diff:\n%s", d)
	}
}
