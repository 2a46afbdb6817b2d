// Package sibling finds mydocker's helper binaries (the plugin host, the
// image helper, the network plugin), which build.sh puts next to
// mydocker: so that mydocker itself does not link what they do.
package sibling

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
)

// ErrNotFound is returned by Find for a helper that is nowhere.
var ErrNotFound = errors.New("not found")

// Find returns the path of the helper binary name: $env when set (tests
// point it at their own build), else next to the running executable, else
// on PATH.
func Find(name, env string) (string, error) {
	if p := os.Getenv(env); p != "" {
		return p, nil
	}
	if exe, err := os.Executable(); err == nil {
		p := filepath.Join(filepath.Dir(exe), name)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	p, err := exec.LookPath(name)
	if err != nil {
		return "", ErrNotFound
	}
	return p, nil
}
