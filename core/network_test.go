package core_test

import (
	"errors"
	"testing"

	"github.com/mydocker/mydocker/core"
)

func TestParseNetwork(t *testing.T) {
	tests := []struct {
		in, mode, path string
		bad            bool
	}{
		{"", core.NetworkNone, "", false},
		{"none", core.NetworkNone, "", false},
		{"host", core.NetworkHost, "", false},
		{"container:web", core.NetworkJoin, "", false},
		{"ns:/run/netns/x", core.NetworkJoin, "/run/netns/x", false},
		{"bridge", core.NetworkPlugin, "", false},
		{"my-net.1", core.NetworkPlugin, "", false},
		{"cni:podman", core.NetworkPlugin, "", false},
		{"cni:", "", "", true},
		{"ns:relative", "", "", true},
		{"container:", "", "", true},
		{"Bridge", "", "", true},
		{"-x", "", "", true},
	}
	for _, tc := range tests {
		n, err := core.ParseNetwork(tc.in)
		if tc.bad {
			if !errors.Is(err, core.ErrInvalid) {
				t.Errorf("ParseNetwork(%q) = %+v, %v; want ErrInvalid", tc.in, n, err)
			}
			continue
		}
		if err != nil || n.Mode != tc.mode || n.Path != tc.path {
			t.Errorf("ParseNetwork(%q) = %+v, %v; want mode %s path %q", tc.in, n, err, tc.mode, tc.path)
		}
	}
}

func TestParsePort(t *testing.T) {
	tests := []struct {
		in   string
		want core.Port
		bad  bool
	}{
		{"8080:80", core.Port{HostPort: 8080, ContainerPort: 80, Protocol: "tcp"}, false},
		{"127.0.0.1:8080:80/udp", core.Port{HostIP: "127.0.0.1", HostPort: 8080, ContainerPort: 80, Protocol: "udp"}, false},
		{"[::1]:53:53/udp", core.Port{HostIP: "::1", HostPort: 53, ContainerPort: 53, Protocol: "udp"}, false},
		{"80", core.Port{}, true},
		{"0:80", core.Port{}, true},
		{"70000:80", core.Port{}, true},
		{"8080:80/sctp", core.Port{}, true},
		{"host:8080:80", core.Port{}, true},
	}
	for _, tc := range tests {
		got, err := core.ParsePort(tc.in)
		if tc.bad != (err != nil) || !tc.bad && got != tc.want {
			t.Errorf("ParsePort(%q) = %+v, %v", tc.in, got, err)
		}
	}
}

func TestParseExtraHost(t *testing.T) {
	for in, want := range map[string]string{"db:10.0.0.9": "10.0.0.9\tdb", "v6:[fd00::1]": "fd00::1\tv6", "v6b:fd00::2": "fd00::2\tv6b"} {
		if got, err := core.ParseExtraHost(in); err != nil || got != want {
			t.Errorf("ParseExtraHost(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
	for _, bad := range []string{"db", "db:notanip", ":10.0.0.1", "bad_name:10.0.0.1"} {
		if _, err := core.ParseExtraHost(bad); !errors.Is(err, core.ErrInvalid) {
			t.Errorf("ParseExtraHost(%q) accepted: %v", bad, err)
		}
	}
}
