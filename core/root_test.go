package core

import (
	"testing"

	"github.com/mydocker/mydocker/internal/hostcheck"
)

// requireRoot skips a test that needs root (fails under CI).
func requireRoot(tb testing.TB) {
	tb.Helper()
	hostcheck.RequireRoot(tb)
}
