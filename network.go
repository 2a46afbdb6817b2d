package main

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/sibling"
	"github.com/mydocker/mydocker/plugins/bridge"
	"github.com/mydocker/mydocker/plugins/proxy"
)

// The bundled network plugin: the bridge network runs in mydocker's own
// process (bridgenet.go); CNI networks (cni:NAME) in mydocker-net
// (plugins/cmd/mydocker-net), started the first time a run asks for one
// and kept for the session. Their hooks run after those of the plugins
// loaded with --plugin (lifecycle's chainHooks), unless mydocker-net is
// one of them.

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

// networkPlugins returns the lazy loader of the bundled network plugin's
// hooks, their clean-up (which waits for post-stops under way), and what
// `plugins` and `network prune` need of them.
func networkPlugins(g globals) (func(string) (core.Hooks, []string, error), func(), *networks) {
	n := &networks{}
	load := func(name string) (core.Hooks, []string, error) {
		if name != "bridge" && !strings.HasPrefix(name, "cni:") {
			return nil, nil, fmt.Errorf("--network %s: no plugin provides it (mydocker's own are bridge and cni:NAME; load others with --plugin)", name)
		}
		for _, p := range g.plugins {
			if filepath.Base(strings.SplitN(p, "@", 2)[0]) == bridgeName {
				return nil, nil, fmt.Errorf("--network %s: the loaded %s provides it", name, bridgeName)
			}
		}
		if name == "bridge" {
			if n.bridge == nil && os.Getenv("MYDOCKER_BRIDGE_NAME") == "" { // said once a process at most
				if _, err := net.InterfaceByName("mydocker0"); err != nil {
					fmt.Fprintln(os.Stderr, "mydocker: --network bridge changes this host's network: a bridge mydocker0, IP forwarding, "+
						"and nftables tables \"mydocker\" for NAT and -p; `network prune` removes them")
				}
			}
			return n.bridgeNetwork(), nil, nil
		}
		path, err := bridgePath()
		if err != nil {
			return nil, nil, err
		}
		if n.cni == nil {
			// mydocker-net hosts its own hooks: no mydocker-plugins
			// process and no gRPC between them (see its doc).
			args := []string{"serve-hooks", "--hook-timeout", g.hookTimeout.String(), "--plugin-start-timeout", g.startTimeout.String()}
			if g.debug {
				args = append(args, "--debug")
			}
			if n.cni, err = proxy.StartPath(path, args, g.startTimeout); err != nil {
				return nil, nil, err
			}
		}
		return n.cni, []string{"--plugin", path}, nil
	}
	return load, n.close, n
}

// networks are the bundled network plugin's hooks this process started:
// the bridge's, in process, and mydocker-net's for CNI networks.
type networks struct {
	bridge *bridgeNetwork
	cni    *proxy.Client
}

// bridgeNetwork is the bridge's hooks, made on first use. Its nftables
// changes are mydocker-net's (bridge.HelperFirewall): a bridge without
// mydocker-net fails every run with why.
func (n *networks) bridgeNetwork() *bridgeNetwork {
	if n.bridge == nil {
		path, err := bridgePath()
		n.bridge = &bridgeNetwork{hooks: bridge.NewHooks(bridge.HelperFirewall{Path: path})}
		if n.bridge.hooks.Err == nil {
			n.bridge.hooks.Err = err
		}
	}
	return n.bridge
}

func (n *networks) close() {
	if n.bridge != nil {
		n.bridge.stops.Wait()
	}
	if n.cni != nil {
		n.cni.Close()
	}
}

// prune is `network prune`: the bridge, its nftables tables and its
// state go, and forwarding is put back, once no container is on the
// network. What it removed goes to out.
func (n *networks) prune(out io.Writer) error { return n.bridgeNetwork().prune(out) }

// pluginsReport is the `plugins` command's answer: the plugins loaded
// with --plugin, then the bundled network plugin's, if a run used them.
type pluginsReport struct {
	host    pluginHost // nil without --plugin
	network *networks
}

func (p pluginsReport) Report(w io.Writer) {
	loaded := p.host != nil && p.host.Len() > 0
	if loaded {
		p.host.Report(w)
	}
	if br := p.network.bridge; br != nil {
		if !loaded {
			fmt.Fprintf(w, "%-16s %-10s %9s %10s %6s  %s\n", "NAME", "STATE", "PRE-CLONE", "POST-MOUNT", "STARTS", "PATH")
		}
		br.report(w)
		loaded = true
	}
	if c := p.network.cni; c != nil {
		if loaded {
			fmt.Fprintln(w)
		}
		c.Report(w)
		loaded = true
	}
	if !loaded {
		fmt.Fprintln(w, proxy.NoPlugins)
	}
}
