package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	hookspb "github.com/mydocker/mydocker/plugins/proto"
)

// Handshake is checked by mydocker and a plugin before anything else.
// ProtocolVersion is the version this SDK's plugins speak:
//
//	1  pre-clone answers with the whole spec (an empty field is unchanged)
//	2  pre-clone answers with an edit: only the fields it changes
//
// mydocker serves both (Versions), so plugins built for version 1, in any
// language, keep working.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  2,
	MagicCookieKey:   "MYDOCKER_PLUGIN",
	MagicCookieValue: "hooks-7f3c2a9e",
}

// Versions are the protocol versions mydocker serves.
var Versions = []int{1, 2}

// VersionedPluginSet is what mydocker dispenses clients from: the same
// client for every version (it reads an edit or a whole spec).
func VersionedPluginSet() map[int]plugin.PluginSet {
	sets := map[int]plugin.PluginSet{}
	for _, v := range Versions {
		sets[v] = PluginSet(nil)
	}
	return sets
}

// PluginName is the name both sides register the hooks service under.
const PluginName = "hooks"

// PluginSet is the go-plugin plugin set of a plugin serving h; mydocker
// uses it with a nil h to dispense clients.
func PluginSet(h Hooks) plugin.PluginSet {
	return plugin.PluginSet{PluginName: &GRPCPlugin{Impl: h}}
}

// GRPCPlugin adapts Hooks to go-plugin's gRPC transport, both ways.
type GRPCPlugin struct {
	plugin.NetRPCUnsupportedPlugin
	Impl Hooks // the plugin's side; nil on mydocker's side
}

// GRPCServer registers the plugin's hooks on its gRPC server.
func (p *GRPCPlugin) GRPCServer(_ *plugin.GRPCBroker, s *grpc.Server) error {
	hookspb.RegisterHooksServer(s, &grpcServer{impl: p.Impl})
	return nil
}

// GRPCClient gives mydocker the plugin's hooks as a Hooks.
func (p *GRPCPlugin) GRPCClient(_ context.Context, _ *plugin.GRPCBroker, c *grpc.ClientConn) (interface{}, error) {
	return &grpcClient{stub: hookspb.NewHooksClient(c)}, nil
}
