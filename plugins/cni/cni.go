// Package cni runs CNI networks for mydocker's bundled network plugin:
// `--network cni:NAME` attaches the container with the conflist NAME
// (from MYDOCKER_CNI_CONF_DIR, default /etc/cni/net.d) and the plugin
// binaries of MYDOCKER_CNI_PATH (default /opt/cni/bin:/usr/lib/cni, where
// Debian's containernetworking-plugins are), through libcni: ADD at
// post-mount, DEL at post-stop. So networks users already run under podman
// or containerd work unchanged.
package cni

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/containernetworking/cni/libcni"
)

// Prefix is how --network names a CNI network: cni:NAME.
const Prefix = "cni:"

// Config says where CNI networks and plugins are.
type Config struct {
	ConfDir  string
	Path     []string
	CacheDir string // libcni's results, which DEL needs
}

// ConfigFromEnv reads MYDOCKER_CNI_CONF_DIR, MYDOCKER_CNI_PATH and
// MYDOCKER_CNI_CACHE.
func ConfigFromEnv() Config {
	c := Config{ConfDir: "/etc/cni/net.d", Path: []string{"/opt/cni/bin", "/usr/lib/cni"}, CacheDir: "/run/mydocker/cni"}
	if v := os.Getenv("MYDOCKER_CNI_CONF_DIR"); v != "" {
		c.ConfDir = v
	}
	if v := os.Getenv("MYDOCKER_CNI_PATH"); v != "" {
		c.Path = filepath.SplitList(v)
	}
	if v := os.Getenv("MYDOCKER_CNI_CACHE"); v != "" {
		c.CacheDir = v
	}
	return c
}

// Port is one -p, as CNI's portMappings capability carries it.
type Port struct {
	HostIP        string `json:"hostIP,omitempty"`
	HostPort      int    `json:"hostPort"`
	ContainerPort int    `json:"containerPort"`
	Protocol      string `json:"protocol"`
}

func (c Config) load(network string) (*libcni.NetworkConfigList, *libcni.CNIConfig, error) {
	name := strings.TrimPrefix(network, Prefix)
	list, err := libcni.LoadConfList(c.ConfDir, name)
	if err != nil {
		return nil, nil, fmt.Errorf("--network %s: %w", network, err)
	}
	return list, libcni.NewCNIConfigWithCacheDir(c.Path, c.CacheDir, nil), nil
}

// Check says whether network's conflist loads.
func (c Config) Check(network string) error {
	_, _, err := c.load(network)
	return err
}

func runtimeConf(id, netns string, ports []Port) *libcni.RuntimeConf {
	rt := &libcni.RuntimeConf{ContainerID: id, NetNS: netns, IfName: "eth0"}
	if len(ports) > 0 {
		rt.CapabilityArgs = map[string]interface{}{"portMappings": ports}
	}
	return rt
}

// Add attaches container id (its init is pid) to the network, and returns
// the plugins' result as text.
func (c Config) Add(ctx context.Context, network, id string, pid int, ports []Port) (string, error) {
	list, cni, err := c.load(network)
	if err != nil {
		return "", err
	}
	res, err := cni.AddNetworkList(ctx, list, runtimeConf(id, fmt.Sprintf("/proc/%d/ns/net", pid), ports))
	if err != nil {
		return "", fmt.Errorf("--network %s: %w", network, err)
	}
	var b strings.Builder
	if err := res.PrintTo(&b); err != nil {
		return "", nil
	}
	return b.String(), nil
}

// Del detaches container id, whose namespace may be gone: the plugins
// release what they hold by container id (and libcni's cached result).
func (c Config) Del(ctx context.Context, network, id string, ports []Port) error {
	list, cni, err := c.load(network)
	if err != nil {
		return err
	}
	if err := cni.DelNetworkList(ctx, list, runtimeConf(id, "", ports)); err != nil {
		return fmt.Errorf("--network %s: %w", network, err)
	}
	return nil
}
