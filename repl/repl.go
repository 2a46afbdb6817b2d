// Package repl is mydocker's command line: the `mydocker> ` prompt, scripts
// read from stdin, and the one-shot `mydocker run ...`, all executing the
// same commands (`run`, `exit`, `help`) through one executor.
//
// Other programs embed it by creating a REPL over their own streams:
//
//	r := repl.New(repl.Options{In: script, Out: os.Stdout, Err: os.Stderr})
//	status := r.Run(ctx)
//
// When In is a terminal, Run is interactive (go-prompt, with completion and
// history); otherwise it reads lines, runs each in order like `sh` without
// -e, and returns the last status. Containers need root, and the embedding
// program's binary is re-executed as each container's init, which works
// because it links package core.
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/fatih/color"
	"golang.org/x/term"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/lifecycle"
)

// DefaultPrompt is the interactive prompt.
const DefaultPrompt = "mydocker> "

// Options configure a REPL. The zero value uses os.Stdin, os.Stdout,
// os.Stderr and a default Runtime.
type Options struct {
	Runtime     *core.Runtime
	In          io.Reader // commands; also the stdin of `run -i` containers
	Out, Err    io.Writer
	Prompt      string // default DefaultPrompt
	HistoryFile string // where interactive history persists; "" keeps it in memory
	Plugins     Reporter
	// Containers acts on the container store; nil is one over
	// store.RootFromEnv() with Runtime.
	Containers *lifecycle.Manager
}

// Reporter describes loaded plugins for the `plugins` command; the plugin
// host implements it. The REPL does not depend on the plugin package.
type Reporter interface {
	Report(w io.Writer)
}

// REPL executes mydocker commands and remembers the last status, as a
// shell does for $?.
type REPL struct {
	opts     Options
	tty      *os.File // In, when it is a terminal
	status   int
	errColor *color.Color
	where    string // prefixed to errors, e.g. "line 3: " in scripts
	hungUp   bool   // the terminal went away during a command: stop
}

// New returns a REPL over the given streams.
func New(o Options) *REPL {
	if o.Runtime == nil {
		o.Runtime = &core.Runtime{}
	}
	if o.In == nil {
		o.In = os.Stdin
	}
	if o.Out == nil {
		o.Out = os.Stdout
	}
	if o.Err == nil {
		o.Err = os.Stderr
	}
	if o.Prompt == "" {
		o.Prompt = DefaultPrompt
	}
	r := &REPL{opts: o, errColor: color.New(color.FgRed)}
	if f, ok := o.In.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		r.tty = f
	} else {
		r.errColor.DisableColor() // scripts get plain text
	}
	return r
}

// Run reads and executes commands until `exit` or the end of input and
// returns the status to exit with: N from `exit N`, else the last status.
//
// On a terminal without cursor control (TERM=dumb or unset) the prompt is a
// plain line reader. If the terminal goes away, Run stops any running
// container and returns ExitHangup.
func (r *REPL) Run(ctx context.Context) int {
	switch {
	case r.tty != nil && dumbTerminal():
		return r.runPlain(ctx)
	case r.tty != nil:
		return r.runInteractive(ctx)
	}
	return r.runScript(ctx)
}

// dumbTerminal reports whether the terminal cannot move its cursor.
func dumbTerminal() bool {
	t := os.Getenv("TERM")
	return t == "" || t == "dumb"
}

// ExecLine splits a line into words like a shell and executes it.
// done is true after `exit`.
func (r *REPL) ExecLine(ctx context.Context, line string) (status int, done bool) {
	words, err := splitWords(line)
	if err != nil {
		r.status = 2
		r.printErr(err)
		return r.status, false
	}
	return r.Exec(ctx, words)
}

// Exec executes one command given as words and returns its status; done is
// true after `exit`. Errors are printed on Err, one line each; none ends
// the REPL.
func (r *REPL) Exec(ctx context.Context, words []string) (status int, done bool) {
	if len(words) == 0 {
		return r.status, false
	}
	c := lookup(words[0])
	if c == nil {
		r.status = 127
		r.printErr(fmt.Errorf("unknown command %q: type `help` for the commands", words[0]))
		return r.status, false
	}
	status, err := c.run(r, ctx, words[1:])
	r.status = status
	if errors.Is(err, errExit) {
		return status, true
	}
	if err != nil {
		r.printErr(err)
	}
	return status, false
}

// Status is the status of the last command executed.
func (r *REPL) Status() int { return r.status }

// printErr shows err on one line. Its text may carry words from outside
// (a registry's error message, a file name in an image), so it is shown
// printable: nothing in it can drive the terminal.
func (r *REPL) printErr(err error) {
	r.errColor.Fprintf(r.opts.Err, "mydocker: %s%s\n", r.where, printable(err.Error()))
}
