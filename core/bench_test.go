package core_test

import (
	"context"
	"os/exec"
	"testing"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
)

// The reference: util-linux unshare with the same namespaces and a fresh
// /proc, started from this (running) Go process just like our containers.
var unshareTrue = []string{"unshare", "--uts", "--pid", "--mount", "--net", "--ipc", "--fork", "--mount-proc", "/bin/true"}

// BenchmarkRunTrue is a container start from an already running process:
// the path every REPL `run` takes. Compare with BenchmarkUnshareTrue from
// the same run (bench/run.sh prints the ratio).
func BenchmarkRunTrue(b *testing.B) {
	requireRoot(b)
	rt := &core.Runtime{}
	for b.Loop() {
		spec, err := cli.ParseRun([]string{"/bin/true"})
		if err != nil {
			b.Fatal(err)
		}
		if st, err := rt.Run(context.Background(), spec, core.Stdio{}); st != 0 || err != nil {
			b.Fatalf("run: %d %v", st, err)
		}
	}
}

// BenchmarkUnshareTrue is the C floor for BenchmarkRunTrue.
func BenchmarkUnshareTrue(b *testing.B) {
	requireRoot(b)
	path, err := exec.LookPath(unshareTrue[0])
	if err != nil {
		b.Skip("no unshare(1)")
	}
	for b.Loop() {
		if err := exec.Command(path, unshareTrue[1:]...).Run(); err != nil {
			b.Fatal(err)
		}
	}
}

// The cost of each default protection, as the difference to a run
// without it (bench/run.sh prints them): the seccomp filter (loading the
// cached program), the device cgroup (create, join, remove) with the
// masks, and everything (--privileged: all capabilities, no filter, no
// device cgroup, no masks).
func BenchmarkRunTrueNoSeccomp(b *testing.B) {
	benchRun(b, "--security-opt", "seccomp=unconfined", "/bin/true")
}

// BenchmarkRunTruePrivileged starts a container with no protection.
func BenchmarkRunTruePrivileged(b *testing.B) { benchRun(b, "--privileged", "/bin/true") }

func benchRun(b *testing.B, words ...string) {
	requireRoot(b)
	rt := &core.Runtime{}
	for b.Loop() {
		spec, err := cli.ParseRun(words)
		if err != nil {
			b.Fatal(err)
		}
		if st, err := rt.Run(context.Background(), spec, core.Stdio{}); st != 0 || err != nil {
			b.Fatalf("run: %d %v", st, err)
		}
	}
}
