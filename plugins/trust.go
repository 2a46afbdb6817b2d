package plugins

import (
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
)

// A plugin runs as root, as mydocker does, so a plugin file is checked as
// sudo and sshd check what they run: a regular executable file, owned by
// root (or mydocker's own user), that no one else can write, in a
// directory no one else can write either. --plugin-dir loads only such
// files whose names do not start with a dot. `--plugin PATH@sha256:HEX`
// also pins the file's content.

// pluginRef is one --plugin value: a path, and the sha256 it must have.
type pluginRef struct {
	path   string
	sha256 []byte // nil: not pinned
}

// parseRef reads PATH or PATH@sha256:HEX.
func parseRef(s string) (pluginRef, error) {
	path, pin, pinned := strings.Cut(s, "@sha256:")
	if !pinned {
		return pluginRef{path: s}, nil
	}
	sum, err := hex.DecodeString(pin)
	if err != nil || len(sum) != 32 {
		return pluginRef{}, fmt.Errorf("plugin %s: the pin must be @sha256: and 64 hex digits", s)
	}
	return pluginRef{path: path, sha256: sum}, nil
}

// checkPluginFile says why path may not run as a plugin, or nil.
func checkPluginFile(path string) error {
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return errors.Unwrap(err) // "no such file or directory", without the path twice
	}
	info, err := os.Stat(real)
	switch {
	case err != nil:
		return errors.Unwrap(err)
	case info.IsDir():
		return errors.New("is a directory")
	case !info.Mode().IsRegular():
		return errors.New("not a regular file")
	case info.Mode()&0o111 == 0:
		return fmt.Errorf("not executable (mode %04o)", info.Mode().Perm())
	}
	if err := trustedOwner(real, info, "the file"); err != nil {
		return err
	}
	dir := filepath.Dir(real)
	dirInfo, err := os.Stat(dir)
	if err != nil {
		return err
	}
	return trustedOwner(dir, dirInfo, "its directory "+dir)
}

// trustedOwner refuses what another user could have written.
func trustedOwner(path string, info os.FileInfo, what string) error {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if st.Uid != 0 && int(st.Uid) != os.Geteuid() {
		return fmt.Errorf("refused: %s is owned by uid %d, not root", what, st.Uid)
	}
	if info.Mode().Perm()&0o022 != 0 {
		return fmt.Errorf("refused: %s is writable by group or others (mode %04o)", what, info.Mode().Perm())
	}
	return nil
}

// DirPlugins lists the plugins of dir for --plugin-dir, in name order:
// regular executable files whose names do not start with a dot. The
// directory must be one only root can write.
func DirPlugins(dir string) ([]string, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin directory: %w", err)
	}
	if err := trustedOwner(dir, info, "plugin directory "+dir); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("plugin directory: %w", err)
	}
	var paths []string
	for _, e := range entries { // ReadDir sorts by name
		if strings.HasPrefix(e.Name(), ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if info, err := os.Stat(p); err == nil && info.Mode().IsRegular() && info.Mode()&0o111 != 0 {
			paths = append(paths, p)
		}
	}
	return paths, nil
}
