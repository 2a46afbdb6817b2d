package image

import (
	"errors"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

func hash(c string) v1.Hash { return v1.Hash{Algorithm: "sha256", Hex: strings.Repeat(c, 64)} }

func TestLookupSpellings(t *testing.T) {
	hub := &Store{Registries: Registries{Default: DockerHub}}
	local := &Store{Registries: Registries{Default: "reg:5000"}}
	images := []*Image{
		{Ref: "index.docker.io/library/busybox:latest", Repository: "index.docker.io/library/busybox", Digest: hash("a"), Config: hash("1")},
		{Ref: "index.docker.io/user/app:1", Repository: "index.docker.io/user/app", Digest: hash("b"), Config: hash("2")},
		{Ref: "reg:5000/app:latest", Repository: "reg:5000/app", Digest: hash("c"), RepoDigest: "sha256:" + strings.Repeat("d", 64), Config: hash("3")},
		{Repository: "reg:5000/app", Digest: hash("e"), Config: hash("4")}, // dangling
	}
	tests := []struct {
		s         *Store
		ref, want string // want: the digest's first hex digit, "" for none
	}{
		{hub, "busybox", "a"},
		{hub, "busybox:latest", "a"},
		{hub, "library/busybox", "a"},
		{hub, "index.docker.io/library/busybox:latest", "a"},
		{hub, "docker.io/library/busybox", "a"},
		{hub, "busybox:1", ""},
		{hub, "user/app:1", "b"},
		{hub, "app:1", ""},
		{hub, "reg:5000/app", "c"},
		{local, "app", "c"},
		{local, "busybox", ""},
		{local, "app@sha256:" + strings.Repeat("d", 64), "c"}, // the index digest it was pulled by
		{local, "reg:5000/app@" + hash("e").String(), "e"},
		{local, "1111", "a"}, // image id prefix
		{local, "sha256:2222", "b"},
	}
	for _, tc := range tests {
		got := tc.s.match(images, tc.ref)
		if got == nil {
			got, _ = byID(images, tc.ref)
		}
		switch {
		case tc.want == "" && got != nil:
			t.Errorf("%q found %s, want none", tc.ref, got.Digest)
		case tc.want != "" && (got == nil || got.Digest.Hex[:1] != tc.want):
			t.Errorf("%q found %v, want the image %s...", tc.ref, got, tc.want)
		}
	}
	if _, err := byID(append(images, &Image{Config: v1.Hash{Algorithm: "sha256", Hex: "1111" + strings.Repeat("f", 60)}}), "1111"); err == nil {
		t.Error("an ambiguous id prefix was accepted")
	}
}

func TestDisplay(t *testing.T) {
	hub := &Store{Registries: Registries{Default: DockerHub}}
	local := &Store{Registries: Registries{Default: "reg:5000"}}
	tests := []struct {
		s          *Store
		full, want string
	}{
		{hub, "index.docker.io/library/busybox:latest", "busybox:latest"},
		{hub, "index.docker.io/user/app:1", "user/app:1"},
		{hub, "reg:5000/app:1", "reg:5000/app:1"},
		{local, "reg:5000/app:1", "app:1"},
		{local, "reg:5000/app@sha256:abc", "app@sha256:abc"},
		{local, "", "<none>"},
	}
	for _, tc := range tests {
		if got := tc.s.Display(tc.full); got != tc.want {
			t.Errorf("Display(%q) = %q, want %q", tc.full, got, tc.want)
		}
	}
	if _, err := local.Lookup("x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("lookup in an empty store: %v", err)
	}
}
