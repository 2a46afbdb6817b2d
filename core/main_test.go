package core

import (
	"os"
	"testing"

	"github.com/mydocker/mydocker/internal/hostcheck"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// TestMain checks that the whole run left the host as it found it.
func TestMain(m *testing.M) {
	code := hostcheck.Main(m)
	testrootfs.Remove()
	os.Exit(code)
}

func requireRoot(tb testing.TB) {
	tb.Helper()
	hostcheck.RequireRoot(tb)
}
