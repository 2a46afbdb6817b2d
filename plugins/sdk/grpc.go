package sdk

import (
	"context"
	"errors"
	"slices"
	"time"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/metadata"
	"google.golang.org/grpc/status"

	hookspb "github.com/mydocker/mydocker/plugins/proto"
)

// grpcClient is mydocker's view of a plugin: Hooks over the gRPC stub.
type grpcClient struct{ stub hookspb.HooksClient }

// PreClone applies the plugin's answer: a version 2 edit (only the fields
// present change), or a version 1 spec (the whole spec as the plugin left
// it; the host keeps what it left empty).
func (c *grpcClient) PreClone(ctx context.Context, spec *Spec) error {
	resp, err := c.stub.PreClone(ctx, &hookspb.PreCloneRequest{Spec: specToProto(spec)})
	if err != nil {
		return clientError(err)
	}
	if e := resp.GetEdit(); e != nil {
		applyEdit(spec, e)
		return nil
	}
	edited := specFromProto(resp.GetSpec())
	spec.Args, spec.Env, spec.Hostname, spec.Rootfs = edited.Args, edited.Env, edited.Hostname, edited.Rootfs
	return nil
}

// applyEdit changes the fields an edit carries, and only those.
func applyEdit(spec *Spec, e *hookspb.SpecEdit) {
	if e.Args != nil {
		spec.Args = e.Args.GetValues()
	}
	if e.Env != nil {
		spec.Env = e.Env.GetValues()
	}
	if e.Hostname != nil {
		spec.Hostname = e.GetHostname()
	}
	if e.Rootfs != nil {
		spec.Rootfs = e.GetRootfs()
	}
}

// editOf is what a hook changed, as a version 2 edit.
func editOf(before, after *Spec) *hookspb.SpecEdit {
	e := &hookspb.SpecEdit{}
	if !slices.Equal(before.Args, after.Args) {
		e.Args = &hookspb.StringList{Values: after.Args}
	}
	if !slices.Equal(before.Env, after.Env) {
		e.Env = &hookspb.StringList{Values: after.Env}
	}
	if before.Hostname != after.Hostname {
		e.Hostname = &after.Hostname
	}
	if before.Rootfs != after.Rootfs {
		e.Rootfs = &after.Rootfs
	}
	return e
}

func (c *grpcClient) PostMount(ctx context.Context, state *State) error {
	_, err := c.stub.PostMount(ctx, &hookspb.PostMountRequest{State: &hookspb.State{
		Id: state.ID, Pid: int64(state.Pid), Spec: specToProto(&state.Spec),
		Namespaces: state.Namespaces, Cgroups: state.Cgroups,
	}})
	return clientError(err)
}

func (c *grpcClient) PostStop(ctx context.Context, st *StopState) error {
	_, err := c.stub.PostStop(ctx, &hookspb.PostStopRequest{State: &hookspb.StopState{
		Id: st.ID, Spec: specToProto(&st.Spec), Status: int32(st.Status), Signal: int32(st.Signal),
		OomKilled: st.OOMKilled, Reason: st.Reason, Detail: st.Detail,
	}})
	return clientError(err)
}

// clientError turns a status into the plugin's own words. A hook the plugin
// does not implement (NoopHooks, or a plugin built before the hook existed)
// is ErrNotImplemented. Any other status a hook returns, whatever its code
// (UNKNOWN from this SDK, PERMISSION_DENIED or INVALID_ARGUMENT from a
// plugin in another language), is a veto in its words. Only a broken
// connection (UNAVAILABLE), a cancelled call or a missed deadline is not:
// the host treats those as a crash or a timeout.
func clientError(err error) error {
	if err == nil {
		return nil
	}
	st, ok := status.FromError(err)
	switch {
	case !ok:
		return err
	case st.Code() == codes.Unimplemented:
		return ErrNotImplemented
	case st.Code() == codes.Unavailable || st.Code() == codes.Canceled || st.Code() == codes.DeadlineExceeded:
		return err
	default:
		return &HookError{Message: st.Message()}
	}
}

// HookError is an error a plugin's hook returned, in its own words.
type HookError struct{ Message string }

// Error is the plugin's message as it wrote it.
func (e *HookError) Error() string { return e.Message }

// GraceHeader is the call metadata in which mydocker says how long after
// the hook's deadline it waits before it kills a plugin; the SDK gives the
// hook a context whose deadline is that much earlier, so that a hook that
// honours its context returns in time and the plugin is left running.
const GraceHeader = "mydocker-hook-grace"

// hookContext takes mydocker's grace off the call's deadline.
func hookContext(ctx context.Context) (context.Context, context.CancelFunc) {
	deadline, ok := ctx.Deadline()
	vals := metadata.ValueFromIncomingContext(ctx, GraceHeader)
	if !ok || len(vals) == 0 {
		return ctx, func() {}
	}
	grace, err := time.ParseDuration(vals[0])
	if err != nil || grace <= 0 {
		return ctx, func() {}
	}
	return context.WithDeadline(ctx, deadline.Add(-grace))
}

// grpcServer is the plugin's side: the gRPC service over its Hooks.
type grpcServer struct {
	hookspb.UnimplementedHooksServer
	impl Hooks
}

func (s *grpcServer) PreClone(ctx context.Context, req *hookspb.PreCloneRequest) (*hookspb.PreCloneResponse, error) {
	spec := specFromProto(req.GetSpec())
	before := spec
	before.Args, before.Env = slices.Clone(spec.Args), slices.Clone(spec.Env) // a hook may edit them in place
	ctx, cancel := hookContext(ctx)
	defer cancel()
	if err := s.impl.PreClone(ctx, &spec); err != nil {
		return nil, serverError(err)
	}
	return &hookspb.PreCloneResponse{Edit: editOf(&before, &spec)}, nil
}

func (s *grpcServer) PostMount(ctx context.Context, req *hookspb.PostMountRequest) (*hookspb.PostMountResponse, error) {
	st := req.GetState()
	state := &State{ID: st.GetId(), Pid: int(st.GetPid()), Spec: specFromProto(st.GetSpec()),
		Namespaces: st.GetNamespaces(), Cgroups: st.GetCgroups()}
	ctx, cancel := hookContext(ctx)
	defer cancel()
	if err := s.impl.PostMount(ctx, state); err != nil {
		return nil, serverError(err)
	}
	return &hookspb.PostMountResponse{}, nil
}

func (s *grpcServer) PostStop(ctx context.Context, req *hookspb.PostStopRequest) (*hookspb.PostStopResponse, error) {
	ps, ok := s.impl.(PostStopper)
	if !ok {
		return nil, serverError(ErrNotImplemented)
	}
	st := req.GetState()
	state := &StopState{ID: st.GetId(), Spec: specFromProto(st.GetSpec()), Status: int(st.GetStatus()),
		Signal: int(st.GetSignal()), OOMKilled: st.GetOomKilled(), Reason: st.GetReason(), Detail: st.GetDetail()}
	ctx, cancel := hookContext(ctx)
	defer cancel()
	if err := ps.PostStop(ctx, state); err != nil {
		return nil, serverError(err)
	}
	return &hookspb.PostStopResponse{}, nil
}

// serverError is how a hook's error travels: ErrNotImplemented as the
// UNIMPLEMENTED status, a deadline as DEADLINE_EXCEEDED, a gRPC status the
// hook made itself as it is, and anything else as UNKNOWN with the error's
// text.
func serverError(err error) error {
	if errors.Is(err, ErrNotImplemented) {
		return status.Error(codes.Unimplemented, err.Error())
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return status.Error(codes.DeadlineExceeded, err.Error())
	}
	if st, ok := status.FromError(err); ok {
		return st.Err()
	}
	return status.Error(codes.Unknown, err.Error())
}

func specToProto(s *Spec) *hookspb.Spec {
	p := &hookspb.Spec{Id: s.ID, Args: s.Args, Env: s.Env, Hostname: s.Hostname, Rootfs: s.Rootfs,
		Limits: &hookspb.Limits{MemoryBytes: s.Limits.MemoryBytes, Cpus: s.Limits.CPUs, Pids: s.Limits.Pids},
		Tty:    s.TTY, Interactive: s.Interactive, User: s.User, Capabilities: s.Capabilities, Labels: s.Labels,
		ReadOnly: s.ReadOnly, Privileged: s.Privileged, Image: s.Image, ImageDigest: s.ImageDigest,
		Network: s.Network, Dns: s.DNS, ExtraHosts: s.ExtraHosts}
	for _, v := range s.Volumes {
		p.Volumes = append(p.Volumes, &hookspb.Volume{Host: v.Host, Container: v.Container, ReadOnly: v.ReadOnly})
	}
	for _, port := range s.Ports {
		p.Ports = append(p.Ports, &hookspb.Port{HostIp: port.HostIP, HostPort: uint32(port.HostPort),
			ContainerPort: uint32(port.ContainerPort), Protocol: port.Protocol})
	}
	return p
}

func specFromProto(p *hookspb.Spec) Spec {
	l := p.GetLimits()
	s := Spec{ID: p.GetId(), Args: p.GetArgs(), Env: p.GetEnv(), Hostname: p.GetHostname(), Rootfs: p.GetRootfs(),
		Limits: Limits{MemoryBytes: l.GetMemoryBytes(), CPUs: l.GetCpus(), Pids: l.GetPids()},
		TTY:    p.GetTty(), Interactive: p.GetInteractive(), User: p.GetUser(), Capabilities: p.GetCapabilities(),
		Labels: p.GetLabels(), ReadOnly: p.GetReadOnly(), Privileged: p.GetPrivileged(),
		Image: p.GetImage(), ImageDigest: p.GetImageDigest(), Network: p.GetNetwork(), DNS: p.GetDns(), ExtraHosts: p.GetExtraHosts()}
	for _, v := range p.GetVolumes() {
		s.Volumes = append(s.Volumes, Volume{Host: v.GetHost(), Container: v.GetContainer(), ReadOnly: v.GetReadOnly()})
	}
	for _, port := range p.GetPorts() {
		s.Ports = append(s.Ports, Port{HostIP: port.GetHostIp(), HostPort: uint16(port.GetHostPort()),
			ContainerPort: uint16(port.GetContainerPort()), Protocol: port.GetProtocol()})
	}
	return s
}
