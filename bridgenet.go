package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"sync"
	"sync/atomic"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/plugins/bridge"
)

// bridgeNetwork is the bridge network (--network bridge) run in mydocker's
// own process: the bundled plugin's hooks (package plugins/bridge, the
// same that mydocker-net serves to --plugin), called by core directly.
// Served by a plugin process, each container cost three messages to it
// and that process's runtime: from the prompt, +4.5 ms a container
// against +2.2 ms in process, side by side (README, Networks). Its
// nftables changes are mydocker-net's (bridge.HelperFirewall): linking
// google/nftables would slow every mydocker start.
type bridgeNetwork struct {
	hooks  *bridge.Hooks
	stops  sync.WaitGroup // post-stops under way: waited for before exit and prune
	starts atomic.Int64   // containers put on the network (for `plugins`)
}

var (
	_ core.Hooks      = (*bridgeNetwork)(nil)
	_ core.PostCloner = (*bridgeNetwork)(nil)
)

// bridgeContainer is a container as the bridge's hooks see it; rootfs is
// its writable root from the host ("" on the host's root).
func bridgeContainer(id string, pid int, spec *core.Spec, rootfs string) bridge.Container {
	var ports []bridge.Port
	for _, p := range spec.Ports {
		ports = append(ports, bridge.Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
	}
	return bridge.Container{ID: id, Pid: pid, Hostname: spec.Hostname, Ports: ports, Rootfs: rootfs}
}

// PreClone refuses the run if the bridge's configuration (environment) is.
func (b *bridgeNetwork) PreClone(context.Context, *core.Spec) error {
	if b.hooks.Err != nil {
		return fmt.Errorf("network bridge: %w", b.hooks.Err)
	}
	return nil
}

// PostClone begins the setup while the init mounts.
func (b *bridgeNetwork) PostClone(_ context.Context, st core.State) {
	b.hooks.Begin(bridgeContainer(st.ID, st.Pid, &st.Spec, st.Rootfs))
}

// PostMount waits for the setup and writes the network's /etc/hosts lines.
func (b *bridgeNetwork) PostMount(ctx context.Context, st core.State) error {
	if err := b.hooks.Attach(ctx, bridgeContainer(st.ID, st.Pid, &st.Spec, st.Rootfs)); err != nil {
		return fmt.Errorf("network bridge: %w", err)
	}
	b.starts.Add(1)
	return nil
}

// PostStop takes the container off the network in the background, off the
// path to the next prompt; its error goes to stderr, one line.
func (b *bridgeNetwork) PostStop(ctx context.Context, st core.StopState) {
	if st.Reason == "vetoed" {
		return // never set up
	}
	b.stops.Add(1)
	go func() {
		defer b.stops.Done()
		if err := b.hooks.Detach(ctx, bridgeContainer(st.ID, 0, &st.Spec, "")); err != nil {
			fmt.Fprintf(os.Stderr, "mydocker: network bridge: container %s: %v\n", core.ShortID(st.ID), err)
		}
	}()
}

// prune removes the bridge network once no container uses it, after this
// process's own post-stops: one finishing later would make its state
// directory again.
func (b *bridgeNetwork) prune(out io.Writer) error {
	b.stops.Wait()
	return b.hooks.Prune(out)
}

// report is its line in the `plugins` table (plugins.Host.Report's columns).
func (b *bridgeNetwork) report(w io.Writer) {
	fmt.Fprintf(w, "%-16s %-10s %9s %10d %6s  %s\n", "bridge", "running", "-", b.starts.Load(), "-", "(built in)")
}
