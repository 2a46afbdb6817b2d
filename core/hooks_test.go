package core_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// postMountHooks is an in-process core.Hooks: its PostMount takes its
// time, then records whether the command had run meanwhile (it writes
// marker), and refuses when told to.
type postMountHooks struct {
	marker string
	refuse bool
	ranYet bool // the marker existed as PostMount returned
}

func (h *postMountHooks) PreClone(context.Context, *core.Spec) error { return nil }

func (h *postMountHooks) PostMount(context.Context, core.State) error {
	time.Sleep(50 * time.Millisecond) // the init goes on meanwhile
	_, err := os.Stat(h.marker)
	h.ranYet = err == nil
	if h.refuse {
		return errors.New("refused by the test")
	}
	return nil
}

func (h *postMountHooks) PostStop(context.Context, core.StopState) {}

// The command starts only after the post-mount hooks have returned, and
// never if one refuses: the init goes on with its security steps
// meanwhile and waits just before the exec, in the host's root and in a
// root of its own (told once pivot_root is done).
func TestPostMountHooksComeBeforeTheCommand(t *testing.T) {
	requireRoot(t)
	dir := t.TempDir()
	for _, tc := range []struct {
		name   string
		rootfs bool
		refuse bool
	}{
		{"host root", false, false},
		{"host root, refused", false, true},
		{"own root", true, false},
		{"own root, refused", true, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			marker := filepath.Join(dir, "ran")
			os.Remove(marker)
			words, out := []string{}, dir // the host's root sees dir as it is
			if tc.rootfs {
				words, out = []string{"-v", dir + ":/out", "--rootfs", testrootfs.Busybox(t)}, "/out"
			}
			words = append(words, "/bin/sh", "-c", "echo > "+out+"/ran")
			spec, err := cli.ParseRun(words)
			if err != nil {
				t.Fatal(err)
			}
			h := &postMountHooks{marker: marker, refuse: tc.refuse}
			status, err := (&core.Runtime{Hooks: h}).Run(context.Background(), spec, core.Stdio{})
			if h.ranYet {
				t.Fatal("the command ran before the post-mount hook")
			}
			_, readErr := os.Stat(marker)
			if tc.refuse {
				if err == nil || status != core.ExitRuntimeError || readErr == nil {
					t.Fatalf("refused: status %d, err %v, command ran: %v", status, err, readErr == nil)
				}
				return
			}
			if err != nil || status != 0 || readErr != nil {
				t.Fatalf("status %d, err %v, marker %v", status, err, readErr)
			}
		})
	}
}
