// Package image is mydocker's image store: images pulled from OCI
// registries into an OCI image layout (blobs by digest, index.json naming
// them), and each layer unpacked once, by diff_id, into a directory that
// every container of every image holding that layer uses as a read-only
// overlay lower. Containers, and which of them use what, are the caller's
// business: the store only takes the list of layers in use when it deletes.
//
// On disk, under Root (default /var/lib/mydocker):
//
//	oci-layout, index.json       the OCI image layout's own files
//	blobs/sha256/HEX             manifests, configs, compressed layers
//	layers/HEX/root              a layer unpacked (HEX: its diff_id)
//	layers/HEX/size              its unpacked size in bytes
//	tmp/                         pulls in progress, renamed into place
//	gc.lock, index.lock          see lock.go
//	auth.json                    login credentials, docker's format
package image

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/mydocker/mydocker/internal/atomicfile"
)

// DefaultRoot is where images live unless --image-root or --root says
// otherwise: on disk, unlike containers' state, so they survive reboots.
const DefaultRoot = "/var/lib/mydocker"

// Annotations of index.json entries. The OCI one names the image; the
// others let `images` and `run` work from index.json alone.
const (
	annotationRef     = "org.opencontainers.image.ref.name"
	annotationConfig  = "org.mydocker.config"      // config digest: the image id
	annotationLayers  = "org.mydocker.layers"      // diff_ids, bottom first, comma-separated
	annotationCreated = "org.mydocker.created"     // the config's created time, RFC 3339
	annotationSize    = "org.mydocker.size"        // unpacked size in bytes
	annotationRepo    = "org.mydocker.repo-digest" // the digest the registry gave (an index's)
	annotationPulled  = "org.mydocker.pulled-from" // repository, for untagged entries
)

// ErrNotFound is returned for an image that is not in the store.
var ErrNotFound = errors.New("no such image")

// ErrInUse is returned by Remove for an image a container uses.
var ErrInUse = errors.New("image is in use")

// Store is an image store at Root.
type Store struct {
	Root       string
	Registries Registries
}

// New returns the store at root with registries from the environment.
func New(root string) *Store {
	return &Store{Root: root, Registries: RegistriesFromEnv()}
}

// Image is one entry of the store: a manifest under one name (or none:
// a dangling image whose name moved to a newer pull).
type Image struct {
	Ref        string    // full reference it is tagged as; "" when dangling
	Repository string    // full repository name, also of a dangling image
	Digest     v1.Hash   // the manifest's digest
	RepoDigest string    // the digest pulled by (an index's), if other
	Config     v1.Hash   // the config's digest: the image id
	Layers     []v1.Hash // diff_ids, bottom first
	Created    time.Time
	Size       int64 // unpacked bytes
}

// ID is the image id as docker shows it: the config digest's first 12
// hex digits.
func (i *Image) ID() string { return i.Config.Hex[:12] }

// LayerDir is where the layer with this diff_id is unpacked.
func (s *Store) LayerDir(diffID v1.Hash) string {
	return filepath.Join(s.Root, "layers", diffID.Hex, "root")
}

// BlobPath is where the blob with digest h is stored.
func (s *Store) BlobPath(h v1.Hash) string {
	return filepath.Join(s.Root, "blobs", h.Algorithm, h.Hex)
}

// index is index.json.
type index struct {
	SchemaVersion int             `json:"schemaVersion"`
	MediaType     types.MediaType `json:"mediaType,omitempty"`
	Manifests     []v1.Descriptor `json:"manifests"`
}

// readIndex reads index.json; a store never written to is empty.
func (s *Store) readIndex() (*index, error) {
	data, err := os.ReadFile(filepath.Join(s.Root, "index.json"))
	if errors.Is(err, os.ErrNotExist) {
		return &index{SchemaVersion: 2, MediaType: types.OCIImageIndex}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the image index: %w", err)
	}
	var idx index
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, fmt.Errorf("read the image index %s: %w", filepath.Join(s.Root, "index.json"), err)
	}
	return &idx, nil
}

// writeIndex replaces index.json atomically (the caller holds the index
// lock), writing oci-layout first on a new store.
func (s *Store) writeIndex(idx *index) error {
	layoutFile := filepath.Join(s.Root, "oci-layout")
	if _, err := os.Stat(layoutFile); errors.Is(err, os.ErrNotExist) {
		if err := atomicfile.Write(layoutFile, []byte(`{"imageLayoutVersion":"1.0.0"}`)); err != nil {
			return err
		}
	}
	data, err := json.MarshalIndent(idx, "", "  ")
	if err != nil {
		return err
	}
	return atomicfile.Write(filepath.Join(s.Root, "index.json"), data)
}

// entry is the index.json descriptor of img.
func entry(img *Image, manifestType types.MediaType, manifestSize int64) v1.Descriptor {
	diffs := make([]string, len(img.Layers))
	for i, l := range img.Layers {
		diffs[i] = l.String()
	}
	a := map[string]string{
		annotationConfig:  img.Config.String(),
		annotationLayers:  strings.Join(diffs, ","),
		annotationCreated: img.Created.UTC().Format(time.RFC3339Nano),
		annotationSize:    strconv.FormatInt(img.Size, 10),
		annotationPulled:  img.Repository,
	}
	if img.Ref != "" {
		a[annotationRef] = img.Ref
	}
	if img.RepoDigest != "" {
		a[annotationRepo] = img.RepoDigest
	}
	return v1.Descriptor{MediaType: manifestType, Digest: img.Digest, Size: manifestSize, Annotations: a}
}

// fromEntry reads an index.json descriptor back.
func fromEntry(d v1.Descriptor) (*Image, error) {
	a := d.Annotations
	img := &Image{Ref: a[annotationRef], Repository: a[annotationPulled], Digest: d.Digest, RepoDigest: a[annotationRepo]}
	var err error
	if img.Config, err = v1.NewHash(a[annotationConfig]); err != nil {
		return nil, fmt.Errorf("image %s: bad config digest: %w", d.Digest, err)
	}
	if a[annotationLayers] != "" {
		for _, l := range strings.Split(a[annotationLayers], ",") {
			h, err := v1.NewHash(l)
			if err != nil {
				return nil, fmt.Errorf("image %s: bad layer digest: %w", d.Digest, err)
			}
			img.Layers = append(img.Layers, h)
		}
	}
	img.Created, _ = time.Parse(time.RFC3339Nano, a[annotationCreated])
	img.Size, _ = strconv.ParseInt(a[annotationSize], 10, 64)
	return img, nil
}

// List returns the store's images in index order.
func (s *Store) List() ([]*Image, error) {
	idx, err := s.readIndex()
	if err != nil {
		return nil, err
	}
	var out []*Image
	for _, d := range idx.Manifests {
		img, err := fromEntry(d)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	return out, nil
}

// Config reads an image's config (Entrypoint, Cmd, Env, ...).
func (s *Store) Config(img *Image) (*v1.ConfigFile, error) {
	f, err := os.Open(s.BlobPath(img.Config))
	if err != nil {
		return nil, fmt.Errorf("read the config of %s: %w", img.ID(), err)
	}
	defer f.Close()
	cfg, err := v1.ParseConfigFile(f)
	if err != nil {
		return nil, fmt.Errorf("read the config of %s: %w", img.ID(), err)
	}
	return cfg, nil
}

// RootFor is where images live for a container state root: beside it
// (ROOT/images) when the user moved the state root (--root or
// MYDOCKER_ROOT, as tests do), DefaultRoot otherwise.
func RootFor(stateRoot, defaultStateRoot string) string {
	if stateRoot != "" && filepath.Clean(stateRoot) != filepath.Clean(defaultStateRoot) {
		return filepath.Join(stateRoot, "images")
	}
	return DefaultRoot
}
