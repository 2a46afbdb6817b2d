//go:build plugins

package main

import (
	"os"

	"github.com/mydocker/mydocker/plugins"
	"github.com/mydocker/mydocker/plugins/proxy"
)

// This file makes the mydocker-plugins build (go build -tags plugins):
// mydocker with the plugin host linked in (pluginhost.go).
func init() {
	os.Unsetenv(pluggedEnv) // its children (a monitor's _finish) start afresh
	plugged = loadInProcess
	serveHelper = func(args []string) int { return plugins.RunHelper(proxy.HelperName, args, nil) }
}

// loadInProcess starts the plugins g names, in load order: each --plugin,
// then each --plugin-dir's executables in name order.
func loadInProcess(g globals) (pluginHost, error) {
	paths := append([]string(nil), g.plugins...)
	for _, dir := range g.pluginDirs {
		found, err := plugins.DirPlugins(dir)
		if err != nil {
			return nil, err
		}
		paths = append(paths, found...)
	}
	h, err := plugins.Load(plugins.Options{Paths: paths, HookTimeout: g.hookTimeout, StartTimeout: g.startTimeout,
		Stderr: os.Stderr, Debug: g.debug})
	if err != nil {
		return nil, err
	}
	return h, nil
}
