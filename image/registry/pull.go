package registry

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/mydocker/mydocker/image"
)

// pullJobs is how many layers are fetched and unpacked at once.
const pullJobs = 3

// Pull fetches ref (the host's platform from an index) into the store:
// manifest, config and every layer, each verified against its digest, each
// layer unpacked once. It tags the image as ref, leaving an image the tag
// named before dangling. Progress goes to out, redrawn in place when tty.
func (c *Client) Pull(ctx context.Context, ref string, out io.Writer, tty bool) (*image.Image, error) {
	s := c.Store
	parsed, err := c.Parse(ref)
	if err != nil {
		return nil, err
	}
	release, err := s.HoldForPull()
	if err != nil {
		return nil, err
	}
	defer release()
	opts := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(c), remote.WithTransport(c.transport()),
		remote.WithPlatform(v1.Platform{OS: "linux", Architecture: runtime.GOARCH})}
	desc, err := remote.Get(parsed, opts...)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, registryError(parsed, err))
	}
	remoteImg, err := desc.Image() // an index resolves to the host's platform
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	img, err := c.fetch(ctx, parsed, remoteImg, out, tty)
	if err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	if desc.Digest != img.Digest {
		img.RepoDigest = desc.Digest.String()
	}
	manifest, _ := remoteImg.RawManifest()
	mt, _ := remoteImg.MediaType()
	if err := s.Add(img, mt, int64(len(manifest))); err != nil {
		return nil, fmt.Errorf("pull %s: %w", ref, err)
	}
	fmt.Fprintf(out, "Digest: %s\n", img.Digest)
	return img, nil
}

// fetch stores the image's blobs and layers and describes it.
func (c *Client) fetch(ctx context.Context, ref name.Reference, ri v1.Image, out io.Writer, tty bool) (*image.Image, error) {
	s := c.Store
	manifest, err := ri.Manifest()
	if err != nil {
		return nil, err
	}
	rawManifest, err := ri.RawManifest()
	if err != nil {
		return nil, err
	}
	digest, err := ri.Digest()
	if err != nil {
		return nil, err
	}
	rawConfig, err := ri.RawConfigFile() // verified against its digest
	if err != nil {
		return nil, err
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawConfig))
	if err != nil {
		return nil, fmt.Errorf("read the image config: %w", err)
	}
	if len(cfg.RootFS.DiffIDs) != len(manifest.Layers) {
		return nil, fmt.Errorf("the image config lists %d layers, its manifest %d", len(cfg.RootFS.DiffIDs), len(manifest.Layers))
	}
	img := &image.Image{Repository: ref.Context().Name(), Digest: digest, Config: manifest.Config.Digest,
		Layers: cfg.RootFS.DiffIDs, Created: cfg.Created.Time}
	if t, ok := ref.(name.Tag); ok {
		img.Ref = t.Name()
	}
	prog := newProgress(out, tty, manifest.Layers)
	defer prog.done()
	sizes := make([]int64, len(manifest.Layers))
	errs := make([]error, len(manifest.Layers))
	sem := make(chan struct{}, pullJobs)
	var wg sync.WaitGroup
	for i, l := range manifest.Layers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			sizes[i], errs[i] = c.fetchLayer(ctx, ri, l, cfg.RootFS.DiffIDs[i], prog.layer(i))
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	for _, n := range sizes {
		img.Size += n
	}
	if err := s.WriteBlob(manifest.Config.Digest, rawConfig); err != nil {
		return nil, err
	}
	if err := s.WriteBlob(digest, rawManifest); err != nil {
		return nil, err
	}
	return img, nil
}

// fetchLayer downloads one layer and unpacks it as it arrives: the
// compressed bytes go to the blob file, the uncompressed ones through
// sha256 (the diff_id) into the unpacker. Both land, by rename, only when
// every digest matched. It returns the unpacked size.
func (c *Client) fetchLayer(ctx context.Context, ri v1.Image, d v1.Descriptor, diffID v1.Hash, p *layerProgress) (int64, error) {
	s := c.Store
	if size, ok := s.LayerSize(diffID); ok {
		p.set("Already exists")
		return size, nil
	}
	layer, err := ri.LayerByDigest(d.Digest)
	if err != nil {
		return 0, err
	}
	rc, err := layer.Compressed() // go-containerregistry checks its digest at EOF
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", d.Digest, err)
	}
	defer rc.Close()
	tmp, err := s.TempDir("layer-")
	if err != nil {
		return 0, err
	}
	defer os.RemoveAll(tmp)
	blob, err := os.Create(filepath.Join(tmp, "blob"))
	if err != nil {
		return 0, err
	}
	defer blob.Close()
	p.set("Downloading")
	compressed := bufio.NewReaderSize(io.TeeReader(io.TeeReader(rc, blob), p.counter()), 1<<20)
	raw, err := decompress(compressed)
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", d.Digest, err)
	}
	h := sha256.New()
	root := filepath.Join(tmp, "root")
	if err := os.Mkdir(root, 0o755); err != nil {
		return 0, err
	}
	size, err := unpack(io.TeeReader(raw, h), root)
	if err == nil {
		_, err = io.Copy(h, raw) // the tar's trailing padding
	}
	if err == nil {
		_, err = io.Copy(io.Discard, compressed) // to EOF, where the digest is checked
	}
	if err != nil {
		return 0, fmt.Errorf("layer %s: %w", d.Digest, err)
	}
	if got := "sha256:" + hex.EncodeToString(h.Sum(nil)); got != diffID.String() {
		return 0, fmt.Errorf("layer %s: uncompressed digest %s, the config says %s", d.Digest, got, diffID)
	}
	if err := blob.Close(); err != nil {
		return 0, err
	}
	if err := s.CommitLayer(tmp, diffID, d.Digest, size); err != nil {
		return 0, err
	}
	p.set("Pull complete")
	return size, nil
}

// decompress recognises gzip and zstd by their magic numbers; anything
// else is taken as a plain tar.
func decompress(r *bufio.Reader) (io.Reader, error) {
	magic, _ := r.Peek(4)
	switch {
	case len(magic) >= 2 && magic[0] == 0x1f && magic[1] == 0x8b:
		return gzip.NewReader(r)
	case len(magic) == 4 && magic[0] == 0x28 && magic[1] == 0xb5 && magic[2] == 0x2f && magic[3] == 0xfd:
		z, err := zstd.NewReader(r)
		if err != nil {
			return nil, err
		}
		return z.IOReadCloser(), nil
	}
	return r, nil
}

// ErrNotInRegistry is returned by Pull for a reference the registry does
// not have.
var ErrNotInRegistry = errors.New("not found in the registry")

// registryError words the registry's answers about a reference as a user
// needs them.
func registryError(ref name.Reference, err error) error {
	var terr *transport.Error
	if !errors.As(err, &terr) {
		return err
	}
	switch terr.StatusCode {
	case http.StatusNotFound:
		return fmt.Errorf("%s: %w", ref.Name(), ErrNotInRegistry)
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%s: access denied: log in first (login %s), or check the name", ref.Name(), ref.Context().RegistryStr())
	}
	return err
}
