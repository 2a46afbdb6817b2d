package registry

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/internal/hostcheck"
)

// An in-process registry (go-containerregistry's) on 127.0.0.1, for what
// needs no real one; the e2e tests use Debian's docker-registry.

type testRegistry struct {
	host string
	// corrupt, when set, is a blob digest whose bytes the registry
	// garbles on the way out.
	mu      sync.Mutex
	corrupt string
	// challenge is the WWW-Authenticate of a refused request (Basic by
	// default); token, when set, serves /token (a Bearer realm must be on
	// the registry's host: go-containerregistry refuses loopback others).
	challenge string
	token     http.HandlerFunc
}

func startRegistry(t *testing.T, auth func(*http.Request) bool) *testRegistry {
	t.Helper()
	r := &testRegistry{}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		if r.token != nil && req.URL.Path == "/token" {
			r.token(w, req)
			return
		}
		if auth != nil && !auth(req) {
			challenge := r.challenge
			if challenge == "" {
				challenge = `Basic realm="test"`
			}
			w.Header().Set("WWW-Authenticate", challenge)
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		r.mu.Lock()
		bad := r.corrupt
		r.mu.Unlock()
		if bad != "" && req.Method == http.MethodGet && strings.HasSuffix(req.URL.Path, "/blobs/"+bad) {
			rec := httptest.NewRecorder()
			reg.ServeHTTP(rec, req)
			body := rec.Body.Bytes()
			body[len(body)/2] ^= 0xff
			w.WriteHeader(rec.Code)
			w.Write(body)
			return
		}
		reg.ServeHTTP(w, req)
	}))
	t.Cleanup(srv.Close)
	r.host = strings.TrimPrefix(srv.URL, "http://")
	return r
}

// layerOf is a layer holding the given files (name: content).
func layerOf(t *testing.T, files ...string) v1.Layer {
	t.Helper()
	var hdrs []*tar.Header
	for i := 0; i+1 < len(files); i += 2 {
		hdrs = append(hdrs, file(files[i], files[i+1]))
	}
	data := tarOf(t, hdrs...).Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func imageOf(t *testing.T, cfg v1.Config, layers ...v1.Layer) v1.Image {
	t.Helper()
	img, err := mutate.AppendLayers(empty.Image, layers...)
	if err != nil {
		t.Fatal(err)
	}
	if img, err = mutate.Config(img, cfg); err != nil {
		t.Fatal(err)
	}
	return img
}

func (r *testRegistry) push(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	if err := remote.Write(r.ref(t, ref), img); err != nil {
		t.Fatal(err)
	}
}

func (r *testRegistry) ref(t *testing.T, ref string) name.Reference {
	t.Helper()
	parsed, err := name.ParseReference(r.host + "/" + ref)
	if err != nil {
		t.Fatal(err)
	}
	return parsed
}

// newStore is a client of a fresh store whose default registry is r.
func newStore(t *testing.T, r *testRegistry) *Client {
	return &Client{Store: &image.Store{Root: filepath.Join(t.TempDir(), "images"), Registries: image.Registries{Default: r.host}}}
}

func noUsage() (image.Usage, error) { return image.Usage{}, nil }

func TestPullSharesLayers(t *testing.T) {
	hostcheck.RequireRoot(t)
	r := startRegistry(t, nil)
	shared := layerOf(t, "etc/shared", "s")
	r.push(t, "base:1", imageOf(t, v1.Config{Cmd: []string{"/bin/sh"}}, shared, layerOf(t, "b", "b")))
	r.push(t, "app:1", imageOf(t, v1.Config{Entrypoint: []string{"/app"}}, shared, layerOf(t, "c", "c")))
	s := newStore(t, r)
	var out bytes.Buffer
	base, err := s.Pull(context.Background(), "base:1", &out, false)
	if err != nil {
		t.Fatal(err)
	}
	out.Reset()
	app, err := s.Pull(context.Background(), "app:1", &out, false)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "Already exists") {
		t.Errorf("the shared layer was fetched again:\n%s", out.String())
	}
	if base.Layers[0] != app.Layers[0] {
		t.Fatalf("shared layer diff_ids differ: %s %s", base.Layers[0], app.Layers[0])
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Store.Root, "layers")); len(entries) != 3 {
		t.Errorf("%d layer directories, want 3", len(entries))
	}
	mustRead(t, filepath.Join(s.Store.LayerDir(app.Layers[1]), "c"), "c")
	got, err := s.Store.Lookup("app:1")
	if err != nil || got.Digest != app.Digest {
		t.Fatalf("Lookup(app:1) = %v, %v", got, err)
	}
	if got, err := s.Store.Lookup(app.ID()[:6]); err != nil || got.Digest != app.Digest {
		t.Fatalf("Lookup(id prefix) = %v, %v", got, err)
	}
	// Removing one image keeps the layer the other uses.
	if _, err := s.Store.Remove("base:1", false, noUsage); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Store.LayerDir(base.Layers[0])); err != nil {
		t.Errorf("the shared layer went with base: %v", err)
	}
	if _, err := os.Stat(s.Store.LayerDir(base.Layers[1])); err == nil {
		t.Errorf("base's own layer was kept")
	}
}

func TestPullIndexPicksThisPlatform(t *testing.T) {
	hostcheck.RequireRoot(t)
	r := startRegistry(t, nil)
	mine := imageOf(t, v1.Config{Cmd: []string{"mine"}}, layerOf(t, "f", "mine"))
	other := imageOf(t, v1.Config{Cmd: []string{"other"}}, layerOf(t, "f", "other"))
	otherArch := "s390x"
	if runtime.GOARCH == otherArch {
		otherArch = "arm64"
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: other, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: otherArch}}},
		mutate.IndexAddendum{Add: mine, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: runtime.GOARCH}}})
	if err := remote.WriteIndex(r.ref(t, "multi:1"), idx); err != nil {
		t.Fatal(err)
	}
	s := newStore(t, r)
	img, err := s.Pull(context.Background(), "multi:1", io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := s.Store.Config(img)
	if err != nil || len(cfg.Config.Cmd) != 1 || cfg.Config.Cmd[0] != "mine" {
		t.Fatalf("config %+v, %v: not this platform's", cfg, err)
	}
	idxDigest, _ := idx.Digest()
	if img.RepoDigest != idxDigest.String() {
		t.Errorf("repo digest %q, want the index's %s", img.RepoDigest, idxDigest)
	}
	// By the index's digest, as a user copies it from a registry.
	if _, err := s.Store.Lookup("multi@" + idxDigest.String()); err != nil {
		t.Errorf("lookup by the index digest: %v", err)
	}
}

func TestPullWrongDigestStoresNothing(t *testing.T) {
	hostcheck.RequireRoot(t)
	r := startRegistry(t, nil)
	l := layerOf(t, "f", strings.Repeat("x", 4096))
	r.push(t, "bad:1", imageOf(t, v1.Config{}, l))
	d, _ := l.Digest()
	r.corrupt = d.String()
	s := newStore(t, r)
	if _, err := s.Pull(context.Background(), "bad:1", io.Discard, false); err == nil {
		t.Fatal("a garbled layer was accepted")
	}
	for _, dir := range []string{"layers", "tmp", filepath.Join("blobs", "sha256")} {
		if entries, _ := os.ReadDir(filepath.Join(s.Store.Root, dir)); len(entries) != 0 {
			t.Errorf("%s holds %d entries after a failed pull", dir, len(entries))
		}
	}
	if all, _ := s.Store.List(); len(all) != 0 {
		t.Errorf("index lists %d images after a failed pull", len(all))
	}
}

func TestConcurrentPulls(t *testing.T) {
	hostcheck.RequireRoot(t)
	r := startRegistry(t, nil)
	shared := layerOf(t, "shared", strings.Repeat("s", 100000))
	for _, n := range []string{"one", "two", "three"} {
		r.push(t, n+":1", imageOf(t, v1.Config{}, shared, layerOf(t, n, n)))
	}
	s := newStore(t, r)
	refs := []string{"one:1", "one:1", "two:1", "three:1"}
	errs := make([]error, len(refs))
	var wg sync.WaitGroup
	for i, ref := range refs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, errs[i] = s.Pull(context.Background(), ref, io.Discard, false)
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(s.Store.Root, "index.json"))
	if err != nil {
		t.Fatal(err)
	}
	var idx struct{ Manifests []v1.Descriptor }
	if err := json.Unmarshal(data, &idx); err != nil {
		t.Fatalf("index.json corrupt: %v\n%s", err, data)
	}
	if len(idx.Manifests) != 3 {
		t.Errorf("index lists %d images, want 3:\n%s", len(idx.Manifests), data)
	}
	for _, ref := range []string{"one:1", "two:1", "three:1"} {
		img, err := s.Store.Lookup(ref)
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range img.Layers {
			if _, err := os.Stat(s.Store.LayerDir(l)); err != nil {
				t.Errorf("%s: layer missing: %v", ref, err)
			}
		}
	}
	if entries, _ := os.ReadDir(filepath.Join(s.Store.Root, "tmp")); len(entries) != 0 {
		t.Errorf("tmp holds %d leftovers", len(entries))
	}
}

// A layer with a `..` entry is refused whole: nothing of it is stored, and
// nothing is written outside the store.
func TestPullHostileLayerStoresNothing(t *testing.T) {
	hostcheck.RequireRoot(t)
	r := startRegistry(t, nil)
	data := tarOf(t, file("ok", "fine"), file("../../../../../../tmp/mydocker-escape", "x")).Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(data)), nil })
	if err != nil {
		t.Fatal(err)
	}
	r.push(t, "hostile:1", imageOf(t, v1.Config{}, l))
	s := newStore(t, r)
	_, err = s.Pull(context.Background(), "hostile:1", io.Discard, false)
	if !errors.Is(err, errEscape) {
		t.Fatalf("pull of a layer with ..: %v, want it refused", err)
	}
	if _, err := os.Stat("/tmp/mydocker-escape"); err == nil {
		os.Remove("/tmp/mydocker-escape")
		t.Fatal("the layer wrote outside the store")
	}
	for _, dir := range []string{"layers", "tmp", filepath.Join("blobs", "sha256")} {
		if entries, _ := os.ReadDir(filepath.Join(s.Store.Root, dir)); len(entries) != 0 {
			t.Errorf("%s holds %d entries after a refused pull", dir, len(entries))
		}
	}
}
