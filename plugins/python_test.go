package plugins

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// pythonPlugin is the example plugin in Python, which needs Debian's
// python3-grpcio and python3-protobuf (.ci/run installs them).
func pythonPlugin(tb testing.TB) string {
	tb.Helper()
	if err := exec.Command("/usr/bin/python3", "-c", "import grpc, google.protobuf").Run(); err != nil {
		if os.Getenv("CI") == "true" {
			tb.Fatal("python3-grpcio and python3-protobuf are missing, and CI must not skip")
		}
		tb.Skip("needs python3-grpcio and python3-protobuf")
	}
	abs, err := filepath.Abs("examples/python/plugin.py")
	if err != nil {
		tb.Fatal(err)
	}
	return abs
}

// A plugin in another language, through the protocol alone: it edits only
// env (the rest stays), vetoes with PERMISSION_DENIED, does not implement
// post-mount, hears post-stop, and is shut down gracefully.
func TestPythonPlugin(t *testing.T) {
	for _, protocol := range []string{"2", "1"} {
		t.Run("protocol "+protocol, func(t *testing.T) {
			t.Setenv("PY_PLUGIN_PROTOCOL", protocol)
			testPythonPlugin(t)
		})
	}
}

func testPythonPlugin(t *testing.T) {
	requireRoot(t)
	path := pythonPlugin(t)
	log := filepath.Join(t.TempDir(), "poststop")
	t.Setenv("PY_PLUGIN_LOG", log)
	h, err := Load(Options{Paths: []string{path}, Stderr: &syncBuffer{}})
	if err != nil {
		t.Fatal(err)
	}
	r := runIn(t, h, "sh", "-c", "echo $FROM_PYTHON; hostname | wc -c")
	if r.err != nil || r.out != "yes\n13\n" {
		t.Errorf("edit: status %d out %q err %v", r.status, r.out, r.err)
	}
	r = runIn(t, h, "forbidden")
	if r.status != 125 || r.err == nil || r.err.Error() != `plugin plugin.py: pre-clone: 'forbidden' is denied by the Python plugin` {
		t.Errorf("veto: status %d err %v", r.status, r.err)
	}
	if rep := h.plugins[0].report(); rep.starts != 1 || !rep.skip[hookPostMount] {
		t.Errorf("report %+v: one start, post-mount skipped", rep)
	}
	h.Close()
	b, _ := os.ReadFile(log)
	if lines := strings.Split(strings.TrimSpace(string(b)), "\n"); len(lines) != 2 || !strings.HasSuffix(lines[0], " exited 0") || !strings.HasSuffix(lines[1], " vetoed 125") {
		t.Errorf("post-stop log:\n%s", b)
	}
}

// BenchmarkHookCallPython is BenchmarkHookCall with the Python plugin.
func BenchmarkHookCallPython(b *testing.B) {
	requireRoot(b)
	benchHookCall(b, pythonPlugin(b))
}
