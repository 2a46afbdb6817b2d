package bridge

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/mydocker/mydocker/internal/inroot"
)

// Hooks is the bridge network's part in a container's life, whichever
// process runs it: mydocker itself (its own bridge network, through
// core's hooks: no process and no messages between them), or the plugin
// binary mydocker-net (loaded with --plugin, through the plugin SDK).
// Both adapt their hook calls to these three:
//
//	post-clone  Begin    the setup starts while the init mounts
//	post-mount  Attach   waits for it, adds the network's /etc/hosts lines
//	post-stop   Detach   waits for a setup begun, then tears it down
//
// It is safe for concurrent containers.
type Hooks struct {
	Config Config
	// Err is why the configuration (environment) is refused: every bridge
	// container gets it, at post-mount.
	Err error

	mu      sync.Mutex
	running map[string]chan setupResult // setups begun, by container id
}

// Container is what the hooks need of a container.
type Container struct {
	ID       string
	Pid      int // its init, in this process's pid namespace
	Hostname string
	Ports    []Port
	// Rootfs is its root as reachable from the host, writable
	// (/proc/PID/root once its init has pivoted); "" for a container on
	// the host's root, whose /etc/hosts is not written.
	Rootfs string
}

// NewHooks reads the bridge's configuration from the environment
// (ConfigFromEnv); a refused one is reported by each bridge container.
// fw makes its nftables changes.
func NewHooks(fw Firewall) *Hooks {
	cfg, err := ConfigFromEnv()
	cfg.Firewall = fw
	return &Hooks{Config: cfg, Err: err, running: map[string]chan setupResult{}}
}

// setupResult is a setup's outcome: the network's /etc/hosts lines.
type setupResult struct {
	hosts []string
	err   error
}

// Begin starts putting c on the bridge in the background, as soon as its
// network namespace exists: the setup needs nothing of its mounts.
func (h *Hooks) Begin(c Container) {
	if h.Err != nil {
		return
	}
	h.begin(c.ID, func() setupResult { return h.setup(c) })
}

// begin runs setup for container id in the background, for wait.
func (h *Hooks) begin(id string, setup func() setupResult) {
	done := make(chan setupResult, 1)
	h.mu.Lock()
	h.running[id] = done
	h.mu.Unlock()
	go func() { done <- setup() }()
}

// Attach finishes c's setup (waiting for the one Begin started, or running
// it now if none was) and appends the network's containers to its
// /etc/hosts: the command does not start before it returns.
func (h *Hooks) Attach(ctx context.Context, c Container) error {
	if h.Err != nil {
		return h.Err
	}
	r, ok := h.wait(ctx, c.ID)
	if !ok {
		r = h.setup(c)
	}
	if r.err != nil {
		return r.err
	}
	// A snapshot: containers that start later are not added. Only in a
	// root of its own: on the host's root, a container whose /etc/hosts
	// could not be bound would have the host's file written.
	if c.Rootfs == "" {
		return nil
	}
	root, err := inroot.Open(c.Rootfs)
	if err != nil {
		return err
	}
	old, err := root.ReadFile("/etc/hosts")
	if err != nil {
		return err
	}
	return root.WriteFile("/etc/hosts", []byte(string(old)+strings.Join(r.hosts, "\n")+"\n"), 0o644)
}

// Detach takes c off the network once the setup begun for it, if any, is
// done (also when Attach gave up waiting for it).
func (h *Hooks) Detach(ctx context.Context, c Container) error {
	if h.Err != nil {
		return nil // never set up
	}
	h.wait(context.WithoutCancel(ctx), c.ID)
	return h.Config.Teardown(c.ID, len(c.Ports) > 0)
}

// Prune removes the network once no container uses it (Config.Prune),
// and says on out what it removed.
func (h *Hooks) Prune(out io.Writer) error {
	if h.Err != nil {
		return h.Err
	}
	removed, err := h.Config.Prune()
	if removed {
		fmt.Fprintf(out, "Deleted network bridge (%s, its nftables tables and state)\n", h.Config.Bridge)
	}
	return err
}

func (h *Hooks) setup(c Container) setupResult {
	_, hosts, err := h.Config.Setup(c.ID, c.Pid, c.Hostname, c.Ports)
	return setupResult{hosts: hosts, err: err}
}

// wait takes the result of the setup begun for id; ok is false if none
// was. If ctx ends first (the hook's deadline, ^C), the setup is left to
// finish and its result to Detach, which waits for it.
func (h *Hooks) wait(ctx context.Context, id string) (r setupResult, ok bool) {
	h.mu.Lock()
	done, ok := h.running[id]
	h.mu.Unlock()
	if !ok {
		return r, false
	}
	select {
	case r = <-done:
	case <-ctx.Done():
		return setupResult{err: ctx.Err()}, true
	}
	h.mu.Lock()
	delete(h.running, id)
	h.mu.Unlock()
	return r, true
}
