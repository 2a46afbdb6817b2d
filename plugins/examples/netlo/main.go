// Command netlo is an example mydocker plugin that works inside the
// container's namespaces without running in the container: its post-mount
// hook enters the container's network namespace through /proc/<pid>/ns/net
// and brings the loopback interface up, so `ping 127.0.0.1` works there.
// (mydocker now brings lo up itself in a container's own network namespace;
// this stays the smallest example of a plugin acting in a container's
// namespace from the host side, which is what a network plugin does.)
// Build: go build -o netlo ./plugins/examples/netlo
package main

import (
	"context"
	"fmt"
	"runtime"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/plugins/sdk"
)

type netlo struct{ sdk.NoopHooks }

func (netlo) PostMount(_ context.Context, st *sdk.State) error {
	errc := make(chan error, 1)
	// setns changes only the calling thread: do it on a thread of its own
	// that is never unlocked, so Go discards it afterwards instead of
	// reusing a thread that sits in the container's network namespace.
	go func() {
		runtime.LockOSThread()
		errc <- loopbackUp(fmt.Sprintf("/proc/%d/ns/net", st.Pid))
	}()
	if err := <-errc; err != nil {
		return err
	}
	sdk.Log.Debug("loopback up", "container", st.ID, "pid", st.Pid)
	return nil
}

func loopbackUp(nsPath string) error {
	ns, err := unix.Open(nsPath, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("open %s: %w", nsPath, err)
	}
	defer unix.Close(ns)
	if err := unix.Setns(ns, unix.CLONE_NEWNET); err != nil {
		return fmt.Errorf("enter network namespace: %w", err)
	}
	// A socket belongs to the namespace it is created in: after setns.
	sock, err := unix.Socket(unix.AF_INET, unix.SOCK_DGRAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fmt.Errorf("socket: %w", err)
	}
	defer unix.Close(sock)
	ifr, err := unix.NewIfreq("lo")
	if err != nil {
		return err
	}
	if err := unix.IoctlIfreq(sock, unix.SIOCGIFFLAGS, ifr); err != nil {
		return fmt.Errorf("read lo flags: %w", err)
	}
	ifr.SetUint16(ifr.Uint16() | unix.IFF_UP)
	if err := unix.IoctlIfreq(sock, unix.SIOCSIFFLAGS, ifr); err != nil {
		return fmt.Errorf("bring lo up: %w", err)
	}
	return nil
}

func main() { sdk.Serve(netlo{}) }
