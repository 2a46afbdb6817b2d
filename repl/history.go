package repl

import (
	"os"
	"strings"
)

// maxHistory is how many past lines are loaded from the history file.
const maxHistory = 1000

// history persists interactive lines to a file, one per line, so the next
// session can recall them with the arrow keys. Failures to read or write it
// never disturb the session: history is a convenience.
type history struct{ path string }

func newHistory(path string) *history { return &history{path: path} }

// load returns the most recent lines, oldest first.
func (h *history) load() []string {
	if h.path == "" {
		return nil
	}
	b, err := os.ReadFile(h.path)
	if err != nil {
		return nil
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > maxHistory {
		lines = lines[len(lines)-maxHistory:]
	}
	return lines
}

// add appends a non-blank line.
func (h *history) add(line string) {
	if h.path == "" || strings.TrimSpace(line) == "" || strings.ContainsRune(line, '\n') {
		return
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	defer f.Close()
	_, _ = f.WriteString(line + "\n")
}
