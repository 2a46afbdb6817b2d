package sdk

import (
	"context"

	"github.com/hashicorp/go-plugin"
	"google.golang.org/grpc"

	hookspb "github.com/mydocker/mydocker/plugins/proto"
)

// Handshake is checked by mydocker and a plugin before anything else. Bump
// ProtocolVersion only for a change old plugins cannot follow.
var Handshake = plugin.HandshakeConfig{
	ProtocolVersion:  1,
	MagicCookieKey:   "MYDOCKER_PLUGIN",
	MagicCookieValue: "hooks-7f3c2a9e",
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
