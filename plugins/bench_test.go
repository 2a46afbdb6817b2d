package plugins

import (
	"context"
	"testing"

	"github.com/mydocker/mydocker/core"
)

// BenchmarkHookCall is the cost of one hook call to a trivial plugin
// process: what each loaded plugin adds per hook point per run.
func BenchmarkHookCall(b *testing.B) {
	requireRoot(b)
	benchHookCall(b, pluginPath("noop"))
}

// benchHookCall times back-to-back pre-clone calls to one plugin.
func benchHookCall(b *testing.B, path string) {
	h, err := Load(Options{Paths: []string{path}, Stderr: &syncBuffer{}})
	if err != nil {
		b.Fatal(err)
	}
	defer h.Close()
	spec := &core.Spec{ID: "bench", Args: []string{"true"}, Hostname: "bench"}
	for b.Loop() {
		if err := h.PreClone(context.Background(), spec); err != nil {
			b.Fatal(err)
		}
		h.preCloned = nil // no post-stop owed: nothing ran
	}
}
