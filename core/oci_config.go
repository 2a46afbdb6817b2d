package core

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// bundleConfig is config.json as a Linux runtime reads it: the fields of
// specs.Spec, each of runtime-spec's own type, less the other platforms'
// sections (windows, solaris, vm, zos, freebsd), which runc ignores too. The
// first time encoding/json decodes a struct type it builds an encoder for
// every type beneath it; those sections' types were a third of a
// cold read of config.json (2.1 -> 1.45 ms), which every OCI command that
// reads it pays: create, start, state, delete. TestBundleConfigFields
// keeps the list in step with specs.Spec.
type bundleConfig struct {
	Version     string            `json:"ociVersion"`
	Process     *specs.Process    `json:"process,omitempty"`
	Root        *specs.Root       `json:"root,omitempty"`
	Hostname    string            `json:"hostname,omitempty"`
	Domainname  string            `json:"domainname,omitempty"`
	Mounts      []specs.Mount     `json:"mounts,omitempty"`
	Hooks       *specs.Hooks      `json:"hooks,omitempty"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Linux       *specs.Linux      `json:"linux,omitempty"`
}

// ReadBundleConfig reads an OCI bundle's config.json, which must have a
// process.
func ReadBundleConfig(bundle string) (*specs.Spec, error) {
	path := filepath.Join(bundle, "config.json")
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read the bundle's config: %w", err)
	}
	var cfg bundleConfig
	if err := json.Unmarshal(b, &cfg); err != nil {
		return nil, fmt.Errorf("parse %s: %w", path, err)
	}
	if cfg.Process == nil {
		return nil, fmt.Errorf("parse %s: no process", path)
	}
	return &specs.Spec{Version: cfg.Version, Process: cfg.Process, Root: cfg.Root, Hostname: cfg.Hostname,
		Domainname: cfg.Domainname, Mounts: cfg.Mounts, Hooks: cfg.Hooks, Annotations: cfg.Annotations,
		Linux: cfg.Linux}, nil
}
