// Package sdk is the contract between mydocker and its hook plugins: what a
// third party imports to write one. A plugin is a program whose main is
//
//	func main() { sdk.Serve(myHooks{}) }
//
// mydocker starts it once per mydocker process and calls its hooks over
// hashicorp/go-plugin's gRPC transport, so a plugin that crashes or hangs
// cannot take the runtime with it: the run it was serving fails, closed.
//
// This package is kept stable: fields and hook points are only added, and a
// plugin built against an older version keeps working (a hook it does not
// know is treated as a hook that does nothing).
package sdk

import (
	"context"
	"errors"
	"os"
	"runtime"

	"github.com/hashicorp/go-hclog"
	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"
)

// Spec is what a container will run. Pre-clone hooks see it and may change
// Args, Env, Hostname and Rootfs in place; mydocker validates the result
// like user input. The fields after Rootfs describe the container and are
// read-only: a change there is ignored.
type Spec struct {
	ID       string   // container id, unique per run, set by mydocker (read-only)
	Args     []string // command and arguments
	Env      []string // KEY=VALUE
	Hostname string
	// Rootfs is "" while the container shares the host's root. In
	// pre-clone it is the --rootfs directory (a plugin may set it); in
	// post-mount it is the container's mounted root as reachable from the
	// host, writable (what the plugin writes there the command sees: use
	// InRoot to write there safely).
	Rootfs string

	Volumes      []Volume          // -v
	Limits       Limits            // -m, --cpus, --pids-limit
	TTY          bool              // -t
	Interactive  bool              // -i
	User         string            // -u as given; "" is root
	Capabilities []string          // the CAP_* names the container gets
	Labels       map[string]string // --label KEY=VALUE
	ReadOnly     bool              // --read-only
	Privileged   bool              // --privileged
	// Image is the reference of the image the container runs (its
	// layers are its root; Rootfs is "" in pre-clone), "" without one;
	// ImageDigest its manifest digest.
	Image, ImageDigest string
	// Network is --network: "none" (its own namespace, only lo), "host",
	// "container:NAME", "ns:PATH", or the name of a network a plugin
	// provides (its own namespace, for the plugin to configure at
	// post-mount). DNS, ExtraHosts ("IP\tNAME" lines) and Ports (-p) are
	// what the user asked of it; mydocker writes /etc/resolv.conf and
	// /etc/hosts itself.
	Network    string
	DNS        []string
	ExtraHosts []string
	Ports      []Port
}

// Port is one -p: a port to publish on the host.
type Port struct {
	HostIP        string // "" for every address
	HostPort      uint16
	ContainerPort uint16
	Protocol      string // "tcp" or "udp"
}

// Volume is a host path bind-mounted into the container (-v).
type Volume struct {
	Host, Container string
	ReadOnly        bool
}

// Limits are a container's resource limits; 0 is none.
type Limits struct {
	MemoryBytes int64
	CPUs        float64
	Pids        int64
}

// State is what post-mount hooks see: the container's init has made its
// mounts and waits, its command not yet executed.
type State struct {
	ID   string
	Pid  int // the container init's pid in mydocker's pid namespace
	Spec Spec
	// Namespaces maps a namespace type ("net", "mnt", "pid", "uts",
	// "ipc", "cgroup"; "user" for an OCI container with its own) to its
	// path, /proc/<Pid>/ns/<type>, to setns into.
	Namespaces map[string]string
	Cgroups    []string // the container's cgroup directories
}

// StopState is what post-stop hooks see: a container that ended, or
// whose start failed after the pre-clone hooks ran.
type StopState struct {
	ID   string
	Spec Spec
	// Status is the exit status: the command's own, 128+N when it died of
	// signal N, 125 to 127 when mydocker could not run it.
	Status    int
	Signal    int  // the signal that killed it, or 0
	OOMKilled bool // it reached its memory limit
	// Reason is why it ended: "exited", "killed" (by a signal), "vetoed"
	// (a pre-clone hook, possibly of a later plugin), or "failed" (a start
	// step or a post-mount hook). Detail is the error for the last two.
	Reason, Detail string
}

// PostStopper is implemented by plugins that clean up after containers.
// PostStop is called once for every container whose pre-clone hooks ran,
// after it ended or failed, in reverse load order. Its error is reported
// and never changes the container's status. It is a separate interface so
// that plugins written before it existed still build.
type PostStopper interface {
	PostStop(ctx context.Context, state *StopState) error
}

// Hooks is what a plugin implements. Embed NoopHooks to implement only some.
type Hooks interface {
	// PreClone runs in mydocker's process order, before the container
	// exists. It may edit spec; an error vetoes the run.
	PreClone(ctx context.Context, spec *Spec) error
	// PostMount runs while the container's init waits after its mounts.
	// The plugin may enter the container's namespaces through
	// /proc/<Pid>/ns/*. An error aborts the run.
	PostMount(ctx context.Context, state *State) error
}

// NoopHooks implements every hook as not implemented, for embedding: a
// plugin that only cares about one hook embeds it and overrides that one.
type NoopHooks struct{}

// PreClone returns ErrNotImplemented.
func (NoopHooks) PreClone(context.Context, *Spec) error { return ErrNotImplemented }

// PostMount returns ErrNotImplemented.
func (NoopHooks) PostMount(context.Context, *State) error { return ErrNotImplemented }

// PostStop returns ErrNotImplemented.
func (NoopHooks) PostStop(context.Context, *StopState) error { return ErrNotImplemented }

// ErrNotImplemented, returned by a hook, tells mydocker that this plugin
// does not hook here. It is not a failure: mydocker stops calling that hook
// of this plugin process, which saves a round trip on every container start.
var ErrNotImplemented = errors.New("hook not implemented by this plugin")

// Log is the plugin's logger. Its lines reach mydocker's stderr prefixed
// with the plugin's name (debug lines only with `mydocker --debug`).
// Never write to stdout: before Serve it breaks the handshake.
var Log = hclog.New(&hclog.LoggerOptions{
	Level:      hclog.Trace, // mydocker filters by its own level
	Output:     os.Stderr,
	JSONFormat: true,
})

// serverOptions: calls on a standing worker, and a fixed flow-control
// window (see GRPCDialOptions).
var serverOptions = []grpc.ServerOption{
	grpc.NumStreamWorkers(1),
	grpc.InitialWindowSize(grpcWindow), grpc.InitialConnWindowSize(grpcWindow),
}

// GRPCDialOptions are mydocker's side of every plugin connection. A fixed
// flow-control window turns off gRPC's bandwidth estimation, which
// answers each call's first data frame with a PING and its ACK: two
// frames more each way, and a wake-up more of both processes, per hook
// call (counted with strace: 16 system calls a call in the plugin, 11
// without). Hook messages are a few kilobytes; the window is far larger.
var GRPCDialOptions = []grpc.DialOption{
	grpc.WithInitialWindowSize(grpcWindow), grpc.WithInitialConnWindowSize(grpcWindow),
}

// grpcWindow is the flow-control window of plugin connections.
const grpcWindow = 1 << 20

// Serve runs the plugin until mydocker ends it. Started by hand (not by
// mydocker) it prints that it is a plugin and exits 1.
//
// A hook's latency is on the path of every container start, and a plugin
// process sits idle between runs: waking one thread is cheaper than
// handing each request between several. So unless GOMAXPROCS is set in its
// environment, a plugin runs Go code on one thread (blocking calls still
// run beside it), and its gRPC server handles calls on a standing worker.
func Serve(h Hooks) {
	if os.Getenv("GOMAXPROCS") == "" {
		runtime.GOMAXPROCS(1)
	}
	plugin.Serve(&plugin.ServeConfig{
		HandshakeConfig: Handshake,
		Plugins:         PluginSet(h),
		GRPCServer: func(opts []grpc.ServerOption) *grpc.Server {
			return grpc.NewServer(append(opts, serverOptions...)...)
		},
		Logger: Log,
	})
}
