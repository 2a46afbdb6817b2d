package registry

import (
	"context"
	"errors"
	"fmt"
	"net/http"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// ErrUnauthorized is returned by Login for credentials the registry refused.
var ErrUnauthorized = errors.New("unauthorized: wrong username or password")

// Resolve implements authn.Keychain over the store's auth.json.
func (c *Client) Resolve(res authn.Resource) (authn.Authenticator, error) {
	user, pass, ok, err := c.Store.Credentials(res.RegistryStr())
	if err != nil || !ok {
		return authn.Anonymous, err
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass}), nil
}

// Login checks user and password against registry (Basic or token auth,
// whichever it asks for) and saves them.
func (c *Client) Login(ctx context.Context, registry, user, password string) error {
	reg, err := name.NewRegistry(registry)
	if err != nil {
		return fmt.Errorf("invalid registry %q: want HOST[:PORT]", registry)
	}
	if c.listedInsecure(reg.RegistryStr()) {
		reg, _ = name.NewRegistry(registry, name.Insecure)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
	rt, err := transport.NewWithContext(ctx, reg, auth, c.transport(), []string{reg.Scope(transport.PullScope)})
	if err != nil {
		var terr *transport.Error
		if errors.As(err, &terr) && terr.StatusCode == http.StatusUnauthorized {
			return ErrUnauthorized
		}
		return fmt.Errorf("log in to %s: %w", reg.RegistryStr(), err)
	}
	// Basic auth is only checked on use: ask for the API root with it.
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, reg.Scheme()+"://"+reg.RegistryStr()+"/v2/", nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Transport: rt}).Do(req)
	if err != nil {
		return fmt.Errorf("log in to %s: %w", reg.RegistryStr(), err)
	}
	resp.Body.Close()
	switch {
	case resp.StatusCode == http.StatusUnauthorized:
		return ErrUnauthorized
	case resp.StatusCode >= 300:
		return fmt.Errorf("log in to %s: %s", reg.RegistryStr(), resp.Status)
	}
	return c.Store.SaveCredentials(reg.RegistryStr(), user, password)
}
