package lifecycle

import (
	"errors"
	"slices"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
)

// TestApply checks docker's rules for combining an image's config with
// the command line.
func TestApply(t *testing.T) {
	cfg := v1.Config{Entrypoint: []string{"/ep", "x"}, Cmd: []string{"default"}, Env: []string{"PATH=/img", "A=1"},
		WorkingDir: "/w", User: "nobody"}
	noEP := v1.Config{Cmd: []string{"/bin/sh"}}
	tests := []struct {
		name     string
		cfg      v1.Config
		cmd      Cmdline
		spec     core.Spec
		args     []string
		env      []string
		workdir  string
		user     string
		wantFail bool
	}{
		{"image's own", cfg, Cmdline{}, core.Spec{}, []string{"/ep", "x", "default"}, []string{"PATH=/img", "A=1"}, "/w", "nobody", false},
		{"args replace Cmd", cfg, Cmdline{Args: []string{"a", "b"}}, core.Spec{}, []string{"/ep", "x", "a", "b"}, nil, "/w", "nobody", false},
		{"--entrypoint drops Cmd", cfg, Cmdline{Entrypoint: []string{"/other"}}, core.Spec{}, []string{"/other"}, nil, "", "", false},
		{"--entrypoint with args", cfg, Cmdline{Entrypoint: []string{"/other"}, Args: []string{"y"}}, core.Spec{}, []string{"/other", "y"}, nil, "", "", false},
		{"--entrypoint '' and args", cfg, Cmdline{Entrypoint: []string{}, Args: []string{"ls"}}, core.Spec{}, []string{"ls"}, nil, "", "", false},
		{"--entrypoint '' alone", cfg, Cmdline{Entrypoint: []string{}}, core.Spec{}, nil, nil, "", "", true},
		{"-e over image Env", cfg, Cmdline{Env: []string{"A=2"}}, core.Spec{}, nil, []string{"PATH=/img", "A=2"}, "", "", false},
		{"-w and -u win", cfg, Cmdline{}, core.Spec{WorkDir: "/mine", User: "0"}, nil, nil, "/mine", "0", false},
		{"no entrypoint", noEP, Cmdline{}, core.Spec{}, []string{"/bin/sh"}, []string{"PATH=" + core.DefaultPath}, "", "", false},
	}
	s := &image.Store{Root: "/images"}
	img := &image.Image{Ref: "r/x:1", Layers: []v1.Hash{{Algorithm: "sha256", Hex: "aa"}, {Algorithm: "sha256", Hex: "bb"}}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec
			spec.Hostname = "h"
			err := applyImage(s, &spec, img, &v1.ConfigFile{Config: tc.cfg}, tc.cmd)
			if tc.wantFail {
				if !errors.Is(err, core.ErrInvalid) {
					t.Fatalf("err %v, want ErrInvalid", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tc.args != nil && !slices.Equal(spec.Args, tc.args) {
				t.Errorf("args %q, want %q", spec.Args, tc.args)
			}
			for _, kv := range tc.env {
				if !slices.Contains(spec.Env, kv) {
					t.Errorf("env %q lacks %s", spec.Env, kv)
				}
			}
			if tc.workdir != "" && spec.WorkDir != tc.workdir || tc.user != "" && spec.User != tc.user {
				t.Errorf("workdir %q user %q, want %q %q", spec.WorkDir, spec.User, tc.workdir, tc.user)
			}
			if want := []string{"/images/layers/bb/root", "/images/layers/aa/root"}; !slices.Equal(spec.Layers, want) {
				t.Errorf("layers %q, want topmost first %q", spec.Layers, want)
			}
		})
	}
}
