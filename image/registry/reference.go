// Package registry is the network side of the image store: pulling from
// OCI registries, logging in, and unpacking layers, with
// go-containerregistry. It runs in the helper binary mydocker-images
// (cmd/mydocker-images) only, so that mydocker itself does not link the
// library, net/http and TLS: their package initialisation alone would
// slow every one-shot mydocker command. Package image, in mydocker, runs
// the helper for pull, login and tag.
package registry

import (
	"fmt"
	"net"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/mydocker/mydocker/image"
)

// Client pulls into, and logs in for, one store.
type Client struct {
	Store *image.Store
}

// Parse turns a user's image reference into a full one, with docker's
// defaults: the default registry, library/ for one-word names on Docker
// Hub, and the tag latest.
func (c *Client) Parse(ref string) (name.Reference, error) {
	if ref == "" {
		return nil, fmt.Errorf("empty image reference")
	}
	parsed, err := name.ParseReference(ref, name.WithDefaultRegistry(c.Store.Registries.Default))
	if err != nil {
		return nil, fmt.Errorf("invalid image reference %q: want [REGISTRY/]NAME[:TAG] or NAME@sha256:DIGEST, the name in lower case", ref)
	}
	if c.listedInsecure(parsed.Context().RegistryStr()) {
		// Parse again so that go-containerregistry speaks plain http to it.
		return name.ParseReference(parsed.Name(), name.Insecure)
	}
	return parsed, nil
}

// plainHTTP reports whether host may be spoken to in plain http: a
// loopback address or name, or a registry the user listed as insecure.
func (c *Client) plainHTTP(host string) bool {
	if c.listedInsecure(host) {
		return true
	}
	hostname := host
	if h, _, err := net.SplitHostPort(host); err == nil {
		hostname = h
	}
	if hostname == "localhost" {
		return true
	}
	ip := net.ParseIP(strings.Trim(hostname, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (c *Client) listedInsecure(host string) bool {
	for _, h := range c.Store.Registries.Insecure {
		if strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

// Tag names the image src also as dst, normalised like a pull's name.
func (c *Client) Tag(src, dst string) error {
	ref, err := c.Parse(dst)
	if err != nil {
		return err
	}
	tag, ok := ref.(name.Tag)
	if !ok {
		return fmt.Errorf("invalid tag %q: a digest cannot be a tag", dst)
	}
	return c.Store.Tag(src, tag.Name())
}
