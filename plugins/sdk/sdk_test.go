package sdk

import (
	"context"
	"errors"
	"slices"
	"testing"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	hookspb "github.com/mydocker/mydocker/plugins/proto"
)

type recorder struct {
	post *State
}

func (r *recorder) PreClone(_ context.Context, s *Spec) error {
	if s.Args[0] == "veto" {
		return errors.New("not today")
	}
	s.Env = append(s.Env, "SEEN="+s.Hostname)
	s.Hostname = "edited"
	s.Args = append(s.Args, "extra arg")
	s.ID = "forged" // must not stick
	return nil
}

func (r *recorder) PostMount(_ context.Context, st *State) error {
	r.post = st
	return nil
}

// dispenseInProcess serves impl over an in-process gRPC connection, the
// same adapters as between real processes.
func dispenseInProcess(t *testing.T, impl Hooks) Hooks {
	client, _ := plugin.TestPluginGRPCConn(t, false, map[string]plugin.Plugin{PluginName: &GRPCPlugin{Impl: impl}})
	t.Cleanup(func() { client.Close() })
	raw, err := client.Dispense(PluginName)
	if err != nil {
		t.Fatal(err)
	}
	return raw.(Hooks)
}

func TestPreCloneRoundTrip(t *testing.T) {
	h := dispenseInProcess(t, &recorder{})
	spec := Spec{ID: "abc123", Args: []string{"sh", "-c", ""}, Env: []string{"A=1"}, Hostname: "h1"}
	if err := h.PreClone(context.Background(), &spec); err != nil {
		t.Fatal(err)
	}
	want := Spec{ID: "abc123", Args: []string{"sh", "-c", "", "extra arg"}, Env: []string{"A=1", "SEEN=h1"}, Hostname: "edited"}
	if spec.ID != want.ID || spec.Hostname != want.Hostname || !slices.Equal(spec.Args, want.Args) || !slices.Equal(spec.Env, want.Env) {
		t.Errorf("got %+v, want %+v", spec, want)
	}
}

func TestPreCloneVeto(t *testing.T) {
	h := dispenseInProcess(t, &recorder{})
	spec := Spec{ID: "x", Args: []string{"veto"}}
	err := h.PreClone(context.Background(), &spec)
	var he *HookError
	if !errors.As(err, &he) || he.Message != "not today" {
		t.Errorf("err %v (%T), want HookError \"not today\"", err, err)
	}
	if spec.Args[0] != "veto" || len(spec.Args) != 1 {
		t.Errorf("a vetoing hook changed the spec: %+v", spec)
	}
}

func TestPostMountState(t *testing.T) {
	r := &recorder{}
	h := dispenseInProcess(t, r)
	st := State{ID: "id1", Pid: 4242, Spec: Spec{ID: "id1", Args: []string{"true"}, Hostname: "h"}}
	if err := h.PostMount(context.Background(), &st); err != nil {
		t.Fatal(err)
	}
	if r.post == nil || r.post.Pid != 4242 || r.post.ID != "id1" || r.post.Spec.Args[0] != "true" || r.post.Spec.Hostname != "h" {
		t.Errorf("plugin saw %+v", r.post)
	}
}

// A plugin built before a hook existed answers UNIMPLEMENTED: mydocker
// must see that as ErrNotImplemented, not as a failure.
func TestUnimplementedHook(t *testing.T) {
	conn, _ := plugin.TestGRPCConn(t, func(s *grpc.Server) {
		hookspb.RegisterHooksServer(s, hookspb.UnimplementedHooksServer{})
	})
	t.Cleanup(func() { conn.Close() })
	c := &grpcClient{stub: hookspb.NewHooksClient(conn)}
	spec := Spec{ID: "x", Args: []string{"true"}}
	if err := c.PreClone(context.Background(), &spec); !errors.Is(err, ErrNotImplemented) || spec.Args[0] != "true" {
		t.Errorf("PreClone: %v, spec %+v", err, spec)
	}
	if err := c.PostMount(context.Background(), &State{}); !errors.Is(err, ErrNotImplemented) {
		t.Errorf("PostMount: %v", err)
	}
}

type onlyPost struct{ NoopHooks }

func (onlyPost) PostMount(context.Context, *State) error { return nil }

// NoopHooks' hooks arrive as ErrNotImplemented; overridden ones work.
func TestNoopHooksEmbedding(t *testing.T) {
	h := dispenseInProcess(t, onlyPost{})
	spec := Spec{ID: "x", Args: []string{"true"}}
	if err := h.PreClone(context.Background(), &spec); !errors.Is(err, ErrNotImplemented) {
		t.Errorf("PreClone: %v", err)
	}
	if err := h.PostMount(context.Background(), &State{}); err != nil {
		t.Errorf("PostMount: %v", err)
	}
}
