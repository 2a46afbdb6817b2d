package image

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/internal/atomicfile"
)

// What package registry uses to fill the store: a pull writes its layers
// into TempDir, commits each by rename, writes small blobs, then adds the
// image to index.json, all while holding the store (Hold).

// TempDir makes a directory for a pull in progress, inside the store (so
// that commits are renames); a later gc removes what a killed pull left.
func (s *Store) TempDir(pattern string) (string, error) {
	for _, dir := range []string{"tmp", filepath.Join("blobs", "sha256"), "layers"} {
		if err := os.MkdirAll(filepath.Join(s.Root, dir), 0o700); err != nil {
			return "", err
		}
	}
	return os.MkdirTemp(filepath.Join(s.Root, "tmp"), pattern)
}

// CommitLayer moves an unpacked layer into place: tmp holds "root" (the
// layer) and "blob" (its compressed form, digest blob). A concurrent pull
// that committed the same layer first wins; its copy is as good.
func (s *Store) CommitLayer(tmp string, diffID, blob v1.Hash, size int64) error {
	if err := os.WriteFile(filepath.Join(tmp, "size"), fmt.Appendf(nil, "%d\n", size), 0o600); err != nil {
		return err
	}
	if err := os.Rename(filepath.Join(tmp, "blob"), s.BlobPath(blob)); err != nil {
		return err
	}
	err := os.Rename(tmp, filepath.Dir(s.LayerDir(diffID)))
	if err != nil && !errors.Is(err, os.ErrExist) && !errors.Is(err, unix.ENOTEMPTY) {
		return err
	}
	return nil
}

// LayerSize reports whether the layer is unpacked, and its size.
func (s *Store) LayerSize(diffID v1.Hash) (int64, bool) {
	data, err := os.ReadFile(filepath.Join(filepath.Dir(s.LayerDir(diffID)), "size"))
	if err != nil {
		return 0, false
	}
	var n int64
	_, err = fmt.Sscan(string(data), &n)
	return n, err == nil
}

// WriteBlob stores a small blob (a config, a manifest), checking it
// against its digest.
func (s *Store) WriteBlob(h v1.Hash, data []byte) error {
	if sum := sha256.Sum256(data); h.Algorithm != "sha256" || hex.EncodeToString(sum[:]) != h.Hex {
		return fmt.Errorf("blob %s does not match its digest", h)
	}
	if _, err := os.Stat(s.BlobPath(h)); err == nil {
		return nil
	}
	return atomicfile.Write(s.BlobPath(h), data)
}

// Add lists img in index.json (its blobs and layers are in place), under
// its name: an image that had the name keeps its entry, dangling.
func (s *Store) Add(img *Image, manifestType types.MediaType, manifestSize int64) error {
	return s.updateIndex(func(idx *index) error {
		kept := idx.Manifests[:0]
		for _, d := range idx.Manifests {
			if img.Ref != "" && d.Annotations[annotationRef] == img.Ref {
				if d.Digest == img.Digest {
					continue // replaced below
				}
				delete(d.Annotations, annotationRef) // now dangling
			}
			kept = append(kept, d)
		}
		idx.Manifests = append(kept, entry(img, manifestType, manifestSize))
		return nil
	})
}
