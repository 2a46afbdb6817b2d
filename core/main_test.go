package core

import (
	"os"
	"testing"

	"github.com/mydocker/mydocker/internal/hostcheck"
)

// TestMain checks that the whole run left the host as it found it.
func TestMain(m *testing.M) { os.Exit(hostcheck.Main(m)) }

func requireRoot(tb testing.TB) {
	tb.Helper()
	hostcheck.RequireRoot(tb)
}
