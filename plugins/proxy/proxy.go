// Package proxy is how a mydocker that does not link go-plugin, gRPC and
// protobuf (their package initialisation alone took half of every one-shot
// mydocker's start, about 10 ms of 22 here) reaches hook plugins served by
// a helper process: mydocker-plugins serve-plugins for an OCI container's
// plugins, and mydocker-net serve-hooks, the bundled network plugin with
// its hooks built in. (The prompt, scripts and one-shot commands given
// --plugin run in mydocker-plugins itself, which hosts the plugins in its
// own process: see mydocker's pluginhost.go.) This package implements
// core.Hooks by passing each call to the helper, one JSON line each way
// over a socketpair (the helper's fd 3):
//
//	mydocker (Client)                        helper (plugins.Serve)
//	-----------------                        ----------------------
//	starts it with the plugin flags     -->
//	                                    <--  {"op":"loading"} at once
//	                                         loads the plugins
//	                                    <--  {"ok":true,"count":N,"early":B} or {"error":...}
//	{"id":1,"op":"preclone","spec":{}}  -->  Host.PreClone
//	{"id":1,"op":"cancel"}              -->  (on ^C: cancels the call's context)
//	                                    <--  {"id":1,"spec":{...}} or {"id":1,"error":...,"invalid":true}
//	{"op":"postclone","state":{}}       -->  Host.PostClone (no answer; sent only if early)
//	{"id":2,"op":"postmount",...}       -->  Host.PostMount
//	                                    <--  {"id":2} or {"id":2,"error":...}
//	{"op":"poststop",...}               -->  Host.PostStop (answered at once)
//	EOF (Close, or mydocker died)       -->  Host.Close, exit
//
// The helper dies with mydocker (parent-death signal, and EOF on its
// socket), and runs in a process group of its own so the terminal's ^C
// reaches only the container.
package proxy

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/sibling"
)

// DefaultHookTimeout bounds each hook call unless --hook-timeout says
// otherwise.
const DefaultHookTimeout = 10 * time.Second

// DefaultStartTimeout bounds a plugin's start and handshake unless
// --plugin-start-timeout says otherwise: something that is not a plugin
// fails within it instead of hanging.
const DefaultStartTimeout = 3 * time.Second

// HelperEnv names the helper binary; else it is mydocker-plugins next to
// this executable, or on PATH.
const HelperEnv = "MYDOCKER_PLUGIN_HOST"

// NoPlugins is what `plugins` says when none are loaded.
const NoPlugins = "no plugins loaded (mydocker --plugin PATH or --plugin-dir DIR)"

// HelperName is the helper binary's name.
const HelperName = "mydocker-plugins"

// ServeArg is the helper's first argument when Start starts it: serve the
// plugins on fd 3 (without it, mydocker-plugins is mydocker itself, with
// the plugins in its own process).
const ServeArg = "serve-plugins"

// Message is one line of the protocol, either way.
type Message struct {
	ID      int             `json:"id,omitempty"`
	Op      string          `json:"op,omitempty"` // preclone, postclone, postmount, poststop, report, cancel
	Spec    *core.Spec      `json:"spec,omitempty"`
	State   *core.State     `json:"state,omitempty"`
	Stop    *core.StopState `json:"stop,omitempty"`
	OK      bool            `json:"ok,omitempty"`
	Count   int             `json:"count,omitempty"`
	Early   bool            `json:"early,omitempty"` // hello: some plugin takes postclone
	Error   string          `json:"error,omitempty"`
	Invalid bool            `json:"invalid,omitempty"` // the error is bad input (a refused edit)
	Text    string          `json:"text,omitempty"`    // report
}

// Client is the running helper.
type Client struct {
	cmd   *exec.Cmd
	conn  *os.File
	in    *bufio.Reader
	mu    sync.Mutex // one call at a time, as mydocker makes them
	next  int
	count int
	early bool // a plugin takes postclone: without one, it is not sent
}

var (
	_ core.Hooks      = (*Client)(nil)
	_ core.PostCloner = (*Client)(nil)
)

// HelperPath finds the helper.
func HelperPath() (string, error) {
	p, err := sibling.Find(HelperName, HelperEnv)
	if err != nil {
		return "", fmt.Errorf("plugins need %s next to mydocker or on PATH (build.sh builds it)", HelperName)
	}
	return p, nil
}

// Loading is the helper's first line, written as it starts: it speaks this
// protocol (a program that does not, a mismatched build, is caught within
// Start's answerWithin instead of hanging mydocker).
const Loading = "loading"

// Start runs the helper with args (mydocker's plugin flags) and returns
// once it has loaded the plugins; a plugin that fails to load fails it.
// The helper must say it is loading within answerWithin.
func Start(args []string, answerWithin time.Duration) (*Client, error) {
	path, err := HelperPath()
	if err != nil {
		return nil, err
	}
	return StartPath(path, append([]string{ServeArg}, args...), answerWithin)
}

// StartPath is Start with another helper: a program that speaks this
// protocol on fd 3 with args (mydocker-net, whose hooks are built in).
func StartPath(path string, args []string, answerWithin time.Duration) (*Client, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_STREAM|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, fmt.Errorf("start the plugin host: %w", err)
	}
	ours, theirs := os.NewFile(uintptr(fds[0]), "plugins"), os.NewFile(uintptr(fds[1]), "plugins-child")
	cmd := exec.Command(path, args...)
	cmd.ExtraFiles = []*os.File{theirs}
	cmd.Stderr = os.Stderr // the plugins' logs, prefixed with their names
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL, Setpgid: true}
	err = cmd.Start()
	theirs.Close() // the helper's now: its exit is our EOF
	if err != nil {
		ours.Close()
		return nil, fmt.Errorf("start the plugin host: %w", err)
	}
	c := &Client{cmd: cmd, conn: ours, in: bufio.NewReaderSize(ours, 64<<10)}
	// Blocking reads (a call's answer wakes this thread directly, not
	// through the poller): a silent helper is killed at the deadline,
	// which ends the read.
	var silent atomic.Bool
	deadline := time.AfterFunc(answerWithin, func() {
		silent.Store(true)
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
	})
	first, err := c.read()
	deadline.Stop()
	switch {
	case silent.Load():
		err = fmt.Errorf("%s: no answer within %v: not mydocker's plugin host (a binary of another build?)", path, answerWithin)
	case err == nil && first.Op != Loading:
		err = fmt.Errorf("%s: not mydocker's plugin host (a binary of another build?)", path)
	}
	var hello Message
	if err == nil {
		hello, err = c.read() // the plugins' own start timeouts bound this
	}
	if err == nil && hello.Error != "" {
		err = errors.New(hello.Error)
	}
	if err != nil {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) // it may not be one to end at EOF
		c.Close()
		return nil, err
	}
	c.count, c.early = hello.Count, hello.Early
	return c, nil
}

func (c *Client) write(m Message) error {
	b, err := json.Marshal(m)
	if err != nil {
		return err
	}
	_, err = c.conn.Write(append(b, '\n'))
	return err
}

func (c *Client) read() (Message, error) {
	line, err := c.in.ReadBytes('\n')
	if err != nil {
		return Message{}, fmt.Errorf("the plugin host exited: %w", err)
	}
	var m Message
	if err := json.Unmarshal(line, &m); err != nil {
		return Message{}, fmt.Errorf("plugin host: %w", err)
	}
	return m, nil
}

// call sends m and waits for its answer; if ctx ends first the helper is
// told to cancel it (the hook gets its grace), and the answer still read.
func (c *Client) call(ctx context.Context, m Message) (Message, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	m.ID = c.next
	if err := c.write(m); err != nil {
		return Message{}, fmt.Errorf("plugin host: %w", err)
	}
	done := make(chan struct{})
	defer close(done)
	go func() {
		select {
		case <-ctx.Done():
			_ = c.write(Message{ID: m.ID, Op: "cancel"})
		case <-done:
		}
	}()
	for {
		r, err := c.read()
		if err != nil || r.ID == m.ID {
			return r, err
		}
	}
}

// answer turns an answer's error into an error.
func answer(r Message, err error) error {
	switch {
	case err != nil:
		return err
	case r.Error != "" && r.Invalid:
		return core.Invalidf("%s", r.Error)
	case r.Error != "":
		return errors.New(r.Error)
	}
	return nil
}

// PreClone passes the spec to the plugins and takes their edits back.
func (c *Client) PreClone(ctx context.Context, spec *core.Spec) error {
	r, err := c.call(ctx, Message{Op: "preclone", Spec: spec})
	if err := answer(r, err); err != nil {
		return err
	}
	if r.Spec != nil {
		*spec = *r.Spec
	}
	return nil
}

// PostMount runs the post-mount hooks.
func (c *Client) PostMount(ctx context.Context, st core.State) error {
	return answer(c.call(ctx, Message{Op: "postmount", State: &st}))
}

// PostClone tells the helper of the init before its mounts, for the
// builtin hooks that begin their post-mount work there (plugins.PostCloner);
// no answer is awaited: PostMount's carries their errors. Unless the
// helper said it has such hooks, nothing is sent (a line more would wake
// the helper for nothing on every run).
func (c *Client) PostClone(ctx context.Context, st core.State) {
	if !c.early {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	_ = c.write(Message{ID: c.next, Op: "postclone", State: &st})
}

// PostStop hands the post-stop hooks to the helper, which runs them in the
// background (the next call, or Close, waits for them there): nothing is
// awaited here, so the next prompt comes at once. The helper's answer is
// read and dropped by the next call.
func (c *Client) PostStop(ctx context.Context, st core.StopState) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.next++
	_ = c.write(Message{ID: c.next, Op: "poststop", Stop: &st})
}

// Report writes the plugins' state, for the `plugins` command.
func (c *Client) Report(w io.Writer) {
	r, err := c.call(context.Background(), Message{Op: "report"})
	if err != nil {
		fmt.Fprintln(w, err)
		return
	}
	io.WriteString(w, r.Text)
}

// Len is how many plugins are loaded.
func (c *Client) Len() int {
	if c == nil {
		return 0
	}
	return c.count
}

// Close ends the helper: it closes the plugins (their post-stop calls
// first) when it reads EOF.
func (c *Client) Close() {
	if c == nil {
		return
	}
	c.conn.Close()
	_ = c.cmd.Wait()
}
