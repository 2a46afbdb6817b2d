// Package testrootfs gives tests a busybox root filesystem, built once per
// test binary by the repository's own scripts/mkrootfs.sh (the one the
// README tells users to run) into a temporary directory.
package testrootfs

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
)

var (
	once sync.Once
	dir  string
	err  error
)

// Busybox returns the path of the busybox rootfs, building it on first use.
func Busybox(tb testing.TB) string {
	tb.Helper()
	once.Do(func() { dir, err = build() })
	if err != nil {
		tb.Fatalf("build busybox rootfs: %v", err)
	}
	return dir
}

// Remove deletes the rootfs, if it was built; TestMain calls it last.
func Remove() {
	if dir != "" {
		os.RemoveAll(filepath.Dir(dir))
	}
}

func build() (string, error) {
	script, err := findScript()
	if err != nil {
		return "", err
	}
	tmp, err := os.MkdirTemp("", "mydocker-rootfs-")
	if err != nil {
		return "", err
	}
	root := filepath.Join(tmp, "busybox")
	if out, err := exec.Command("bash", script, root).CombinedOutput(); err != nil {
		os.RemoveAll(tmp)
		return "", fmt.Errorf("%v: %s", err, out)
	}
	return root, nil
}

// findScript walks up from the package directory to the repository root.
func findScript() (string, error) {
	d, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(d, "go.mod")); err == nil {
			return filepath.Join(d, "scripts", "mkrootfs.sh"), nil
		}
		parent := filepath.Dir(d)
		if parent == d {
			return "", fmt.Errorf("no go.mod above the test's directory")
		}
		d = parent
	}
}
