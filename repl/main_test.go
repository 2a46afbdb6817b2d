package repl

import (
	"context"
	"flag"
	"os"
	"syscall"
	"testing"

	"github.com/mydocker/mydocker/internal/hostcheck"
)

// TestMain doubles the test binary as a REPL program (for the pseudo-
// terminal tests, which need a process of their own with a controlling
// terminal) and checks that the host is left as found. Examples run real
// containers, so without root (outside CI) they are skipped like the tests.
func TestMain(m *testing.M) {
	if os.Getenv("REPL_TEST_MAIN") == "1" {
		if f := os.Getenv("REPL_TEST_STDERR"); f != "" {
			if fd, err := syscall.Open(f, syscall.O_WRONLY|syscall.O_CREAT|syscall.O_TRUNC, 0o644); err == nil {
				syscall.Dup2(fd, 2)
			}
		}
		os.Exit(New(Options{HistoryFile: os.Getenv("REPL_TEST_HISTORY")}).Run(context.Background()))
	}
	flag.Parse()
	if os.Geteuid() != 0 && os.Getenv("CI") != "true" && flag.Lookup("test.skip").Value.String() == "" {
		_ = flag.Set("test.skip", "^Example")
	}
	// Containers are recorded in a store of the tests.
	root, err := os.MkdirTemp("", "mydocker-root-")
	if err != nil {
		panic(err)
	}
	os.Setenv("MYDOCKER_ROOT", root)
	code := hostcheck.Main(m)
	os.RemoveAll(root)
	os.Exit(code)
}

func requireRoot(tb testing.TB) {
	tb.Helper()
	hostcheck.RequireRoot(tb)
}
