package proxy

import (
	"os"
	"testing"

	"github.com/mydocker/mydocker/internal/hostcheck"
)

// TestMain checks that the tests left the host as they found it.
func TestMain(m *testing.M) { os.Exit(hostcheck.Main(m)) }
