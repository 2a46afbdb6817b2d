package plugins

import (
	"context"
	"errors"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
	"github.com/mydocker/mydocker/plugins/sdk"
)

// builtinHooks is a plugin compiled into the test: it records its calls
// and answers as told.
type builtinHooks struct {
	mu        sync.Mutex
	calls     []string
	preClone  func(*sdk.Spec) error
	postMount error
}

func (b *builtinHooks) record(hook string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.calls = append(b.calls, hook)
}

func (b *builtinHooks) PreClone(_ context.Context, s *sdk.Spec) error {
	b.record("pre-clone")
	if b.preClone == nil {
		return sdk.ErrNotImplemented
	}
	return b.preClone(s)
}

func (b *builtinHooks) PostMount(context.Context, *sdk.State) error {
	b.record("post-mount")
	return b.postMount
}

func (b *builtinHooks) PostStop(_ context.Context, st *sdk.StopState) error {
	b.record("post-stop " + st.Reason)
	return nil
}

// A builtin plugin goes through the host's rules as a process does: edits
// validated, any error a one-line veto naming it, a hook it does not
// implement skipped from then on, post-stop after the run.
func TestBuiltinPlugin(t *testing.T) {
	for _, tc := range []struct {
		name      string
		preClone  func(*sdk.Spec) error
		postMount error
		wantErr   string // "" for none
		wantEnv   string // an env entry the run must have
	}{
		{name: "edit", preClone: func(s *sdk.Spec) error { s.Env = append(s.Env, "FROM=builtin"); return nil }, wantEnv: "FROM=builtin"},
		{name: "veto", preClone: func(*sdk.Spec) error { return errors.New("no\nway \x1b[31m") },
			wantErr: `plugin net: pre-clone: no\nway \x1b[31m`},
		{name: "invalid edit", preClone: func(s *sdk.Spec) error { s.Hostname = "-bad-"; return nil },
			wantErr: "plugin net: pre-clone: its edit is refused"},
		{name: "post-mount error", postMount: errors.New("no bridge"), wantErr: "plugin net: post-mount: no bridge"},
		{name: "pre-clone not implemented"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hooks := &builtinHooks{preClone: tc.preClone, postMount: tc.postMount}
			h, err := Load(Options{Builtin: []Builtin{{Name: "net", Hooks: hooks}}, Stderr: &syncBuffer{}})
			if err != nil {
				t.Fatal(err)
			}
			spec := &core.Spec{ID: strings.Repeat("a", 64), Args: []string{"/bin/true"}, Hostname: "box"}
			for range 2 { // the second run shows what the first learnt
				err = h.PreClone(context.Background(), spec)
				if err == nil {
					err = h.PostMount(context.Background(), core.State{ID: spec.ID, Spec: *spec})
				}
				h.PostStop(context.Background(), core.StopState{ID: spec.ID, Spec: *spec, Reason: "exited"})
			}
			h.Close()
			switch {
			case tc.wantErr == "" && err != nil:
				t.Fatalf("run: %v", err)
			case tc.wantErr != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.wantErr)):
				t.Fatalf("run: %v, want an error starting %q", err, tc.wantErr)
			case tc.wantEnv != "" && !strings.Contains(strings.Join(spec.Env, " "), tc.wantEnv):
				t.Fatalf("env %q, want %s", spec.Env, tc.wantEnv)
			}
			calls := strings.Join(hooks.calls, ", ")
			if n := strings.Count(calls, "post-stop"); n != 2 {
				t.Errorf("calls %s: want a post-stop for each run", calls)
			}
			if tc.preClone == nil && strings.Count(calls, "pre-clone") != 1 {
				t.Errorf("calls %s: an unimplemented pre-clone is called once", calls)
			}
		})
	}
}

// earlyHooks is a builtin that takes post-clone (PostCloner): it records
// what the init was at that moment.
type earlyHooks struct {
	builtinHooks
	clonedPid  int
	clonedNet  string // the init's network namespace then
	mountedPid int
}

func (e *earlyHooks) PostClone(st *sdk.State) {
	e.record("post-clone")
	e.clonedPid = st.Pid
	e.clonedNet, _ = os.Readlink(st.Namespaces["net"])
}

func (e *earlyHooks) PostMount(ctx context.Context, st *sdk.State) error {
	e.mountedPid = st.Pid
	return e.builtinHooks.PostMount(ctx, st)
}

// A builtin that implements PostCloner is told of the init as soon as it
// is cloned, in its own namespaces, before its post-mount hook; a plugin
// process is never (it would cost a call); a run with no clone gets none.
func TestBuiltinPostClone(t *testing.T) {
	requireRoot(t)
	early, plain := &earlyHooks{}, &builtinHooks{}
	h, err := Load(Options{Builtin: []Builtin{{Name: "early", Hooks: early}, {Name: "plain", Hooks: plain}}, Stderr: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	if r := runIn(t, h, "--rootfs", testrootfs.Busybox(t), "true"); r.status != 0 || r.err != nil {
		t.Fatalf("run: %d %v %s", r.status, r.err, r.stderr)
	}
	ours, _ := os.Readlink("/proc/self/ns/net")
	h.postStops.Wait()
	if got := strings.Join(early.calls, ", "); got != "pre-clone, post-clone, post-mount, post-stop exited" {
		t.Errorf("calls %s: want post-clone between pre-clone and post-mount", got)
	}
	if early.clonedPid == 0 || early.clonedPid != early.mountedPid {
		t.Errorf("post-clone saw pid %d, post-mount %d", early.clonedPid, early.mountedPid)
	}
	if early.clonedNet == "" || early.clonedNet == ours {
		t.Errorf("post-clone saw network namespace %q (ours %s): want the container's own", early.clonedNet, ours)
	}
	if strings.Contains(strings.Join(plain.calls, ", "), "post-clone") {
		t.Errorf("plain builtin got post-clone: %s", plain.calls)
	}
	h.PostStop(context.Background(), core.StopState{Reason: "vetoed"}) // nothing cloned: nothing more
	if n := strings.Count(strings.Join(early.calls, ", "), "post-clone"); n != 1 {
		t.Errorf("calls %s: want one post-clone", early.calls)
	}
}
