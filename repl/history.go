package repl

import (
	"io"
	"os"
	"path/filepath"
	"strings"
)

// History limits: how many lines are loaded and kept, and how many bytes
// of the file are read at most (its end).
const (
	maxHistory      = 1000
	maxHistoryBytes = 256 << 10
)

// history persists interactive lines to a file, one per line, so the next
// session can recall them with the arrow keys. Only a regular file is
// read, and only its last maxHistoryBytes; a line repeating the one before
// is not saved again; the file is cut back to its last maxHistory lines
// when it grows to twice that. Failures to read or write it never disturb
// the session: history is a convenience.
type history struct {
	path  string
	last  string // the newest line, to skip repeats
	count int    // lines in the file, as far as known
}

func newHistory(path string) *history { return &history{path: path} }

// load returns the most recent lines, oldest first.
func (h *history) load() []string {
	lines := h.read()
	if len(lines) > 0 {
		h.last = lines[len(lines)-1]
	}
	h.count = len(lines)
	if len(lines) > maxHistory {
		lines = lines[len(lines)-maxHistory:]
	}
	return lines
}

// read returns the file's lines, from at most its last maxHistoryBytes.
func (h *history) read() []string {
	if h.path == "" {
		return nil
	}
	f, err := os.Open(h.path)
	if err != nil {
		return nil
	}
	defer f.Close()
	info, err := f.Stat()
	if err != nil || !info.Mode().IsRegular() {
		return nil // not /dev/full, a fifo, a directory
	}
	start := max(info.Size()-maxHistoryBytes, 0)
	b, err := io.ReadAll(io.NewSectionReader(f, start, maxHistoryBytes))
	if err != nil {
		return nil
	}
	text := string(b)
	if start > 0 { // the first line may be cut: drop it
		if i := strings.IndexByte(text, '\n'); i >= 0 {
			text = text[i+1:]
		}
	}
	text = strings.TrimRight(text, "\n")
	if text == "" {
		return nil
	}
	return strings.Split(text, "\n")
}

// add appends a non-blank line that differs from the one before.
func (h *history) add(line string) {
	if h.path == "" || strings.TrimSpace(line) == "" || strings.ContainsRune(line, '\n') || line == h.last {
		return
	}
	h.last = line
	if info, err := os.Stat(h.path); err == nil && !info.Mode().IsRegular() {
		return
	}
	f, err := os.OpenFile(h.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return
	}
	_, _ = f.WriteString(line + "\n")
	f.Close()
	if h.count++; h.count >= 2*maxHistory {
		h.trim()
	}
}

// trim rewrites the file with its last maxHistory lines, atomically.
func (h *history) trim() {
	lines := h.read()
	if len(lines) > maxHistory {
		lines = lines[len(lines)-maxHistory:]
	}
	tmp, err := os.CreateTemp(filepath.Dir(h.path), ".mydocker_history-*")
	if err != nil {
		return
	}
	_, werr := tmp.WriteString(strings.Join(lines, "\n") + "\n")
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Chmod(tmp.Name(), 0o600) != nil || os.Rename(tmp.Name(), h.path) != nil {
		os.Remove(tmp.Name())
		return
	}
	h.count = len(lines)
}
