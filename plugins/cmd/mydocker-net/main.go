// Command mydocker-net is mydocker's bundled network plugin: the bridge
// network (package plugins/bridge) and CNI networks (package plugins/cni,
// --network cni:NAME). It runs three ways:
//
//	mydocker-net                  a go-plugin plugin, as any other (--plugin)
//	mydocker-net serve-hooks ...  what mydocker starts by itself for those
//	                              networks: a plugin host (package proxy's
//	                              protocol on fd 3) with these hooks built
//	                              in, so each hook is a call, not a gRPC
//	                              round trip through a second process
//	mydocker-net prune            removes the bridge network (what `mydocker
//	                              network prune` does)
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/mydocker/mydocker/plugins"
	"github.com/mydocker/mydocker/plugins/bridge"
	"github.com/mydocker/mydocker/plugins/cni"
	"github.com/mydocker/mydocker/plugins/sdk"
)

// ServeHooks is the argument with which mydocker starts it as its own
// plugin host (package proxy's StartPath).
const ServeHooks = "serve-hooks"

type hooks struct {
	cfg    bridge.Config
	cfgErr error // why the bridge's configuration (environment) is refused
	cni    cni.Config
	early  *setups // bridge setups begun at post-clone (serve-hooks only)
}

var _ plugins.PostCloner = hooks{}

// PreClone checks the network's configuration early. (For the bridge,
// mydocker skips this call when it started the plugin itself: PostMount
// checks the configuration too.)
func (h hooks) PreClone(_ context.Context, s *sdk.Spec) error {
	if strings.HasPrefix(s.Network, cni.Prefix) {
		return h.cni.Check(s.Network) // a missing conflist stops the run here
	}
	if s.Network != bridge.Name {
		return nil
	}
	return h.cfgErr
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
	if h.cfgErr != nil { // mydocker does not call PreClone for the bridge
		return h.cfgErr
	}
	r, ok := h.early.wait(ctx, st.ID)
	if !ok { // a plugin process (--plugin): no post-clone call came
		r = h.setup(st)
	}
	if r.err != nil {
		return r.err
	}
	hosts := r.hosts
	sdk.Log.Debug("container on the bridge", "container", st.ID, "ip", r.ip)
	// The network's containers in its /etc/hosts (a snapshot: those that
	// start later are not added). Only in a root of its own: on the host's
	// root, a container whose /etc/hosts could not be bound would have
	// the host's file written.
	if st.Spec.Rootfs == "" {
		return nil
	}
	root, err := sdk.InRoot(st.Spec.Rootfs)
	if err != nil {
		return err
	}
	old, err := root.ReadFile("/etc/hosts")
	if err != nil {
		return err
	}
	return root.WriteFile("/etc/hosts", []byte(string(old)+strings.Join(hosts, "\n")+"\n"), 0o644)
}

// PostClone begins the bridge's setup as soon as the container's network
// namespace exists: it needs nothing of its mounts, and runs here while
// the init makes them instead of after, at the sync point (PostMount waits
// for it there and writes /etc/hosts, which needs the mounts).
func (h hooks) PostClone(st *sdk.State) {
	if st.Spec.Network != bridge.Name || h.cfgErr != nil || h.early == nil {
		return
	}
	h.early.begin(st.ID, func() setupResult { return h.setup(st) })
}

// setup puts the container on the bridge.
func (h hooks) setup(st *sdk.State) setupResult {
	var ports []bridge.Port
	for _, p := range st.Spec.Ports {
		ports = append(ports, bridge.Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
	}
	ip, hosts, err := h.cfg.Setup(st.ID, st.Pid, st.Spec.Hostname, ports)
	return setupResult{ip: ip, hosts: hosts, err: err}
}

func (h hooks) PostStop(ctx context.Context, st *sdk.StopState) error {
	if strings.HasPrefix(st.Spec.Network, cni.Prefix) {
		if st.Reason == "vetoed" {
			return nil // never added
		}
		return h.cni.Del(ctx, st.Spec.Network, st.ID, cniPorts(st.Spec.Ports))
	}
	if st.Spec.Network != bridge.Name || h.cfgErr != nil { // never set up
		return nil
	}
	h.early.wait(context.WithoutCancel(ctx), st.ID) // a setup begun is done before its teardown
	return h.cfg.Teardown(st.ID, len(st.Spec.Ports) > 0)
}

func main() {
	cfg, err := bridge.ConfigFromEnv()
	if len(os.Args) == 2 && os.Args[1] == "prune" {
		removed := false
		if err == nil {
			removed, err = cfg.Prune()
		}
		if removed {
			fmt.Printf("Deleted network bridge (%s, its nftables tables and state)\n", cfg.Bridge)
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "mydocker-net:", err)
			if errors.Is(err, bridge.ErrInUse) {
				os.Exit(1)
			}
			os.Exit(125)
		}
		return
	}
	h := hooks{cfg: cfg, cfgErr: err, cni: cni.ConfigFromEnv()} // a bridge container gets err
	if len(os.Args) > 1 && os.Args[1] == ServeHooks {
		h.early = &setups{running: map[string]chan setupResult{}}
		os.Exit(plugins.RunHelper("mydocker-net", os.Args[2:], []plugins.Builtin{{Name: "mydocker-net", Hooks: h}}))
	}
	sdk.Serve(h)
}

func cniPorts(ports []sdk.Port) []cni.Port {
	var out []cni.Port
	for _, p := range ports {
		out = append(out, cni.Port{HostIP: p.HostIP, HostPort: int(p.HostPort), ContainerPort: int(p.ContainerPort), Protocol: p.Protocol})
	}
	return out
}
