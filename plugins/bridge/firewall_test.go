package bridge

import (
	"fmt"
	"net"
	"reflect"
	"testing"
)

// calls records what a FirewallRequest asked of it.
type calls []string

func (c *calls) EnsureTables(Config) error { *c = append(*c, "ensure"); return nil }
func (c *calls) Publish(_ Config, id string, ips []net.IP, ports []Port) error {
	*c = append(*c, fmt.Sprintf("publish %s %v %v", id, ips, ports))
	return nil
}
func (c *calls) Unpublish(_ Config, ids []string) error {
	*c = append(*c, fmt.Sprintf("unpublish %v", ids))
	return nil
}
func (c *calls) DeleteTables(Config) error { *c = append(*c, "delete"); return nil }

// Each request reaches the one call it names, with its operands.
func TestFirewallRequestServe(t *testing.T) {
	for _, tc := range []struct {
		req     FirewallRequest
		want    string
		wantErr bool
	}{
		{req: FirewallRequest{Op: "ensure"}, want: "ensure"},
		{req: FirewallRequest{Op: "publish", ID: "c1", IPs: []net.IP{net.IPv4(10, 89, 0, 2)}, Ports: []Port{{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}}},
			want: "publish c1 [10.89.0.2] [{ 8080 80 tcp}]"},
		{req: FirewallRequest{Op: "unpublish", IDs: []string{"c1", "c2"}}, want: "unpublish [c1 c2]"},
		{req: FirewallRequest{Op: "delete"}, want: "delete"},
		{req: FirewallRequest{Op: "flush"}, wantErr: true},
	} {
		t.Run(tc.req.Op, func(t *testing.T) {
			var got calls
			err := tc.req.Serve(Config{Firewall: &got})
			if (err != nil) != tc.wantErr {
				t.Fatalf("err %v, want error %v", err, tc.wantErr)
			}
			if !tc.wantErr && !reflect.DeepEqual([]string(got), []string{tc.want}) {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}
