package image

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Credentials live in Root/auth.json, in docker's config.json format
// ({"auths": {"host:port": {"auth": base64("user:password")}}}), mode
// 0600, so that they can be copied to and from docker and podman.

// ErrUnauthorized is returned by Login for credentials the registry refused.
var ErrUnauthorized = errors.New("unauthorized: wrong username or password")

type authFile struct {
	Auths map[string]authEntry `json:"auths"`
}

type authEntry struct {
	Auth string `json:"auth"`
}

func (s *Store) authPath() string { return filepath.Join(s.Root, "auth.json") }

func (s *Store) readAuth() (*authFile, error) {
	f := &authFile{Auths: map[string]authEntry{}}
	data, err := os.ReadFile(s.authPath())
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("read credentials %s: %w", s.authPath(), err)
	}
	if f.Auths == nil {
		f.Auths = map[string]authEntry{}
	}
	return f, nil
}

// Resolve implements authn.Keychain over auth.json.
func (s *Store) Resolve(res authn.Resource) (authn.Authenticator, error) {
	f, err := s.readAuth()
	if err != nil {
		return nil, err
	}
	e, ok := f.Auths[res.RegistryStr()]
	if !ok {
		return authn.Anonymous, nil
	}
	raw, err := base64.StdEncoding.DecodeString(e.Auth)
	user, pass, found := strings.Cut(string(raw), ":")
	if err != nil || !found {
		return nil, fmt.Errorf("credentials for %s in %s are malformed", res.RegistryStr(), s.authPath())
	}
	return authn.FromConfig(authn.AuthConfig{Username: user, Password: pass}), nil
}

// Login checks user and password against registry (Basic or token auth,
// whichever it asks for) and saves them.
func (s *Store) Login(ctx context.Context, registry, user, password string) error {
	reg, err := name.NewRegistry(registry)
	if err != nil {
		return fmt.Errorf("invalid registry %q: want HOST[:PORT]", registry)
	}
	if s.Registries.listedInsecure(reg.RegistryStr()) {
		reg, _ = name.NewRegistry(registry, name.Insecure)
	}
	auth := authn.FromConfig(authn.AuthConfig{Username: user, Password: password})
	rt, err := transport.NewWithContext(ctx, reg, auth, s.transport(), []string{reg.Scope(transport.PullScope)})
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
	return s.updateAuth(func(f *authFile) {
		f.Auths[reg.RegistryStr()] = authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
	})
}

// Logout forgets the credentials of registry; it reports whether there
// were any.
func (s *Store) Logout(registry string) (bool, error) {
	found := false
	err := s.updateAuth(func(f *authFile) {
		_, found = f.Auths[registry]
		delete(f.Auths, registry)
	})
	return found, err
}

func (s *Store) updateAuth(change func(*authFile)) error {
	unlock, err := s.lock("index.lock", lockExclusive)
	if err != nil {
		return err
	}
	defer unlock()
	f, err := s.readAuth()
	if err != nil {
		return err
	}
	change(f)
	data, err := json.MarshalIndent(f, "", "\t")
	if err != nil {
		return err
	}
	// CreateTemp makes the file 0600 before anything is written to it.
	if err := writeAtomic(s.authPath(), data); err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	return nil
}
