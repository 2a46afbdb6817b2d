// Command mydocker-net is mydocker's bundled network plugin as a program of
// its own: the bridge network (package plugins/bridge, which mydocker
// also serves in its own process for --network bridge) and CNI networks
// (package plugins/cni, --network cni:NAME). It runs three ways:
//
//	mydocker-net                  a go-plugin plugin, as any other (--plugin);
//	                              mydocker then leaves its networks to it
//	mydocker-net serve-hooks ...  what mydocker starts by itself for a CNI
//	                              network: a plugin host (package proxy's
//	                              protocol on fd 3) with these hooks built
//	                              in, so each hook is a call, not a gRPC
//	                              round trip through a second process
//	mydocker-net prune            removes the bridge network
//	mydocker-net firewall         one nftables change of the bridge network
//	                              for mydocker (bridge.HelperFirewall)
package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mydocker/mydocker/plugins"
	"github.com/mydocker/mydocker/plugins/bridge"
	"github.com/mydocker/mydocker/plugins/bridge/nft"
	"github.com/mydocker/mydocker/plugins/cni"
	"github.com/mydocker/mydocker/plugins/sdk"
)

// ServeHooks is the argument with which mydocker starts it as its own
// plugin host (package proxy's StartPath).
const ServeHooks = "serve-hooks"

type hooks struct {
	bridge *bridge.Hooks
	cni    cni.Config
	early  bool // serve-hooks: post-clone calls come (plugins.PostCloner)
}

var _ plugins.PostCloner = hooks{}

// PreClone checks the network's configuration early.
func (h hooks) PreClone(_ context.Context, s *sdk.Spec) error {
	if strings.HasPrefix(s.Network, cni.Prefix) {
		return h.cni.Check(s.Network) // a missing conflist stops the run here
	}
	if s.Network != bridge.Name {
		return nil
	}
	return h.bridge.Err
}

func (h hooks) PostMount(ctx context.Context, st *sdk.State) error {
	if strings.HasPrefix(st.Spec.Network, cni.Prefix) {
		res, err := h.cni.Add(ctx, st.Spec.Network, st.ID, st.Pid, cniPorts(st.Spec.Ports))
		sdk.Log.Debug("CNI ADD", "container", st.ID, "result", res)
		return err
	}
	if st.Spec.Network != bridge.Name {
		return nil
	}
	return h.bridge.Attach(ctx, container(st.ID, st.Pid, st.Spec))
}

// PostClone begins the bridge's setup as soon as the container's network
// namespace exists (bridge.Hooks.Begin), when served by serve-hooks.
func (h hooks) PostClone(st *sdk.State) {
	if st.Spec.Network == bridge.Name && h.early {
		h.bridge.Begin(container(st.ID, st.Pid, st.Spec))
	}
}

func (h hooks) PostStop(ctx context.Context, st *sdk.StopState) error {
	if strings.HasPrefix(st.Spec.Network, cni.Prefix) {
		if st.Reason == "vetoed" {
			return nil // never added
		}
		return h.cni.Del(ctx, st.Spec.Network, st.ID, cniPorts(st.Spec.Ports))
	}
	if st.Spec.Network != bridge.Name {
		return nil
	}
	return h.bridge.Detach(ctx, container(st.ID, 0, st.Spec))
}

// container is a bridge container as the SDK describes it.
func container(id string, pid int, s sdk.Spec) bridge.Container {
	var ports []bridge.Port
	for _, p := range s.Ports {
		ports = append(ports, bridge.Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
	}
	return bridge.Container{ID: id, Pid: pid, Hostname: s.Hostname, Ports: ports, Rootfs: s.Rootfs}
}

func main() {
	h := hooks{bridge: bridge.NewHooks(nft.Firewall{}), cni: cni.ConfigFromEnv()}
	if len(os.Args) == 2 && os.Args[1] == bridge.FirewallCommand {
		os.Exit(firewall(h.bridge))
	}
	if len(os.Args) == 2 && os.Args[1] == "prune" {
		if err := h.bridge.Prune(os.Stdout); err != nil {
			fmt.Fprintln(os.Stderr, "mydocker-net:", err)
			if errors.Is(err, bridge.ErrInUse) {
				os.Exit(1)
			}
			os.Exit(125)
		}
		return
	}
	if len(os.Args) > 1 && os.Args[1] == ServeHooks {
		h.early = true
		os.Exit(plugins.RunHelper("mydocker-net", os.Args[2:], []plugins.Builtin{{Name: "mydocker-net", Hooks: h}}))
	}
	sdk.Serve(h)
}

// firewall serves one bridge.HelperFirewall call: a FirewallRequest on
// stdin, an error as one line on stderr.
func firewall(h *bridge.Hooks) int {
	var r bridge.FirewallRequest
	err := h.Err
	if err == nil {
		err = json.NewDecoder(os.Stdin).Decode(&r)
	}
	if err == nil {
		err = r.Serve(h.Config)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "mydocker-net:", err)
		return 125
	}
	return 0
}

func cniPorts(ports []sdk.Port) []cni.Port {
	var out []cni.Port
	for _, p := range ports {
		out = append(out, cni.Port{HostIP: p.HostIP, HostPort: int(p.HostPort), ContainerPort: int(p.ContainerPort), Protocol: p.Protocol})
	}
	return out
}
