package lifecycle

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/store"
)

// A detached container's output is in its state directory, written by its
// monitor in the CRI log format, one record a line:
//
//	2026-11-30T08:50:37.860969157Z stdout F a whole line
//	2026-11-30T08:50:37.861369626Z stdout P a partial line, continued by the next
//
// core.LogFile is rotated to core.OldLogFile at core.DefaultLogMax, so at
// most twice that is kept: `logs` reads both.

// LogOptions are the flags of `logs`.
type LogOptions struct {
	Follow     bool // -f: go on until the container ends
	Tail       int  // --tail N: only the last N lines; < 0: all
	Timestamps bool // prefix each line with the time it was written
}

// ErrNoLogs means logs was asked of a container that ran in the foreground.
var ErrNoLogs = errors.New("has no logs: it ran in the foreground, its output went to its terminal")

// record is one parsed log line.
type record struct {
	time    []byte
	stderr  bool
	partial bool
	text    []byte
}

// parseRecord reads one log line; ok is false for a malformed one.
func parseRecord(line []byte) (r record, ok bool) {
	f := bytes.SplitN(line, []byte{' '}, 4)
	if len(f) < 3 {
		return r, false
	}
	r.time, r.stderr, r.partial = f[0], string(f[1]) == "stderr", string(f[2]) == "P"
	if len(f) == 4 {
		r.text = f[3]
	}
	return r, true
}

// logWriter puts records back together on the two streams.
type logWriter struct {
	out, err   io.Writer
	timestamps bool
	midLine    [2]bool // a partial line is open on stdout, stderr
}

func (w *logWriter) write(r record) error {
	dst, i := w.out, 0
	if r.stderr {
		dst, i = w.err, 1
	}
	var b []byte
	if w.timestamps && !w.midLine[i] {
		b = append(append(b, r.time...), ' ')
	}
	b = append(b, r.text...)
	if !r.partial {
		b = append(b, '\n')
	}
	w.midLine[i] = r.partial
	_, err := dst.Write(b)
	return err
}

// Logs writes the container's output, stdout to out and stderr to errOut.
func (m *Manager) Logs(ctx context.Context, ref string, o LogOptions, out, errOut io.Writer) error {
	c, err := m.Store.Resolve(ref)
	if err != nil {
		return err
	}
	if !c.Detached {
		return fmt.Errorf("container %s %w", c.Name, ErrNoLogs)
	}
	w := &logWriter{out: out, err: errOut, timestamps: o.Timestamps}
	old, _ := os.ReadFile(filepath.Join(c.Dir, core.OldLogFile))
	cur, err := os.Open(filepath.Join(c.Dir, core.LogFile))
	if err != nil {
		return fmt.Errorf("read the logs of %s: %w", c.Name, err)
	}
	defer func() { cur.Close() }()
	now, err := io.ReadAll(cur)
	if err != nil {
		return fmt.Errorf("read the logs of %s: %w", c.Name, err)
	}
	recs := parseAll(append(old, now...))
	if o.Tail >= 0 {
		recs = lastLines(recs, o.Tail)
	}
	for _, r := range recs {
		if err := w.write(r); err != nil {
			return err
		}
	}
	if !o.Follow {
		return nil
	}
	return m.follow(ctx, c, cur, int64(len(now)), w)
}

// follow writes what is appended to the log until the container has ended
// and its log is drained. Rotation is seen as the file being replaced.
func (m *Manager) follow(ctx context.Context, c *store.Container, cur *os.File, off int64, w *logWriter) error {
	path := filepath.Join(c.Dir, core.LogFile)
	var pending []byte // a line not yet complete in the file
	for {
		ended := false
		if now, err := m.Store.Get(c.ID); err != nil || now.Status == store.Exited {
			ended = true
		}
		b, _ := io.ReadAll(cur)
		// Replaced: read the rest of the old file, then the new one.
		if st, err := os.Stat(path); err == nil && !sameFile(cur, st) {
			if next, err := os.Open(path); err == nil {
				rest, _ := io.ReadAll(cur)
				b = append(b, rest...)
				cur.Close()
				*cur = *next
			}
		}
		pending = append(pending, b...)
		if i := bytes.LastIndexByte(pending, '\n'); i >= 0 {
			for _, r := range parseAll(pending[:i+1]) {
				if err := w.write(r); err != nil {
					return err
				}
			}
			pending = append([]byte(nil), pending[i+1:]...)
		}
		if ended && len(b) == 0 {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil // ^C ends -f, as in docker
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func sameFile(f *os.File, st os.FileInfo) bool {
	fst, err := f.Stat()
	if err != nil {
		return false
	}
	a, ok1 := fst.Sys().(*syscall.Stat_t)
	b, ok2 := st.Sys().(*syscall.Stat_t)
	return ok1 && ok2 && a.Ino == b.Ino && a.Dev == b.Dev
}

func parseAll(b []byte) []record {
	var recs []record
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		if r, ok := parseRecord(append([]byte(nil), sc.Bytes()...)); ok {
			recs = append(recs, r)
		}
	}
	return recs
}

// lastLines keeps the records of the last n lines. A line is a full
// record and the partial records before it on the same stream (the other
// stream may write between them); lines count in the order they end.
func lastLines(recs []record, n int) []record {
	line := make([]int, len(recs)) // each record's line
	var open [2]int                // the line a stream's partial record left open, +1
	lines := 0
	for i, r := range recs {
		s := 0
		if r.stderr {
			s = 1
		}
		if open[s] > 0 {
			line[i] = open[s] - 1
		} else {
			line[i], lines = lines, lines+1
		}
		open[s] = 0
		if r.partial {
			open[s] = line[i] + 1
		}
	}
	keep := map[int]bool{}
	for i := len(recs) - 1; i >= 0 && len(keep) < n; i-- {
		keep[line[i]] = true // lines in the order their last record comes
	}
	var out []record
	for i, r := range recs {
		if keep[line[i]] {
			out = append(out, r)
		}
	}
	return out
}
