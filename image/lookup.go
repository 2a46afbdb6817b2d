package image

import (
	"fmt"
	"strings"
)

// Lookup finds an image by reference (`busybox`, `busybox:1.36`,
// `reg:5000/bb@sha256:...`) or by a unique prefix of its id. It returns
// ErrNotFound (wrapped, naming ref) when the store has none.
func (s *Store) Lookup(ref string) (*Image, error) {
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	if img := s.match(all, ref); img != nil {
		return img, nil
	}
	if img, err := byID(all, ref); img != nil || err != nil {
		return img, err
	}
	return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
}

// match finds the image ref spells: by tag (":latest" implied), or by
// digest (the manifest's or the one it was pulled by) within its
// repository.
func (s *Store) match(all []*Image, ref string) *Image {
	if repo, digest, ok := strings.Cut(ref, "@"); ok {
		for _, img := range all {
			if (img.Digest.String() == digest || img.RepoDigest == digest) && contains(s.Registries.repoSpellings(img.Repository), repo) {
				return img
			}
		}
		return nil
	}
	if i := strings.LastIndexByte(ref, ':'); i < 0 || strings.Contains(ref[i:], "/") {
		ref += ":latest"
	}
	for _, img := range all {
		if img.Ref == "" {
			continue
		}
		registry, path, tag := splitRef(img.Ref)
		for _, repo := range s.Registries.repoSpellings(registry + "/" + path) {
			if repo+tag == ref {
				return img
			}
		}
	}
	return nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
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
