package image

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/mydocker/mydocker/internal/atomicfile"
)

// Credentials live in Root/auth.json, in docker's config.json format
// ({"auths": {"host:port": {"auth": base64("user:password")}}}), mode
// 0600, so that they can be copied to and from docker and podman.

type authFile struct {
	Auths map[string]authEntry `json:"auths"`
}

type authEntry struct {
	Auth string `json:"auth"`
}

// AuthPath is the credentials file.
func (s *Store) AuthPath() string { return filepath.Join(s.Root, "auth.json") }

func (s *Store) readAuth() (*authFile, error) {
	f := &authFile{Auths: map[string]authEntry{}}
	data, err := os.ReadFile(s.AuthPath())
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read credentials: %w", err)
	}
	if err := json.Unmarshal(data, f); err != nil {
		return nil, fmt.Errorf("read credentials %s: %w", s.AuthPath(), err)
	}
	if f.Auths == nil {
		f.Auths = map[string]authEntry{}
	}
	return f, nil
}

// Credentials returns the user and password saved for registry, if any.
func (s *Store) Credentials(registry string) (user, password string, ok bool, err error) {
	f, err := s.readAuth()
	if err != nil {
		return "", "", false, err
	}
	e, found := f.Auths[registry]
	if !found {
		return "", "", false, nil
	}
	raw, err := base64.StdEncoding.DecodeString(e.Auth)
	user, password, colon := strings.Cut(string(raw), ":")
	if err != nil || !colon {
		return "", "", false, fmt.Errorf("credentials for %s in %s are malformed", registry, s.AuthPath())
	}
	return user, password, true, nil
}

// SaveCredentials keeps user and password for registry.
func (s *Store) SaveCredentials(registry, user, password string) error {
	return s.updateAuth(func(f *authFile) {
		f.Auths[registry] = authEntry{Auth: base64.StdEncoding.EncodeToString([]byte(user + ":" + password))}
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
	// atomicfile's temporary file is 0600 before anything is written to it.
	if err := atomicfile.Write(s.AuthPath(), data); err != nil {
		return fmt.Errorf("save credentials: %w", err)
	}
	return nil
}
