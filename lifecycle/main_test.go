package lifecycle

import (
	"context"
	"fmt"
	"os"
	"testing"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/hostcheck"
	"github.com/mydocker/mydocker/store"
)

// TestMain doubles the test binary as `mydocker --root R _finish ID`, which
// a detached container's monitor runs after it ended (finishArgs), and
// checks that the host is left as found.
func TestMain(m *testing.M) {
	if a := os.Args; len(a) == 5 && a[1] == "--root" && a[3] == "_finish" {
		mgr := &Manager{Runtime: &core.Runtime{}, Store: store.New(a[2])}
		if err := mgr.Finish(context.Background(), a[4]); err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(hostcheck.Main(m))
}

// newManager is a manager over a store of the test's own.
func newManager(t *testing.T) *Manager {
	t.Helper()
	hostcheck.RequireRoot(t)
	root := t.TempDir()
	m := &Manager{Runtime: &core.Runtime{CacheDir: root + "/cache"}, Store: store.New(root),
		FinishArgs: []string{"mydocker", "--root", root, "_finish"}}
	t.Cleanup(func() { removeAll(t, m) })
	return m
}

// removeAll removes every container of m's store, as rm -f.
func removeAll(t *testing.T, m *Manager) {
	all, _ := m.Store.List()
	for _, c := range all {
		if _, err := m.Remove(context.Background(), c.ID, true); err != nil {
			t.Errorf("rm -f %s: %v", c.Name, err)
		}
	}
}
