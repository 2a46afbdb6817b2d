package repl

import (
	"context"
	"fmt"

	prompt "github.com/c-bata/go-prompt"
	"golang.org/x/term"
)

// This file is the only one that knows go-prompt: the seam where the line
// editor could be swapped. It is pinned to the 2025 upstream commit
// (v0.2.7-0.20250812090649-d000795a4f93) because the tagged v0.2.6 leaves the
// terminal raw for child processes and after exit (go mod tidy silently
// picks that tag again if the pin is lost: the interactive tests catch it).

// runInteractive reads commands at the `mydocker> ` prompt until `exit` or
// Ctrl-D on an empty line. Ctrl-C clears the line.
func (r *REPL) runInteractive(ctx context.Context) int {
	fd := int(r.tty.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		r.printErr(fmt.Errorf("read terminal modes: %w", err))
		return 1
	}
	// Whatever way Run ends, the modes are exactly as they were.
	defer term.Restore(fd, saved)
	hist := newHistory(r.opts.HistoryFile)
	comp := newCompleter()
	exiting := false
	p := prompt.New(
		func(line string) {
			hist.add(line)
			if _, done := r.ExecLine(ctx, line); done {
				exiting = true
			}
		},
		func(d prompt.Document) []prompt.Suggest {
			return toSuggest(comp.complete(d.TextBeforeCursor()))
		},
		prompt.OptionPrefix(r.opts.Prompt),
		prompt.OptionTitle("mydocker"),
		prompt.OptionHistory(hist.load()),
		// Leave Run through its exit checker, never os.Exit, so that
		// deferred clean-up runs. It is also called on every keystroke
		// with breakline false: only a finished `exit` line counts.
		prompt.OptionSetExitCheckerOnInput(func(_ string, breakline bool) bool { return breakline && exiting }),
		prompt.OptionPrefixTextColor(prompt.Blue),
	)
	p.Run()
	if exiting {
		// go-prompt has drawn the next prompt before checking for exit:
		// clear that line so the shell's prompt starts clean.
		r.opts.Out.Write([]byte("\r\x1b[K"))
	}
	return r.status
}

func toSuggest(s []suggestion) []prompt.Suggest {
	out := make([]prompt.Suggest, len(s))
	for i, x := range s {
		out[i] = prompt.Suggest{Text: x.text, Description: x.desc}
	}
	return out
}
