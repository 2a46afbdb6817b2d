package core

import (
	"context"
	"os/exec"
	"testing"
)

// The reference: util-linux unshare with the same namespaces and a fresh
// /proc, started from this (running) Go process just like our containers.
var unshareTrue = []string{"unshare", "--uts", "--pid", "--mount", "--net", "--ipc", "--fork", "--mount-proc", "/bin/true"}

// BenchmarkRunTrue is a container start from an already running process:
// the path every REPL `run` takes. Compare with BenchmarkUnshareTrue from
// the same run (bench/run.sh prints the ratio).
func BenchmarkRunTrue(b *testing.B) {
	requireRoot(b)
	rt := &Runtime{}
	for b.Loop() {
		spec, err := ParseRun([]string{"/bin/true"})
		if err != nil {
			b.Fatal(err)
		}
		if st, err := rt.Run(context.Background(), spec, Stdio{}); st != 0 || err != nil {
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
