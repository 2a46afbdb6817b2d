// Package atomicfile writes a file whole or not at all: a temporary file
// of its own in the same directory, renamed over the target. Readers
// (ps, lookups) never need a lock, and concurrent writers never share a
// temporary file.
package atomicfile

import (
	"os"
	"path/filepath"
)

// Write replaces path with data, mode 0600.
func Write(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // after a rename, there is nothing left to remove
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
