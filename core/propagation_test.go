package core_test

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"testing"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
)

// TestSharedRootDoesNotLeak reproduces the book's most reported bug: on a
// host whose / is a shared mount (systemd's default), the container's proc
// mount propagated back and broke the host's /proc. This host's / may be
// private, so the test makes a "host" of its own: a mount namespace with /
// recursively shared, in which it runs a container and then checks /proc.
func TestSharedRootDoesNotLeak(t *testing.T) {
	requireRoot(t)
	if os.Getenv("MYDOCKER_SHARED_HOST") == "1" {
		sharedHostCheck(t)
		return
	}
	cmd := exec.Command("unshare", "--mount", "--propagation", "shared", os.Args[0], "-test.run=^TestSharedRootDoesNotLeak$", "-test.v")
	cmd.Env = append(os.Environ(), "MYDOCKER_SHARED_HOST=1")
	out, err := cmd.CombinedOutput()
	if err != nil || !bytes.Contains(out, []byte("--- PASS")) {
		t.Fatalf("in a shared-root mount namespace: %v\n%s", err, out)
	}
}

// sharedHostCheck runs inside the shared-root namespace.
func sharedHostCheck(t *testing.T) {
	before, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(before, []byte(" / / rw")) || !bytes.Contains(before, []byte("shared:")) {
		t.Fatalf("/ is not shared here:\n%s", before)
	}
	spec, err := cli.ParseRun([]string{"true"})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := (&core.Runtime{}).Run(context.Background(), spec, core.Stdio{}); st != 0 || err != nil {
		t.Fatalf("run: %d %v", st, err)
	}
	if _, err := os.Readlink("/proc/self/exe"); err != nil {
		t.Fatalf("/proc broken after a run: %v", err)
	}
	after, _ := os.ReadFile("/proc/self/mountinfo")
	if !bytes.Equal(before, after) {
		t.Fatalf("mount table changed:\n%s\n---\n%s", before, after)
	}
}
