package plugins

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"maps"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	"github.com/mydocker/mydocker/internal/termsafe"
	"github.com/mydocker/mydocker/plugins/sdk"
)

// Hook names, as users read them in errors and in `plugins`.
const (
	hookPreClone  = "pre-clone"
	hookPostMount = "post-mount"
	hookPostStop  = "post-stop"
)

// HookError is a run ended by a plugin: its veto, its crash, its silence.
type HookError struct {
	Plugin, Hook string
	Err          error
}

// Error reads "plugin NAME: HOOK: why", one line.
func (e *HookError) Error() string {
	return fmt.Sprintf("plugin %s: %s: %v", e.Plugin, e.Hook, e.Err)
}

// Unwrap exposes the cause (a *sdk.HookError for a veto).
func (e *HookError) Unwrap() error { return e.Err }

// managed is one plugin process and what is known about it.
type managed struct {
	name, path string
	logs       *logs
	socketDir  string // where go-plugin makes this plugin's socket directory
	sha256     []byte // the content pinned with @sha256:, or nil
	// startTimeout bounds the start and handshake.
	startTimeout time.Duration

	// builtin is a plugin compiled into this process (Options.Builtin):
	// its hooks are called directly, and it never exits or restarts.
	builtin bool

	mu     sync.Mutex
	client *plugin.Client
	cmd    *exec.Cmd
	hooks  sdk.Hooks
	starts int
	calls  map[string]int
	skip   map[string]bool // hooks this process said it does not implement
	failed string          // why the last call failed, for `plugins`
}

// start launches the plugin and checks its handshake.
func (m *managed) start() error {
	l := m.logs
	if err := checkPluginFile(m.path); err != nil {
		return fmt.Errorf("plugin %s: %w", m.path, err)
	}
	cmd := exec.Command(m.path)
	// The plugin's socket goes in a directory of the Host's (0700),
	// removed with it, never loose in /tmp. (go-plugin passes its own
	// UnixSocketConfig only to custom runners.)
	cmd.Env = []string{plugin.EnvUnixSocketDir + "=" + m.socketDir}
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Pdeathsig: syscall.SIGKILL, // dies with mydocker, even on SIGKILL
		Setpgid:   true,            // never gets the terminal's ^C or ^Z
	}
	client := plugin.NewClient(&plugin.ClientConfig{
		HandshakeConfig:  sdk.Handshake,
		VersionedPlugins: sdk.VersionedPluginSet(),
		Cmd:              cmd,
		AllowedProtocols: []plugin.Protocol{plugin.ProtocolGRPC},
		StartTimeout:     m.startTimeout,
		SecureConfig:     m.secureConfig(),
		Logger:           l.forGoPlugin(),
		SyncStdout:       l.writer(m.name),
		SyncStderr:       l.writer(m.name),
		GRPCDialOptions:  sdk.GRPCDialOptions,
	})
	hooks, err := dispense(client)
	if err != nil {
		killClient(client, cmd)
		if errors.Is(err, plugin.ErrChecksumsDoNotMatch) {
			return fmt.Errorf("plugin %s: refused: its sha256 is not the one pinned with @sha256:", m.path)
		}
		return fmt.Errorf("plugin %s: not a mydocker plugin: %s", m.path, handshakeFailure(err, m.startTimeout))
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.client, m.cmd, m.hooks = client, cmd, hooks
	m.skip = map[string]bool{} // a new process may be a new version
	m.starts++
	if m.calls == nil {
		m.calls = map[string]int{}
	}
	return nil
}

func dispense(client *plugin.Client) (sdk.Hooks, error) {
	rpc, err := client.Client()
	if err != nil {
		return nil, err
	}
	raw, err := rpc.Dispense(sdk.PluginName)
	if err != nil {
		return nil, err
	}
	hooks, ok := raw.(sdk.Hooks)
	if !ok {
		return nil, errors.New("dispensed an unexpected type")
	}
	return hooks, nil
}

// secureConfig makes go-plugin check the pinned sha256 before it runs the
// file.
func (m *managed) secureConfig() *plugin.SecureConfig {
	if m.sha256 == nil {
		return nil
	}
	return &plugin.SecureConfig{Checksum: m.sha256, Hash: sha256.New()}
}

// call runs one hook with a deadline, restarting the plugin first if it
// exited since the last run. Any failure other than the plugin's own
// answer leaves the plugin in doubt, so it is killed and restarted next run.
func (m *managed) call(ctx context.Context, timeout time.Duration, hook string, fn func(context.Context, sdk.Hooks) error) error {
	if m.exited() {
		if err := m.start(); err != nil {
			return &HookError{Plugin: m.name, Hook: hook, Err: fmt.Errorf("restart: %w", err)}
		}
	}
	if m.skips(hook) {
		return nil
	}
	// The plugin's hook sees the deadline at timeout (the SDK takes the
	// grace off its context); mydocker waits hookGrace longer before it
	// calls the plugin hung and kills it.
	ctx, cancel := context.WithTimeout(ctx, timeout+hookGrace)
	defer cancel()
	deadline, _ := ctx.Deadline()
	ctx = metadata.AppendToOutgoingContext(ctx, sdk.GraceHeader, hookGrace.String())
	m.count(hook, 1)
	err := fn(ctx, m.hooks)
	var veto *sdk.HookError
	switch {
	case errors.Is(err, sdk.ErrNotImplemented):
		m.count(hook, -1)
		m.setSkip(hook)
		return nil
	case err == nil:
		return nil
	case errors.As(err, &veto):
		err = &sdk.HookError{Message: oneLine(veto.Message)}
	case m.builtin && ctx.Err() == context.Canceled:
		err = errors.New("cancelled") // ^C, as for a process (below)
	case m.builtin:
		// Its answer, as the SDK would have sent it over gRPC: a veto.
		// (Compiled in, it cannot be killed: its hooks must honour ctx.)
		err = &sdk.HookError{Message: oneLine(err.Error())}
	case ctx.Err() == context.Canceled:
		// ^C: the call was cancelled (its context reaches the plugin). The
		// plugin is in doubt only if it stops answering: a crash check
		// on the next run restarts it then.
		err = errors.New("cancelled")
	case status.Code(err) == codes.DeadlineExceeded && ctx.Err() == nil && time.Until(deadline) > hookGrace/2:
		// The hook gave up at its deadline, well within the grace: it
		// honours its context, so the plugin keeps running.
		err = fmt.Errorf("no answer within %v (--hook-timeout); the hook gave up", timeout)
	case ctx.Err() == context.DeadlineExceeded || status.Code(err) == codes.DeadlineExceeded:
		// Past the grace. (The plugin's side may see the call's deadline
		// and end the stream a moment before ours fires.)
		m.stop()
		err = fmt.Errorf("no answer within %v (--hook-timeout); plugin killed, it restarts on the next run", timeout)
	case m.waitExited(100 * time.Millisecond):
		err = errors.New("the plugin exited during the hook; it restarts on the next run")
	default:
		m.stop()
		err = fmt.Errorf("%s; plugin killed, it restarts on the next run", firstLine(err.Error()))
	}
	m.setFailed(err)
	return &HookError{Plugin: m.name, Hook: hook, Err: err}
}

func (m *managed) skips(hook string) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.skip[hook]
}

func (m *managed) setSkip(hook string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.skip[hook] = true
}

func (m *managed) count(hook string, n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.calls[hook] += n
}

func (m *managed) setFailed(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed = err.Error()
}

func (m *managed) exited() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return !m.builtin && (m.client == nil || m.client.Exited())
}

// waitExited reports whether the plugin process is gone, giving go-plugin
// a moment to notice a crash that broke the call.
func (m *managed) waitExited(d time.Duration) bool {
	for deadline := time.Now().Add(d); ; time.Sleep(5 * time.Millisecond) {
		if m.exited() {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
	}
}

// hookGrace is how long after a hook's deadline mydocker waits for it to
// return (having honoured its context) before it kills the plugin.
const hookGrace = 500 * time.Millisecond

// shutdownGrace is how long a plugin has to end by itself at shutdown.
const shutdownGrace = 2 * time.Second

// shutdown ends the plugin gracefully: go-plugin asks it to stop, so its
// Serve returns and what follows runs; after shutdownGrace it is killed.
// Its process group (children it started) is killed at the end in any case.
func (m *managed) shutdown() {
	m.mu.Lock()
	c, cmd := m.client, m.cmd
	m.client, m.cmd = nil, nil
	m.mu.Unlock()
	if c == nil {
		return
	}
	done := make(chan struct{})
	go func() {
		c.Kill()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(shutdownGrace):
	}
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	<-done
}

// stop kills the plugin process, if it runs.
func (m *managed) stop() {
	m.mu.Lock()
	c, cmd := m.client, m.cmd
	m.client, m.cmd = nil, nil
	m.mu.Unlock()
	if c != nil {
		killClient(c, cmd)
	}
}

// killClient kills the plugin's whole process group first: go-plugin's Kill
// waits for the plugin's output to close, which a child of the plugin
// holding it open (a shell script's sleep) would delay indefinitely.
func killClient(c *plugin.Client, cmd *exec.Cmd) {
	if cmd.Process != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	}
	c.Kill()
}

type pluginReport struct {
	state  string
	starts int
	calls  map[string]int
	skip   map[string]bool
	failed string
}

func (m *managed) report() pluginReport {
	m.mu.Lock()
	defer m.mu.Unlock()
	state := "running"
	if !m.builtin && (m.client == nil || m.client.Exited()) {
		state = "exited"
	}
	return pluginReport{state: state, starts: m.starts, calls: maps.Clone(m.calls), skip: maps.Clone(m.skip), failed: m.failed}
}

// maxMessage bounds a plugin's message as the user reads it.
const maxMessage = 512

// oneLine makes a plugin's message safe for a terminal: control characters
// escaped (a newline as \n, an escape sequence as \x1b[...), at most
// maxMessage bytes.
func oneLine(msg string) string {
	var b strings.Builder
	for _, r := range msg {
		piece := string(r)
		if termsafe.Unsafe(r) {
			q := strconv.QuoteRune(r)
			piece = q[1 : len(q)-1]
		}
		if b.Len()+len(piece) > maxMessage-len("...") {
			b.WriteString("...")
			break
		}
		b.WriteString(piece)
	}
	return b.String()
}

func firstLine(s string) string {
	line, _, _ := strings.Cut(s, "\n")
	return strings.TrimSpace(line)
}

// handshakeFailure says in one line why a program failed as a plugin.
func handshakeFailure(err error, startTimeout time.Duration) string {
	msg := err.Error()
	if rest, ok := strings.CutPrefix(msg, "Unrecognized remote plugin message:"); ok {
		if printed := firstLine(rest); printed != "" {
			return fmt.Sprintf("it printed %q instead of the plugin handshake", printed)
		}
		return "it exited without the plugin handshake"
	}
	if strings.Contains(msg, "timeout while waiting for plugin to start") {
		return fmt.Sprintf("no plugin handshake within %v", startTimeout)
	}
	return firstLine(msg)
}
