package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/store"
)

// ImageRun is what a run from an image needs beside its spec.
type ImageRun struct {
	Ref     string // as the user wrote it
	Pull    string // missing, always or never (cli's --pull)
	Cmdline Cmdline
	// Progress is where a pull on demand reports, redrawn when TTY.
	Progress io.Writer
	TTY      bool
}

// ErrImageNotFound is returned for `run --pull never` of an image the
// store does not have.
var ErrImageNotFound = errors.New("image not found locally")

// IsImage decides whether run's first word names an image or a command
// of the host's root (mydocker's original mode, kept working): an image
// in the store, a word only a reference can be (a tag, a digest, a
// registry), a word after --pull, or one no directory of the container's
// default PATH holds is an image.
func (m *Manager) IsImage(word string, pullSet bool) bool {
	if m.Images == nil {
		return false
	}
	if pullSet || image.LooksQualified(word) {
		return true
	}
	if _, err := m.Images.Lookup(word); err == nil {
		return true
	}
	for _, dir := range filepath.SplitList(core.DefaultPath) {
		if info, err := os.Stat(filepath.Join(dir, word)); err == nil && !info.IsDir() && info.Mode()&0o111 != 0 {
			return false
		}
	}
	return true
}

// useImage finds (or pulls) the image and makes spec run it. The images
// stay held (no rmi or prune deletes them) until release: until the
// container is recorded as using them.
func (m *Manager) useImage(ctx context.Context, spec *core.Spec, req *ImageRun) (release func(), err error) {
	if m.Images == nil {
		return nil, fmt.Errorf("no image store configured")
	}
	hold, err := m.Images.Hold()
	if err != nil {
		return nil, err
	}
	defer func() {
		if err != nil {
			hold()
		}
	}()
	img, err := m.Images.Lookup(req.Ref)
	switch {
	case err != nil && !errors.Is(err, image.ErrNotFound):
		return nil, err
	case err != nil && req.Pull == "never":
		return nil, fmt.Errorf("%w: %s (--pull never)", ErrImageNotFound, req.Ref)
	case err != nil || req.Pull == "always":
		if err != nil {
			fmt.Fprintf(req.Progress, "Unable to find image '%s' locally\n", req.Ref)
		}
		if img, err = m.Images.Pull(ctx, req.Ref, req.Progress, req.TTY); err != nil {
			return nil, err
		}
	}
	cfg, err := m.Images.Config(img)
	if err != nil {
		return nil, err
	}
	if err := applyImage(m.Images, spec, img, cfg, req.Cmdline); err != nil {
		return nil, err
	}
	if err := spec.Validate(); err != nil {
		return nil, err
	}
	return hold, nil
}

// ImageUsage is what the store's containers hold on to, for rmi and
// image prune: the images of all of them, the layers of those not
// known to have ended.
func (m *Manager) ImageUsage() (image.Usage, error) {
	u := image.Usage{Images: map[string]string{}, Layers: map[string]bool{}}
	all, err := m.Store.List()
	if err != nil {
		return u, err
	}
	for _, c := range all {
		if c.Spec.ImageDigest == "" {
			continue
		}
		name := c.Name
		if name == "" {
			name = store.ShortID(c.ID)
		}
		u.Images[c.Spec.ImageDigest] = name
		if c.Status != store.Exited {
			for _, l := range c.Spec.Layers {
				u.Layers[l] = true
			}
		}
	}
	return u, nil
}
