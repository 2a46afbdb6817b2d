package image

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"time"

	"github.com/mydocker/mydocker/internal/sibling"
)

// What needs the network (pull, login) or reference parsing (tag) runs in
// the helper binary mydocker-images (package registry), started per
// command. It inherits the store's root and the registry settings, writes
// pull progress to the output it is given, and answers on fd 3 with one
// JSON line: {"ref": ..., "digest": ...} or {"error": ...}.

// HelperName is the helper's binary; HelperEnv, when set, is its path
// (tests); otherwise it is looked for next to mydocker, then on PATH.
const (
	HelperName = "mydocker-images"
	HelperEnv  = "MYDOCKER_IMAGE_HELPER"
)

// HelperAnswer is the helper's line on fd 3.
type HelperAnswer struct {
	Ref    string `json:"ref,omitempty"`
	Digest string `json:"digest,omitempty"`
	Error  string `json:"error,omitempty"`
}

func helperPath() (string, error) {
	p, err := sibling.Find(HelperName, HelperEnv)
	if err != nil {
		return "", fmt.Errorf("images need %s next to mydocker or on PATH (build.sh builds it)", HelperName)
	}
	return p, nil
}

// helper runs mydocker-images with args; ^C (ctx) asks it to stop
// cleanly (SIGTERM), as a pull leaves nothing half-done behind.
func (s *Store) helper(ctx context.Context, stdin io.Reader, out io.Writer, args ...string) (*HelperAnswer, error) {
	path, err := helperPath()
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	defer r.Close()
	cmd := exec.CommandContext(ctx, path, append([]string{"--root", s.Root}, args...)...)
	cmd.Env = append(os.Environ(), "MYDOCKER_REGISTRY="+s.Registries.Default,
		"MYDOCKER_INSECURE_REGISTRIES="+strings.Join(s.Registries.Insecure, ","))
	cmd.Stdin, cmd.Stdout, cmd.Stderr = stdin, out, os.Stderr
	cmd.ExtraFiles = []*os.File{w}
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 5 * time.Second
	if err := cmd.Start(); err != nil {
		w.Close()
		return nil, fmt.Errorf("start %s: %w", HelperName, err)
	}
	w.Close()
	answer, _ := io.ReadAll(r)
	waitErr := cmd.Wait()
	var a HelperAnswer
	if err := json.Unmarshal(bytes.TrimSpace(answer), &a); err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		return nil, fmt.Errorf("%s failed: %v", HelperName, waitErr)
	}
	if a.Error != "" {
		return nil, errors.New(a.Error)
	}
	return &a, nil
}

// Pull fetches ref into the store (package registry, in the helper) and
// returns it. Progress goes to out, redrawn in place when tty.
func (s *Store) Pull(ctx context.Context, ref string, out io.Writer, tty bool) (*Image, error) {
	args := []string{"pull"}
	if tty {
		args = append(args, "--tty")
	}
	a, err := s.helper(ctx, nil, out, append(args, "--", ref)...)
	if err != nil {
		return nil, err
	}
	all, err := s.List()
	if err != nil {
		return nil, err
	}
	for _, img := range all {
		if img.Ref == a.Ref && img.Digest.String() == a.Digest {
			return img, nil
		}
	}
	return nil, fmt.Errorf("pull %s: the image went from the store meanwhile", ref)
}

// Login checks and saves credentials for registry.
func (s *Store) Login(ctx context.Context, registry, user, password string) error {
	_, err := s.helper(ctx, strings.NewReader(password+"\n"), io.Discard, "login", "--", registry, user)
	return err
}

// TagAs names the image src also as dst (a user's reference, normalised
// with docker's defaults).
func (s *Store) TagAs(ctx context.Context, src, dst string) error {
	_, err := s.helper(ctx, nil, io.Discard, "tag", "--", src, dst)
	return err
}
