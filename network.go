package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/sibling"
	"github.com/mydocker/mydocker/plugins/proxy"
)

// The bundled network plugin, mydocker-net (plugins/bridge, plugins/cni):
// started the first time a run asks for --network bridge or cni:NAME, and
// kept for the session; its hooks run after those of the plugins loaded
// with --plugin (lifecycle's chainHooks), unless it is one of them.

// bridgeEnv, when set, is the plugin's path (tests); otherwise it is looked
// for next to mydocker, then on PATH.
const (
	bridgeName = "mydocker-net"
	bridgeEnv  = "MYDOCKER_NET_PLUGIN"
)

func bridgePath() (string, error) {
	p, err := sibling.Find(bridgeName, bridgeEnv)
	if err != nil {
		return "", fmt.Errorf("--network bridge and cni:NAME need %s next to mydocker or on PATH (build.sh builds it)", bridgeName)
	}
	return p, nil
}

// networkPlugins returns the lazy loader of the bundled network plugin,
// its clean-up, and the plugin's client once a run has started it (for
// the `plugins` command).
func networkPlugins(g globals) (func(string) (core.Hooks, []string, error), func(), func() *proxy.Client) {
	var client *proxy.Client
	load := func(name string) (core.Hooks, []string, error) {
		if name != "bridge" && !strings.HasPrefix(name, "cni:") {
			return nil, nil, fmt.Errorf("--network %s: no plugin provides it (mydocker's own are bridge and cni:NAME; load others with --plugin)", name)
		}
		for _, p := range g.plugins {
			if filepath.Base(strings.SplitN(p, "@", 2)[0]) == bridgeName {
				return nil, nil, fmt.Errorf("--network %s: the loaded %s provides it", name, bridgeName)
			}
		}
		path, err := bridgePath()
		if err != nil {
			return nil, nil, err
		}
		if client == nil {
			if _, err := net.InterfaceByName("mydocker0"); err != nil && name == "bridge" && os.Getenv("MYDOCKER_BRIDGE_NAME") == "" {
				fmt.Fprintln(os.Stderr, "mydocker: --network bridge changes this host's network: a bridge mydocker0, IP forwarding, "+
					"and nftables tables \"mydocker\" for NAT and -p; `network prune` removes them")
			}
			// mydocker-net hosts its own hooks: no mydocker-plugins
			// process and no gRPC between them (see its doc).
			args := []string{"serve-hooks", "--hook-timeout", g.hookTimeout.String(), "--plugin-start-timeout", g.startTimeout.String()}
			if g.debug {
				args = append(args, "--debug")
			}
			if client, err = proxy.StartPath(path, args, g.startTimeout); err != nil {
				return nil, nil, err
			}
		}
		if name == "bridge" {
			return bridgeHooks{client}, []string{"--plugin", path}, nil
		}
		return client, []string{"--plugin", path}, nil
	}
	return load, func() {
		if client != nil {
			client.Close()
		}
	}, func() *proxy.Client { return client }
}

// pluginsReport is the `plugins` command's answer: the plugins loaded
// with --plugin, then the bundled network plugin if a run started it.
type pluginsReport struct {
	host    pluginHost // nil without --plugin
	network func() *proxy.Client
}

func (p pluginsReport) Report(w io.Writer) {
	bundled := p.network()
	loaded := p.host != nil && p.host.Len() > 0
	if loaded {
		p.host.Report(w)
	}
	if bundled != nil {
		if loaded {
			fmt.Fprintln(w)
		}
		bundled.Report(w)
	}
	if !loaded && bundled == nil {
		fmt.Fprintln(w, proxy.NoPlugins)
	}
}

// networkPrune runs `mydocker-net prune`: the bridge, its nftables
// tables and its state go, and forwarding is put back, once no container
// is on the network. What it removed goes to out.
func networkPrune(out io.Writer) error {
	path, err := bridgePath()
	if err != nil {
		return err
	}
	var stderr strings.Builder
	cmd := exec.Command(path, "prune")
	cmd.Stdout, cmd.Stderr = out, &stderr
	if err := cmd.Run(); err != nil {
		if msg := strings.TrimSpace(strings.TrimPrefix(stderr.String(), bridgeName+": ")); msg != "" {
			return errors.New(msg)
		}
		return fmt.Errorf("%s prune: %w", bridgeName, err)
	}
	return nil
}

// bridgeHooks are the bundled plugin's hooks for the bridge network, whose
// pre-clone has nothing to do (it checks the CNI conflist of cni:NAME):
// not making that call saves a round trip a run.
type bridgeHooks struct{ *proxy.Client }

func (bridgeHooks) PreClone(context.Context, *core.Spec) error { return nil }

// PostStop says the plugin is owed it, its pre-clone call skipped, unless
// the run was vetoed before the plugin's turn.
func (b bridgeHooks) PostStop(ctx context.Context, st core.StopState) {
	st.AllOwed = st.Reason != "vetoed"
	b.Client.PostStop(ctx, st)
}
