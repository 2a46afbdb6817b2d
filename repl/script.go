package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
)

// runScript executes the lines of a non-terminal input in order. Errors are
// printed and the script goes on, like sh without -e.
//
// Lines are read one byte at a time, as sh reads a script from a pipe, so
// that nothing is read ahead: a `run -i` container reads the rest of the
// input from exactly the line after its own.
//
// A line ending in `\` or inside a quote goes on on the next line, as in
// sh; errors name the command's first line.
func (r *REPL) runScript(ctx context.Context) int {
	defer func() { r.where = "" }()
	var cont continuation
	first := 0
	for n := 1; ; n++ {
		line, err := readLine(r.opts.In)
		if line != "" || err == nil {
			if !cont.pending() {
				first = n
			}
			if full, more := cont.add(line); !more {
				r.where = fmt.Sprintf("line %d: ", first)
				if status, done := r.ExecLine(ctx, full); done {
					return status
				}
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				r.where = ""
				r.printErr(fmt.Errorf("read commands: %w", err))
				return 2
			}
			if cont.pending() {
				r.where = fmt.Sprintf("line %d: ", first)
				r.status = 2
				r.printErr(errUnfinished)
			}
			return r.status
		}
	}
}

// readLine reads up to and without the next newline. At the end of input it
// returns what there was with io.EOF.
func readLine(in io.Reader) (string, error) {
	var b strings.Builder
	var c [1]byte
	for {
		n, err := in.Read(c[:])
		if n == 1 {
			if c[0] == '\n' {
				return b.String(), nil
			}
			b.WriteByte(c[0])
			continue
		}
		if err != nil {
			return b.String(), err
		}
	}
}
