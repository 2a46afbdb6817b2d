package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"syscall"
)

// runPlain is the prompt for a terminal that cannot move its cursor
// (TERM=dumb or unset): the terminal's own line editing, a plain
// `mydocker> ` on it, no colour, no escape sequence. It ends as
// runInteractive does: exit, Ctrl-D, or the terminal going away (129).
func (r *REPL) runPlain(ctx context.Context) int {
	hist := newHistory(r.opts.HistoryFile)
	var cont continuation
	out := r.promptOut()
	for {
		prompt := r.opts.Prompt
		if cont.pending() {
			prompt = continuationPrompt
		}
		_, _ = io.WriteString(out, prompt)
		line, err := readLine(r.tty)
		if err == nil || line != "" {
			if full, more := cont.add(line); !more {
				hist.add(full)
				if status, done := r.ExecLine(ctx, full); done {
					return status
				}
				if r.hungUp {
					return ExitHangup
				}
			}
		}
		switch {
		case errors.Is(err, syscall.EIO):
			return ExitHangup
		case errors.Is(err, io.EOF):
			_, _ = io.WriteString(out, "\n")
			return r.status
		case err != nil:
			r.printErr(fmt.Errorf("read commands: %w", err))
			return 2
		}
	}
}
