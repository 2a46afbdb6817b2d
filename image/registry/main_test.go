package registry

import (
	"os"
	"testing"

	"github.com/mydocker/mydocker/internal/hostcheck"
)

func TestMain(m *testing.M) { os.Exit(hostcheck.Main(m)) }
