package oci

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/mydocker/mydocker/core"
)

// Hook plugins (the go-plugin ones of `mydocker --plugin`) run around OCI
// containers too. Which ones is the host's business, not the bundle's (an
// annotation naming a binary to run as root would let whoever writes
// annotations run anything): ROOT/plugins.json lists them,
//
//	{"plugins": ["/usr/lib/mydocker/netplug@sha256:..."], "hookTimeout": "5s"}
//
// and a bundle may only opt out, with the annotation
// org.mydocker.plugins=off. The hooks:
//
//	pre-clone   create, before anything is made; edits of args, env and
//	            hostname apply to the container, others are refused
//	post-mount  create, with the prestart hooks: namespaces and mounts made
//	post-stop   delete, once the container is gone ("exited")

// PluginsFile is the name of the plugin list under the state root.
const PluginsFile = "plugins.json"

// OptOut is the annotation with which a bundle runs without plugins.
const OptOut = "org.mydocker.plugins"

// HookLoader starts the plugins listed in the state root's PluginsFile:
// main wires it to the plugin host (this package does not import it). It
// returns nil hooks when there is no list.
type HookLoader func(paths []string, hookTimeout string) (core.Hooks, func(), error)

// pluginList reads ROOT/plugins.json; nil when there is none.
func pluginList(root string) ([]string, string, error) {
	b, err := os.ReadFile(filepath.Join(root, PluginsFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, "", nil
	}
	if err != nil {
		return nil, "", err
	}
	var f struct {
		Plugins     []string `json:"plugins"`
		HookTimeout string   `json:"hookTimeout"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, "", fmt.Errorf("parse %s: %w", filepath.Join(root, PluginsFile), err)
	}
	return f.Plugins, f.HookTimeout, nil
}

// hooks starts the plugins for a container, unless it opts out; the
// returned func stops them.
func (c *cmd) hooks(cfg *specs.Spec) (core.Hooks, func(), error) {
	none := func() {}
	if c.loader == nil || cfg.Annotations[OptOut] == "off" {
		return nil, none, nil
	}
	paths, timeout, err := pluginList(c.root)
	if err != nil || len(paths) == 0 {
		return nil, none, err
	}
	h, stop, err := c.loader(paths, timeout)
	if err != nil || h == nil {
		return nil, none, err
	}
	return h, stop, nil
}

// pluginSpec is what plugins see of an OCI container: its id, command,
// environment, hostname, root (absolute), and annotations as labels.
func pluginSpec(key, bundle string, cfg *specs.Spec) *core.Spec {
	root := cfg.Root.Path
	if !filepath.IsAbs(root) {
		root = filepath.Join(bundle, root)
	}
	return &core.Spec{ID: key, Args: slices.Clone(cfg.Process.Args), Env: slices.Clone(cfg.Process.Env),
		Hostname: cfg.Hostname, Labels: cfg.Annotations, Rootfs: root}
}

// preClone runs the pre-clone hooks and applies their edits to cfg.
func preClone(ctx context.Context, h core.Hooks, key, bundle string, cfg *specs.Spec) error {
	s := pluginSpec(key, bundle, cfg)
	before := *s
	if err := h.PreClone(ctx, s); err != nil {
		return err
	}
	if s.Rootfs != before.Rootfs || s.TTY || s.Limits.Any() || len(s.Volumes) > 0 || s.User != "" || s.WorkDir != "" {
		return fmt.Errorf("a plugin edited what an OCI container takes from its config.json (only args, env and hostname may change)")
	}
	cfg.Process.Args, cfg.Process.Env, cfg.Hostname = s.Args, s.Env, s.Hostname
	return nil
}

// pluginState is what post-mount hooks see of a created OCI container.
// Its root is seen through the init's mount namespace (with the bundle's
// mounts), as a `run --rootfs` container's is.
func pluginState(key, bundle string, cfg *specs.Spec, pid int) core.State {
	spec := pluginSpec(key, bundle, cfg)
	st := core.State{ID: key, Pid: pid, Spec: *spec, Namespaces: map[string]string{},
		Rootfs: filepath.Join("/proc", strconv.Itoa(pid), "root", spec.Rootfs)}
	for _, ns := range []string{"cgroup", "ipc", "mnt", "net", "pid", "uts"} {
		st.Namespaces[ns] = filepath.Join("/proc", strconv.Itoa(pid), "ns", ns)
	}
	for _, ns := range cfg.Linux.Namespaces {
		if ns.Type == specs.UserNamespace { // its own (a joined one is refused)
			st.Namespaces["user"] = filepath.Join("/proc", strconv.Itoa(pid), "ns", "user")
		}
	}
	return st
}
