package image

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// Lookup finds an image by reference (`busybox`, `busybox:1.36`,
// `reg:5000/bb@sha256:...`) or by a unique prefix of its id. It returns
// ErrNotFound (wrapped, naming ref) when the store has none.
func (s *Store) Lookup(ref string) (*Image, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	if parsed, perr := s.Registries.Parse(ref); perr == nil {
		if img := match(all, parsed); img != nil {
			return img, nil
		}
	}
	if img, err := byID(all, ref); img != nil || err != nil {
		return img, err
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
}

// match finds the entry ref names: by tag, or by digest (the manifest's or
// the one it was pulled by) within the same repository.
func match(all []*Image, ref name.Reference) *Image {
	switch r := ref.(type) {
	case name.Tag:
		for _, img := range all {
			if img.Ref == r.Name() {
				return img
			}
		}
	case name.Digest:
		repo := r.Context().Name()
		for _, img := range all {
			if img.Repository == repo && (img.Digest.String() == r.DigestStr() || img.RepoDigest == r.DigestStr()) {
				return img
			}
		}
	}
	return nil
}

// byID finds the image whose id (config digest) starts with prefix.
func byID(all []*Image, prefix string) (*Image, error) {
	prefix = strings.TrimPrefix(prefix, "sha256:")
	if len(prefix) < 4 || strings.Trim(prefix, "0123456789abcdef") != "" {
		return nil, nil
	}
	var found *Image
	for _, img := range all {
		if strings.HasPrefix(img.Config.Hex, prefix) {
			if found != nil && found.Config != img.Config {
				return nil, fmt.Errorf("image id prefix %s is ambiguous", prefix)
			}
			if found == nil || found.Ref == "" {
				found = img
			}
		}
	}
	return found, nil
}
