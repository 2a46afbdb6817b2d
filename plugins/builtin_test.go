package plugins

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/mydocker/mydocker/core"
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
