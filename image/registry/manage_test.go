package registry

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/internal/hostcheck"
)

func TestTagRemovePrune(t *testing.T) {
	hostcheck.RequireRoot(t)
	r := startRegistry(t, nil)
	r.push(t, "img:1", imageOf(t, v1.Config{}, layerOf(t, "f", "1")))
	r.push(t, "img:2", imageOf(t, v1.Config{}, layerOf(t, "f", "2")))
	s := newStore(t, r)
	ctx := context.Background()
	one, err := s.Pull(ctx, "img:1", io.Discard, false)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Tag("img:1", "other:latest"); err != nil {
		t.Fatal(err)
	}
	// Two names: rmi of one only untags.
	rm, err := s.Store.Remove("other", false, noUsage)
	if err != nil || len(rm.Deleted) != 0 || len(rm.Untagged) != 1 {
		t.Fatalf("rmi other = %+v, %v; want one untag", rm, err)
	}
	// Used by a container: refused, unless forced; the layers a live
	// container has mounted stay even then.
	inUse := func() (image.Usage, error) {
		return image.Usage{Images: map[string]string{one.Digest.String(): "web"}, Layers: map[string]bool{s.Store.LayerDir(one.Layers[0]): true}}, nil
	}
	if _, err := s.Store.Remove("img:1", false, inUse); !errors.Is(err, image.ErrInUse) || !strings.Contains(err.Error(), "web") {
		t.Fatalf("rmi of an image in use: %v", err)
	}
	if _, err := s.Store.Remove("img:1", true, inUse); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(s.Store.LayerDir(one.Layers[0])); err != nil {
		t.Fatalf("rmi -f deleted a layer a live container uses: %v", err)
	}
	// Once the container is gone, prune frees it.
	if _, freed, err := s.Store.Prune(false, noUsage); err != nil || freed == 0 {
		t.Fatalf("prune: freed %d, %v", freed, err)
	}
	if _, err := os.Stat(s.Store.LayerDir(one.Layers[0])); err == nil {
		t.Fatal("prune kept an unused layer")
	}
	// A re-pull that moves a tag leaves the old image dangling; prune
	// removes it, prune -a the rest.
	if _, err := s.Pull(ctx, "img:2", io.Discard, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Tag("img:2", "img:1"); err != nil {
		t.Fatal(err)
	}
	all, _ := s.Store.List()
	if len(all) != 2 {
		t.Fatalf("%d images, want 2", len(all))
	}
	deleted, _, err := s.Store.Prune(true, noUsage)
	if err != nil || len(deleted) != 2 {
		t.Fatalf("prune -a deleted %v, %v", deleted, err)
	}
	if _, err := s.Store.Lookup("img:2"); !errors.Is(err, image.ErrNotFound) {
		t.Fatalf("lookup after prune -a: %v", err)
	}
}

func TestBasicAuth(t *testing.T) {
	hostcheck.RequireRoot(t)
	pushing := true
	r := startRegistry(t, func(req *http.Request) bool {
		u, p, ok := req.BasicAuth()
		return pushing || (ok && u == "alice" && p == "s3cret")
	})
	r.push(t, "private:1", imageOf(t, v1.Config{}, layerOf(t, "f", "x")))
	pushing = false
	s := newStore(t, r)
	ctx := context.Background()
	if _, err := s.Pull(ctx, "private:1", io.Discard, false); err == nil || !strings.Contains(err.Error(), "log in") {
		t.Fatalf("anonymous pull: %v, want a hint to log in", err)
	}
	if err := s.Login(ctx, r.host, "alice", "wrong"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if err := s.Login(ctx, r.host, "alice", "s3cret"); err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(s.Store.AuthPath()); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials file: %v %v, want mode 0600", fi.Mode(), err)
	}
	if _, err := s.Pull(ctx, "private:1", io.Discard, false); err != nil {
		t.Fatal(err)
	}
	if found, err := s.Store.Logout(r.host); !found || err != nil {
		t.Fatalf("logout: %v %v", found, err)
	}
}

func TestPlainHTTPOnlyToLoopback(t *testing.T) {
	c := &Client{Store: &image.Store{Registries: image.Registries{Insecure: []string{"reg.example:5000"}}}}
	tr := guardedTransport{base: failingTransport{}, plainHTTP: c.plainHTTP}
	tests := []struct {
		url     string
		allowed bool
	}{
		{"http://127.0.0.1:5000/v2/", true},
		{"http://localhost:5000/v2/", true},
		{"http://[::1]:5000/v2/", true},
		{"http://reg.example:5000/v2/", true},
		{"http://10.1.2.3:5000/v2/", false},
		{"http://192.168.1.1/v2/", false},
		{"http://reg.example/v2/", false},
		{"https://10.1.2.3/v2/", true},
	}
	for _, tc := range tests {
		req, _ := http.NewRequest(http.MethodGet, tc.url, nil)
		_, err := tr.RoundTrip(req)
		if allowed := errors.Is(err, errReached); allowed != tc.allowed {
			t.Errorf("%s: allowed %v, want %v (%v)", tc.url, allowed, tc.allowed, err)
		}
	}
}

var errReached = errors.New("reached the network")

// failingTransport stands for the network, which the test never reaches.
type failingTransport struct{}

func (failingTransport) RoundTrip(*http.Request) (*http.Response, error) { return nil, errReached }

func TestParseDefaults(t *testing.T) {
	hub := &Client{Store: &image.Store{Registries: image.Registries{Default: image.DockerHub}}}
	local := &Client{Store: &image.Store{Registries: image.Registries{Default: "127.0.0.1:5000"}}}
	tests := []struct {
		r        *Client
		in, want string
	}{
		{hub, "busybox", "index.docker.io/library/busybox:latest"},
		{hub, "user/app:1", "index.docker.io/user/app:1"},
		{local, "busybox", "127.0.0.1:5000/busybox:latest"},
		{local, "other:5001/x", "other:5001/x:latest"},
		{hub, "bb@sha256:" + strings.Repeat("a", 64), "index.docker.io/library/bb@sha256:" + strings.Repeat("a", 64)},
	}
	for _, tc := range tests {
		got, err := tc.r.Parse(tc.in)
		if err != nil || got.Name() != tc.want {
			t.Errorf("Parse(%q) = %v, %v; want %s", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "UPPER", "a b", "x:bad tag"} {
		if _, err := hub.Parse(bad); err == nil {
			t.Errorf("Parse(%q) accepted", bad)
		}
	}
}

// Token auth, as Docker Hub and most registries do it: the registry
// answers 401 with a Bearer challenge, the client trades the saved
// credentials for a token at the realm and retries with it.
func TestTokenAuth(t *testing.T) {
	hostcheck.RequireRoot(t)
	pushing := true
	r := startRegistry(t, func(req *http.Request) bool {
		return pushing || req.Header.Get("Authorization") == "Bearer good-token"
	})
	r.token = func(w http.ResponseWriter, req *http.Request) {
		if u, p, ok := req.BasicAuth(); !ok || u != "carol" || p != "pw" {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"token": "good-token"}`)
	}
	r.challenge = `Bearer realm="http://` + r.host + `/token",service="test"`
	r.push(t, "tok:1", imageOf(t, v1.Config{}, layerOf(t, "f", "t")))
	pushing = false
	s := newStore(t, r)
	ctx := context.Background()
	if err := s.Login(ctx, r.host, "carol", "wrong"); !errors.Is(err, ErrUnauthorized) {
		t.Fatalf("login with a wrong password: %v", err)
	}
	if err := s.Login(ctx, r.host, "carol", "pw"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Pull(ctx, "tok:1", io.Discard, false); err != nil {
		t.Fatal(err)
	}
}
