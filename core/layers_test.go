package core_test

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// An image's layers stack as overlay lowers, topmost first: the upper
// ones win, a whiteout (a 0:0 device) deletes, and even overlayfs's
// maximum of layers, named by long host paths, fits in mount(2)'s
// one-page option string (the init links them under short names).
func TestImageLayers(t *testing.T) {
	requireRoot(t)
	base := testrootfs.Busybox(t)
	parent := filepath.Join(t.TempDir(), strings.Repeat("long-directory-name-", 3))
	layers := []string{}
	for i := range core.MaxLayers - 1 {
		dir := filepath.Join(parent, fmt.Sprintf("layer-%03d-%s", i, strings.Repeat("x", 40)))
		if err := os.MkdirAll(filepath.Join(dir, "layers"), 0o755); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(filepath.Join(dir, "layers", fmt.Sprint(i)), nil, 0o644)
		os.WriteFile(filepath.Join(dir, "which"), []byte(fmt.Sprintf("layer %d\n", i)), 0o644)
		layers = append([]string{dir}, layers...) // topmost first
	}
	// The topmost layer deletes, with a whiteout, a file only the base has.
	if err := os.WriteFile(filepath.Join(base, "probe-deleted"), []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Remove(filepath.Join(base, "probe-deleted")) })
	if err := mknodWhiteout(filepath.Join(layers[0], "probe-deleted")); err != nil {
		t.Fatal(err)
	}
	spec, err := cli.ParseRun([]string{"sh", "-c", "cat /which; ls /layers | wc -l; test -e /probe-deleted || echo deleted"})
	if err != nil {
		t.Fatal(err)
	}
	spec.Layers = append(layers, base)
	var out, errb bytes.Buffer
	status, err := (&core.Runtime{}).Run(context.Background(), spec, core.Stdio{Out: &out, Err: &errb})
	want := fmt.Sprintf("layer %d\n%d\ndeleted\n", core.MaxLayers-2, core.MaxLayers-1)
	if err != nil || status != 0 || out.String() != want {
		t.Fatalf("status %d err %v out %q stderr %q; want %q", status, err, out.String(), errb.String(), want)
	}
	spec.Layers = append(spec.Layers, base) // one too many
	if err := spec.Validate(); err == nil || !strings.Contains(err.Error(), "overlayfs stacks at most") {
		t.Errorf("%d layers accepted: %v", len(spec.Layers), err)
	}
}

func mknodWhiteout(path string) error { return unix.Mknod(path, unix.S_IFCHR, 0) }
