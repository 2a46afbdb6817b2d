package image

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Usage is what containers hold on to, as the caller knows them: the store
// itself knows nothing of containers.
type Usage struct {
	// Images maps the manifest digest of every image a container (in any
	// state) was made from to one such container's name.
	Images map[string]string
	// Layers holds the layer directories a live container's overlay may be
	// mounted on: never deleted.
	Layers map[string]bool
}

// Tag names the image src also as dst, a full reference with a tag that
// package registry normalised (registry/path:tag).
func (s *Store) Tag(src, dst string) error {
	img, err := s.Lookup(src)
	if err != nil {
		return err
	}
	registry, path, _ := splitRef(dst)
	repo := registry + "/" + path
	return s.updateIndex(func(idx *index) error {
		var src *v1.Descriptor
		kept := idx.Manifests[:0]
		for _, d := range idx.Manifests {
			if d.Annotations[annotationRef] == dst {
				if d.Digest == img.Digest {
					return nil // already so
				}
				delete(d.Annotations, annotationRef)
			}
			if d.Digest == img.Digest && src == nil {
				d := d
				src = &d
			}
			kept = append(kept, d)
		}
		if src == nil {
			return fmt.Errorf("%w: %s (removed meanwhile)", ErrNotFound, img.ID())
		}
		d := *src
		d.Annotations = map[string]string{}
		for k, v := range src.Annotations {
			d.Annotations[k] = v
		}
		d.Annotations[annotationRef] = dst
		d.Annotations[annotationPulled] = repo
		idx.Manifests = append(kept, d)
		return nil
	})
}

// Removed says what Remove did, in docker's words.
type Removed struct {
	Untagged []string // references no longer naming an image
	Deleted  []string // image ids gone
}

// Remove untags ref, and deletes the image once no name is left on it.
// It refuses an image a container uses, or one named by its id that has
// several names, unless force. usage is asked under the store's lock, so
// no run can start using the image meanwhile.
func (s *Store) Remove(ref string, force bool, usage func() (Usage, error)) (*Removed, error) {
	unlock, err := s.lock("gc.lock", lockExclusive)
	if err != nil {
		return nil, err
	}
	defer unlock()
	img, err := s.Lookup(ref)
	if err != nil {
		return nil, err
	}
	used, err := usage()
	if err != nil {
		return nil, err
	}
	byName := img.Ref != "" && !isIDPrefix(ref, img)
	out := &Removed{}
	err = s.updateIndex(func(idx *index) error {
		names := 0
		for _, d := range idx.Manifests {
			if d.Digest == img.Digest && d.Annotations[annotationRef] != "" {
				names++
			}
		}
		if byName && names > 1 {
			idx.Manifests = without(idx.Manifests, func(d v1.Descriptor) bool { return d.Annotations[annotationRef] == img.Ref })
			out.Untagged = append(out.Untagged, s.Display(img.Ref))
			return nil
		}
		if c, ok := used.Images[img.Digest.String()]; ok && !force {
			return fmt.Errorf("%w: %s is used by container %s (rm it first, or rmi -f)", ErrInUse, ref, c)
		}
		if !byName && names > 1 && !force {
			return fmt.Errorf("image %s is named %d times: rmi each name, or rmi -f", img.ID(), names)
		}
		idx.Manifests = without(idx.Manifests, func(d v1.Descriptor) bool {
			if d.Digest != img.Digest {
				return false
			}
			if r := d.Annotations[annotationRef]; r != "" {
				out.Untagged = append(out.Untagged, s.Display(r))
			}
			return true
		})
		for _, d := range idx.Manifests {
			if d.Annotations[annotationConfig] == img.Config.String() {
				return nil // the id lives on in another manifest
			}
		}
		out.Deleted = append(out.Deleted, img.Config.String())
		return nil
	})
	if err != nil {
		return nil, err
	}
	_, err = s.collect(used)
	return out, err
}

// Prune deletes dangling images (untagged), or with all every image no
// container uses, then whatever no image needs.
func (s *Store) Prune(all bool, usage func() (Usage, error)) (deleted []string, freed int64, err error) {
	unlock, err := s.lock("gc.lock", lockExclusive)
	if err != nil {
		return nil, 0, err
	}
	defer unlock()
	used, err := usage()
	if err != nil {
		return nil, 0, err
	}
	err = s.updateIndex(func(idx *index) error {
		idx.Manifests = without(idx.Manifests, func(d v1.Descriptor) bool {
			if _, inUse := used.Images[d.Digest.String()]; inUse {
				return false
			}
			if all || d.Annotations[annotationRef] == "" {
				deleted = append(deleted, d.Annotations[annotationConfig])
				return true
			}
			return false
		})
		return nil
	})
	if err != nil {
		return nil, 0, err
	}
	freed, err = s.collect(used)
	return deleted, freed, err
}

// collect deletes the blobs and layers no image in index.json refers to,
// except layers in use, and leftovers of interrupted pulls. The caller
// holds gc.lock exclusively: no pull is running. It returns the bytes of
// layers freed.
func (s *Store) collect(used Usage) (int64, error) {
	imgs, err := s.List()
	if err != nil {
		return 0, err
	}
	blobs, layers := map[string]bool{}, map[string]bool{}
	for _, img := range imgs {
		blobs[img.Digest.Hex], blobs[img.Config.Hex] = true, true
		m, err := s.manifest(img)
		if err != nil {
			return 0, err
		}
		for _, l := range m.Layers {
			blobs[l.Digest.Hex] = true
		}
		for _, l := range img.Layers {
			layers[l.Hex] = true
		}
	}
	var errs []error
	if err := os.RemoveAll(filepath.Join(s.Root, "tmp")); err != nil {
		errs = append(errs, err)
	}
	entries, _ := os.ReadDir(filepath.Join(s.Root, "blobs", "sha256"))
	for _, e := range entries {
		if !blobs[e.Name()] {
			errs = append(errs, os.Remove(filepath.Join(s.Root, "blobs", "sha256", e.Name())))
		}
	}
	var freed int64
	entries, _ = os.ReadDir(filepath.Join(s.Root, "layers"))
	for _, e := range entries {
		h := v1.Hash{Algorithm: "sha256", Hex: e.Name()}
		if layers[e.Name()] || used.Layers[s.LayerDir(h)] {
			continue
		}
		size, _ := s.LayerSize(h)
		// Rename first: a half-deleted layer is never taken for a whole one.
		doomed := filepath.Join(s.Root, "layers", ".deleting-"+e.Name())
		if err := os.Rename(filepath.Join(s.Root, "layers", e.Name()), doomed); err != nil {
			errs = append(errs, err)
			continue
		}
		errs = append(errs, os.RemoveAll(doomed))
		freed += size
	}
	return freed, errors.Join(errs...)
}

// manifest reads a stored manifest.
func (s *Store) manifest(img *Image) (*v1.Manifest, error) {
	f, err := os.Open(s.BlobPath(img.Digest))
	if err != nil {
		return nil, fmt.Errorf("read the manifest of %s: %w", img.ID(), err)
	}
	defer f.Close()
	return v1.ParseManifest(f)
}

func without(ds []v1.Descriptor, drop func(v1.Descriptor) bool) []v1.Descriptor {
	kept := ds[:0]
	for _, d := range ds {
		if !drop(d) {
			kept = append(kept, d)
		}
	}
	return kept
}

func isIDPrefix(ref string, img *Image) bool {
	ref = strings.TrimPrefix(ref, "sha256:")
	return len(ref) >= 4 && strings.HasPrefix(img.Config.Hex, ref)
}
