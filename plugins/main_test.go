package plugins

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/mydocker/mydocker/internal/hostcheck"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// bin holds the plugins the tests load: the examples, and testplugin under
// each name it answers to (see its doc).
var bin string

var testPluginNames = []string{"edit-a", "edit-b", "veto", "crash-pre", "crash-once", "panic-post", "hang-post", "mark", "log", "noop", "noop2", "pre-only", "post-only", "write-root", "deny-perm", "noisy-veto", "after-serve", "clear-all", "bad-host", "poststop-a", "poststop-b", "patient"}

// TestMain builds real plugin binaries, since the tests run real plugin
// processes, and checks that the host is left as found.
func TestMain(m *testing.M) {
	os.Exit(run(m))
}

func run(m *testing.M) int {
	dir, err := os.MkdirTemp("", "mydocker-plugins-test-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer os.RemoveAll(dir)
	if err := buildPlugins(dir); err != nil {
		fmt.Fprintln(os.Stderr, "build test plugins:", err)
		return 1
	}
	bin = dir
	defer testrootfs.Remove()
	return hostcheck.Main(m)
}

func buildPlugins(dir string) error {
	cmd := exec.Command("go", "build", "-o", dir+"/", "./internal/testplugin", "./examples/...")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("%v\n%s", err, out)
	}
	for _, name := range testPluginNames {
		if err := os.Symlink("testplugin", filepath.Join(dir, name)); err != nil {
			return err
		}
	}
	return nil
}

func pluginPath(name string) string { return filepath.Join(bin, name) }

func requireRoot(tb testing.TB) {
	tb.Helper()
	hostcheck.RequireRoot(tb)
}
