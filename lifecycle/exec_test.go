package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/mydocker/mydocker/core"
)

// An exec whose command fails at once leaves nothing behind in the
// container: its process is reaped, so the container's PID 1 can still
// die, and rm -f ends. (Its failure used to be able to arrive before its
// pid; the zombie it then left kept PID 1 from ever finishing its exit.)
func TestFailedExecsLeaveNoZombie(t *testing.T) {
	m := newManager(t)
	runDetached(t, m, "target", spec("sleep", "100"))
	for range 40 {
		_, err := m.Exec(context.Background(), "target", &core.ExecSpec{Args: []string{"no-such-command"}}, core.Stdio{})
		if !errors.Is(err, core.ErrCommandNotFound) {
			t.Fatalf("exec of a missing command: %v", err)
		}
	}
	if zombies := childZombies(t); len(zombies) > 0 {
		t.Errorf("unreaped children: %v", zombies)
	}
	if _, err := m.Remove(context.Background(), "target", true); err != nil {
		t.Errorf("rm -f: %v", err)
	}
}

// childZombies lists this process's children that are zombies.
func childZombies(t *testing.T) []string {
	var out []string
	files, _ := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/children", os.Getpid()))
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, pid := range strings.Fields(string(b)) {
			if st, err := os.ReadFile("/proc/" + pid + "/stat"); err == nil && strings.Contains(string(st), ") Z ") {
				out = append(out, pid)
			}
		}
	}
	return out
}
