// Package plugins runs mydocker's hook plugins: separate processes that
// speak go-plugin's gRPC protocol (package sdk is their side). A Host starts
// each plugin once per mydocker process, calls its hooks in load order with
// a deadline, restarts a plugin that crashed on the next run, and kills them
// all on Close; it implements core.Hooks, so core never imports this package.
//
// Failures are closed: a hook error, a crash or a hook past the deadline
// ends that run before the command starts, with one error naming the
// plugin and the hook. A policy plugin that crashed is never skipped.
package plugins

import (
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/plugins/proxy"
	"github.com/mydocker/mydocker/plugins/sdk"
)

// DefaultHookTimeout bounds each hook call unless Options says otherwise
// (defined in proxy, which mydocker's flags read without linking this
// package).
const DefaultHookTimeout = proxy.DefaultHookTimeout

// socketDirPrefix names a Host's private socket directory in the temporary
// directory, followed by the pid of the mydocker that made it.
const socketDirPrefix = "mydocker-plugins-"

// sweepSocketDirs removes the socket directories of mydocker processes
// that are gone: one killed (SIGKILL) could not remove its own. A reused
// pid only keeps a stale directory until that process is gone too.
func sweepSocketDirs() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), socketDirPrefix+"*-*"))
	for _, dir := range dirs {
		pidText, _, _ := strings.Cut(strings.TrimPrefix(filepath.Base(dir), socketDirPrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil || pid <= 0 || syscall.Kill(pid, 0) != syscall.ESRCH {
			continue
		}
		os.RemoveAll(dir)
	}
}

// DefaultStartTimeout bounds a plugin's start and handshake unless Options
// says otherwise (see proxy.DefaultStartTimeout).
const DefaultStartTimeout = proxy.DefaultStartTimeout

// Options configure a Host.
type Options struct {
	// Paths are the plugin executables, in load (and call) order; each may
	// end in @sha256:HEX to pin its content.
	Paths        []string
	HookTimeout  time.Duration // per hook call; default DefaultHookTimeout
	StartTimeout time.Duration // per start and handshake; default DefaultStartTimeout
	Stderr       io.Writer     // where plugins' logs go, prefixed with their names
	Debug        bool          // show plugins' debug logs and go-plugin's own
	// Builtin are plugins compiled into the program that hosts them, called
	// after Paths' in this order: mydocker's bundled network plugin serves
	// its own hooks this way (mydocker-net serve-hooks), without a process
	// and a gRPC round trip more for each hook. They get the same checks
	// and vetoes as the others, and the same deadline on their hooks' ctx,
	// which they must honour: they cannot be killed.
	Builtin []Builtin
}

// Builtin is a plugin compiled in: a name for errors and `plugins`, and
// its hooks (a sdk.PostStopper too, for post-stop). What it logs through
// sdk.Log goes to the host's log under its name (the first builtin's).
type Builtin struct {
	Name  string
	Hooks sdk.Hooks
}

// PostCloner is implemented by a builtin whose post-mount work may begin
// as soon as the container's init exists, before its mounts (see
// core.PostCloner): the bundled network's setup overlaps the init's boot.
// PostClone must return at once; the builtin's PostMount waits for what it
// began and reports its errors, and its PostStop too before cleaning up.
// Only builtins get it: for a plugin process it would be a call more.
type PostCloner interface {
	PostClone(state *sdk.State)
}

// Host runs a set of plugins. It is safe for one run at a time, which is
// how mydocker uses it.
type Host struct {
	plugins   []*managed
	timeout   time.Duration
	logs      *logs
	socketDir string // private (0700): the plugins' sockets, removed on Close
	// preCloned are the plugins whose pre-clone ran for the current run:
	// those owe it a post-stop.
	preCloned []*managed
	// postStops are post-stop calls still running: they go on after Run
	// returned (the next prompt shows at once) and end before the next
	// pre-clone, or Close.
	postStops sync.WaitGroup
}

var (
	_ core.Hooks      = (*Host)(nil)
	_ core.PostCloner = (*Host)(nil)
)

// Load starts every plugin and checks its handshake. If any fails, the
// ones already started are killed and the error names the failing one.
func Load(o Options) (_ *Host, retErr error) {
	if o.HookTimeout <= 0 {
		o.HookTimeout = DefaultHookTimeout
	}
	if o.StartTimeout <= 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.Stderr == nil {
		o.Stderr = os.Stderr
	}
	h := &Host{timeout: o.HookTimeout, logs: newLogs(o.Stderr, o.Debug)}
	defer func() {
		if retErr != nil {
			h.Close()
		}
	}()
	if len(o.Paths) > 0 {
		sweepSocketDirs()
		dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", socketDirPrefix, os.Getpid()))
		if err != nil {
			return nil, fmt.Errorf("plugin socket directory: %w", err)
		}
		h.socketDir = dir
	}
	for _, p := range o.Paths {
		ref, err := parseRef(p)
		if err != nil {
			return nil, err
		}
		m := &managed{name: filepath.Base(ref.path), path: ref.path, sha256: ref.sha256, logs: h.logs, socketDir: h.socketDir, startTimeout: o.StartTimeout}
		if err := m.start(); err != nil {
			return nil, err
		}
		h.plugins = append(h.plugins, m)
	}
	for i, b := range o.Builtin {
		if i == 0 {
			sdk.Log = h.logs.base.Named(b.Name) // a builtin's sdk.Log lines, as a plugin's
		}
		h.plugins = append(h.plugins, &managed{name: b.Name, path: "(built in)", builtin: true, hooks: b.Hooks, logs: h.logs,
			starts: 1, calls: map[string]int{}, skip: map[string]bool{}})
	}
	return h, nil
}

// Close ends every plugin process. The Host is not usable afterwards.
//
// Plugins are shut down gracefully, all at once: each is asked to stop (so
// code after its Serve and its deferred functions run), and killed with its
// process group after shutdownGrace. Their socket directory goes last.
func (h *Host) Close() {
	h.postStops.Wait()
	var wg sync.WaitGroup
	for _, m := range h.plugins {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m.shutdown()
		}()
	}
	wg.Wait()
	if h.socketDir != "" {
		os.RemoveAll(h.socketDir)
	}
}

// Len is the number of plugins loaded.
func (h *Host) Len() int { return len(h.plugins) }

// PreClone passes the spec through every plugin's pre-clone hook in load
// order, each seeing what the previous left. The id cannot be changed.
//
// Each plugin's edit is validated as user input before the next plugin
// sees it, so an invalid edit is refused naming the plugin that made it.
// A field a plugin leaves empty is unchanged (a plugin in another language
// that answers only env keeps the rest), and a plugin cannot take away a
// container's own root: an edit may set Rootfs, not clear it.
func (h *Host) PreClone(ctx context.Context, spec *core.Spec) error {
	h.postStops.Wait() // the last run's clean-up is done before this run
	h.preCloned = nil
	s := toSDK(spec, spec.Rootfs)
	for _, m := range h.plugins {
		h.preCloned = append(h.preCloned, m)
		before := s
		err := m.call(ctx, h.timeout, hookPreClone, func(ctx context.Context, hooks sdk.Hooks) error {
			return hooks.PreClone(ctx, &s)
		})
		if err != nil {
			return err
		}
		s = keepUnset(s, before)
		s.ID = spec.ID
		if !edited(before, s) {
			continue
		}
		h.logs.debugEdit(m.name, before, s)
		trial := *spec
		trial.Args, trial.Env, trial.Hostname, trial.Rootfs = s.Args, s.Env, s.Hostname, s.Rootfs
		if err := trial.Validate(); err != nil {
			return &HookError{Plugin: m.name, Hook: hookPreClone, Err: fmt.Errorf("its edit is refused: %w", err)}
		}
	}
	spec.Args, spec.Env, spec.Hostname, spec.Rootfs = s.Args, s.Env, s.Hostname, s.Rootfs
	return nil
}

// PostStop calls, in reverse load order, the post-stop hooks of the
// plugins whose pre-clone ran for this run (all of them if st.AllOwed). It
// returns at once: the calls
// run in the background, off the path to the next prompt, and the next
// PreClone (or Close) waits for them. Their errors go to the plugin log
// (stderr), one line each; they never change the run's status.
func (h *Host) PostStop(ctx context.Context, st core.StopState) {
	plugins := h.preCloned
	h.preCloned = nil
	if st.AllOwed { // pre-clone ran elsewhere, or was not needed
		plugins = h.plugins
	}
	if len(plugins) == 0 {
		return
	}
	state := sdk.StopState{ID: st.ID, Spec: toSDK(&st.Spec, st.Spec.Rootfs), Status: st.Status, Signal: st.Signal,
		OOMKilled: st.OOM, Reason: st.Reason, Detail: st.Detail}
	h.postStops.Add(1)
	go func() {
		defer h.postStops.Done()
		for i := len(plugins) - 1; i >= 0; i-- {
			m := plugins[i]
			err := m.call(ctx, h.timeout, hookPostStop, func(ctx context.Context, hooks sdk.Hooks) error {
				ps, ok := hooks.(sdk.PostStopper)
				if !ok {
					return sdk.ErrNotImplemented
				}
				s := state
				return ps.PostStop(ctx, &s)
			})
			if err != nil {
				fmt.Fprintf(h.logs.writer(m.name), "%v\n", err)
			}
		}
	}()
}

// toSDK is a spec as plugins see it; rootfs is the root they can reach.
func toSDK(spec *core.Spec, rootfs string) sdk.Spec {
	s := sdk.Spec{ID: spec.ID, Args: slices.Clone(spec.Args), Env: slices.Clone(spec.Env), Hostname: spec.Hostname, Rootfs: rootfs,
		Limits: sdk.Limits{MemoryBytes: spec.Limits.Memory, CPUs: spec.Limits.CPUs, Pids: spec.Limits.Pids},
		TTY:    spec.TTY, Interactive: spec.Interactive, User: spec.User, Labels: maps.Clone(spec.Labels),
		ReadOnly: spec.ReadOnly, Privileged: spec.Security.Privileged, Image: spec.Image, ImageDigest: spec.ImageDigest}
	s.Capabilities, _ = spec.Security.Capabilities()
	for _, v := range spec.Volumes {
		s.Volumes = append(s.Volumes, sdk.Volume{Host: v.Host, Container: v.Container, ReadOnly: v.ReadOnly})
	}
	s.Network, s.DNS, s.ExtraHosts = spec.Network.Name, slices.Clone(spec.DNS), slices.Clone(spec.ExtraHosts)
	if s.Network == "" {
		s.Network = core.NetworkNone
	}
	for _, p := range spec.Ports {
		s.Ports = append(s.Ports, sdk.Port{HostIP: p.HostIP, HostPort: p.HostPort, ContainerPort: p.ContainerPort, Protocol: p.Protocol})
	}
	return s
}

// edited reports whether a pre-clone changed a field plugins may change.
func edited(before, after sdk.Spec) bool {
	return !slices.Equal(before.Args, after.Args) || !slices.Equal(before.Env, after.Env) ||
		before.Hostname != after.Hostname || before.Rootfs != after.Rootfs
}

// keepUnset takes back, from before, what an answer left empty.
func keepUnset(s, before sdk.Spec) sdk.Spec {
	if len(s.Args) == 0 {
		s.Args = before.Args
	}
	if s.Env == nil {
		s.Env = before.Env
	}
	if s.Hostname == "" {
		s.Hostname = before.Hostname
	}
	if s.Rootfs == "" {
		s.Rootfs = before.Rootfs
	}
	return s
}

// sdkState is st as plugins see it. Spec.Rootfs is the container's root
// as the plugin can reach it from the host, writable: the overlay, through
// /proc/<pid>/root.
func sdkState(st core.State) sdk.State {
	return sdk.State{ID: st.ID, Pid: st.Pid, Spec: toSDK(&st.Spec, st.Rootfs), Namespaces: st.Namespaces, Cgroups: st.Cgroups}
}

// postCloners are the plugins that take PostClone: builtins that
// implement PostCloner.
func (h *Host) postCloners() []PostCloner {
	var out []PostCloner
	for _, m := range h.plugins {
		if pc, ok := m.hooks.(PostCloner); ok && m.builtin {
			out = append(out, pc)
		}
	}
	return out
}

// TakesPostClone reports whether a plugin takes PostClone.
func (h *Host) TakesPostClone() bool { return len(h.postCloners()) > 0 }

// PostClone tells the builtins that take it (PostCloner) of the init
// before its mounts.
func (h *Host) PostClone(_ context.Context, st core.State) {
	state := sdkState(st)
	for _, pc := range h.postCloners() {
		s := state // each its own copy
		pc.PostClone(&s)
	}
}

// PostMount calls every plugin's post-mount hook in load order.
func (h *Host) PostMount(ctx context.Context, st core.State) error {
	state := sdkState(st)
	for _, m := range h.plugins {
		err := m.call(ctx, h.timeout, hookPostMount, func(ctx context.Context, hooks sdk.Hooks) error {
			s := state // each plugin gets its own copy
			return hooks.PostMount(ctx, &s)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// Report writes a table of the plugins: state and hook counts.
func (h *Host) Report(w io.Writer) {
	if len(h.plugins) == 0 {
		fmt.Fprintln(w, proxy.NoPlugins)
		return
	}
	fmt.Fprintf(w, "%-16s %-10s %9s %10s %6s  %s\n", "NAME", "STATE", "PRE-CLONE", "POST-MOUNT", "STARTS", "PATH")
	for _, m := range h.plugins {
		r := m.report()
		count := func(hook string) string {
			if r.skip[hook] {
				return "-" // not implemented by the plugin
			}
			return fmt.Sprint(r.calls[hook])
		}
		fmt.Fprintf(w, "%-16s %-10s %9s %10s %6d  %s\n", m.name, r.state, count(hookPreClone), count(hookPostMount), r.starts, m.path)
		if r.failed != "" {
			fmt.Fprintf(w, "%-16s last failure: %s\n", "", r.failed)
		}
	}
}
