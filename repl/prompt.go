package repl

import (
	"context"
	"fmt"
	"io"
	"os"

	prompt "github.com/c-bata/go-prompt"
	"golang.org/x/term"
)

// This file is the only one that knows go-prompt: the seam where the line
// editor could be swapped. go-prompt is a patched copy of upstream commit
// d000795a4f93 (third_party/go-prompt, its PATCHES.md says what changed and
// why); the rest is fixed from here, through its options: the input is
// ttyInput (terminal.go), the output goes to the terminal and never to
// stdout, NO_COLOR leaves out every colour, and no window title is set.

// ExitHangup is the status when the terminal went away (128 + SIGHUP).
const ExitHangup = 129

// runInteractive reads commands at the `mydocker> ` prompt until `exit`,
// Ctrl-D on an empty line, SIGTERM (status 1) or a hangup (129). Ctrl-C
// clears the line.
func (r *REPL) runInteractive(ctx context.Context) int {
	fd := int(r.tty.Fd())
	saved, err := term.GetState(fd)
	if err != nil {
		r.printErr(fmt.Errorf("read terminal modes: %w", err))
		return 1
	}
	in, err := newTTYInput(r.tty)
	if err != nil {
		r.printErr(fmt.Errorf("read terminal modes: %w", err))
		return 1
	}
	defer in.Close()
	// Whatever way Run ends, the modes are exactly as they were, unless the
	// terminal is gone.
	defer func() {
		if !in.hungUp.Load() {
			_ = term.Restore(fd, saved)
		}
	}()
	hist := newHistory(r.opts.HistoryFile)
	comp := newCompleter()
	comp.containers = r.containers().Store.List
	comp.images = r.containers().Images
	var cont continuation
	exiting := false
	opts := []prompt.Option{
		prompt.OptionParser(in),
		prompt.OptionWriter(r.promptWriter()),
		prompt.OptionPrefix(r.opts.Prompt),
		prompt.OptionLivePrefix(func() (string, bool) { return continuationPrompt, cont.pending() }),
		prompt.OptionHistory(hist.load()),
		// Ctrl-C drops a half-typed command, continuation lines included.
		prompt.OptionAddKeyBind(prompt.KeyBind{Key: prompt.ControlC, Fn: func(*prompt.Buffer) { cont.reset() }}),
		// Leave Run through its exit checker, never os.Exit, so that
		// deferred clean-up runs. It is also called on every keystroke
		// with breakline false: only a finished `exit` line counts.
		prompt.OptionSetExitCheckerOnInput(func(_ string, breakline bool) bool { return breakline && exiting }),
	}
	if colorful() {
		opts = append(opts, prompt.OptionPrefixTextColor(prompt.Blue))
	}
	p := prompt.New(
		func(line string) {
			full, more := cont.add(line)
			if more {
				return
			}
			hist.add(full)
			if _, done := r.ExecLine(ctx, full); done || r.hungUp {
				exiting = true
			}
		},
		func(d prompt.Document) []prompt.Suggest {
			return toSuggest(comp.complete(d.TextBeforeCursor()))
		},
		opts...,
	)
	p.Run()
	code, readErr := p.Stopped()
	switch {
	case r.hungUp || readErr != nil || code == ExitHangup:
		return ExitHangup
	case code != 0:
		return code
	}
	if exiting {
		// go-prompt has drawn the next prompt before checking for exit:
		// clear that line so the shell's prompt starts clean.
		_, _ = io.WriteString(r.promptOut(), "\r\x1b[K")
	}
	return r.status
}

// promptOut is where the prompt and the line editor write: the terminal,
// through stderr when stderr is that terminal, else the terminal itself.
func (r *REPL) promptOut() *os.File {
	if f, ok := r.opts.Err.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return f
	}
	return r.tty
}

func (r *REPL) promptWriter() prompt.ConsoleWriter {
	w := prompt.NewFdWriter(int(r.promptOut().Fd()))
	if !colorful() {
		return plainWriter{w}
	}
	return w
}

// plainWriter is go-prompt's writer without colours: NO_COLOR.
type plainWriter struct{ prompt.ConsoleWriter }

// SetColor does nothing: no colour at all.
func (plainWriter) SetColor(fg, bg prompt.Color, bold bool) {}

// colorful reports whether colours are wanted (https://no-color.org).
func colorful() bool {
	_, off := os.LookupEnv("NO_COLOR")
	return !off
}

func toSuggest(s []suggestion) []prompt.Suggest {
	out := make([]prompt.Suggest, len(s))
	for i, x := range s {
		out[i] = prompt.Suggest{Text: x.text, Description: x.desc}
	}
	return out
}
