package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"syscall"
	"time"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/oci"
	"github.com/mydocker/mydocker/plugins/proxy"
)

// Hook plugins need go-plugin, gRPC and protobuf, whose initialisation
// alone took half of every one-shot mydocker's start. So mydocker does not
// link them: asked for plugins (--plugin, --plugin-dir), it executes
// mydocker-plugins, which is this same program built with the build tag
// "plugins" (plugged.go), with the same arguments. That build loads the
// plugins in its own process and calls their hooks itself: the prompt,
// a script or a one-shot command run there as here, one process and one
// gRPC call per hook, where a helper process between mydocker and the
// plugins cost two more messages a hook (a run with two plugins hooking
// both points went from 1.62x to 1.33x-1.39x a plugin-less run).
//
// An OCI container's plugins (plugins.json) are still served by a helper:
// mydocker-plugins serve-plugins (package proxy), started by mydocker.

// pluginHost is a session's hook plugins, as the `plugins` command and the
// runtime use them.
type pluginHost interface {
	core.Hooks
	Len() int
	Report(w io.Writer)
	Close()
}

// plugged loads the plugins g names in this process: set in the
// mydocker-plugins build (plugged.go), nil in mydocker.
var plugged func(g globals) (pluginHost, error)

// serveHelper is mydocker-plugins serve-plugins: the plugin host of an OCI
// container (package proxy's protocol on fd 3). Set in the mydocker-plugins
// build, nil in mydocker.
var serveHelper func(args []string) int

// pluggedEnv marks the execution of mydocker-plugins by mydocker: a
// mydocker-plugins that is not the plugins build (a copy of mydocker) would
// otherwise execute itself for ever. The plugins build removes it.
const pluggedEnv = "MYDOCKER_PLUGGED"

// loadPlugins returns the plugins g asks for, nil without. In mydocker it
// executes mydocker-plugins with args (this process's own), and returns
// only if that fails.
func loadPlugins(g globals, args []string) (pluginHost, error) {
	if g.hookTimeout <= 0 {
		return nil, fmt.Errorf("--hook-timeout must be positive, not %v", g.hookTimeout)
	}
	if g.startTimeout <= 0 {
		return nil, fmt.Errorf("--plugin-start-timeout must be positive, not %v", g.startTimeout)
	}
	if len(g.plugins) == 0 && len(g.pluginDirs) == 0 {
		return nil, nil
	}
	if plugged != nil {
		return plugged(g)
	}
	if os.Getenv(pluggedEnv) != "" {
		return nil, errors.New(proxy.HelperName + " is not mydocker's plugins build (build.sh builds it)")
	}
	path, err := proxy.HelperPath()
	if err != nil {
		return nil, err
	}
	env := append(os.Environ(), pluggedEnv+"=1")
	err = syscall.Exec(path, append([]string{"mydocker"}, args...), env)
	return nil, fmt.Errorf("execute %s: %w", path, err)
}

// ociPlugins starts the plugins the state root's plugins.json lists, for
// an OCI container (package oci).
func ociPlugins(paths []string, hookTimeout string) (core.Hooks, func(), error) {
	args := []string{}
	for _, p := range paths {
		args = append(args, "--plugin", p)
	}
	if hookTimeout != "" {
		d, err := time.ParseDuration(hookTimeout)
		if err != nil || d <= 0 {
			return nil, nil, fmt.Errorf("%s: invalid hookTimeout %q", oci.PluginsFile, hookTimeout)
		}
		args = append(args, "--hook-timeout", d.String())
	}
	c, err := proxy.Start(args, proxy.DefaultStartTimeout)
	if err != nil {
		return nil, nil, err
	}
	return c, c.Close, nil
}
