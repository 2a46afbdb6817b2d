package repl

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHistory(t *testing.T) {
	path := filepath.Join(t.TempDir(), "history")
	h := newHistory(path)
	for _, l := range []string{"run a", "run a", "  ", "run b", "run a"} {
		h.add(l)
	}
	if b, _ := os.ReadFile(path); string(b) != "run a\nrun b\nrun a\n" {
		t.Errorf("a repeated line is saved once, blanks never:\n%s", b)
	}
	// Grown to twice the limit, the file is cut back to its last lines.
	for i := 0; i < 2*maxHistory; i++ {
		h.add(fmt.Sprintf("run %d", i))
	}
	b, _ := os.ReadFile(path)
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	if len(lines) > 2*maxHistory || lines[len(lines)-1] != fmt.Sprintf("run %d", 2*maxHistory-1) {
		t.Errorf("history file has %d lines, last %q", len(lines), lines[len(lines)-1])
	}
	if got := newHistory(path).load(); len(got) != maxHistory || got[len(got)-1] != lines[len(lines)-1] {
		t.Errorf("load: %d lines", len(got))
	}
	// Only a regular file is read, and only its end.
	if got := newHistory("/dev/zero").load(); got != nil {
		t.Errorf("read a device: %d lines", len(got))
	}
	big := filepath.Join(t.TempDir(), "big")
	os.WriteFile(big, []byte(strings.Repeat(strings.Repeat("x", 1000)+"\n", 1000)), 0o600)
	if got := newHistory(big).load(); len(got) > maxHistoryBytes/1000+1 {
		t.Errorf("read %d lines of a 1 MB file", len(got))
	}
}
