// Package repl is mydocker's command line: the executor of `run`, `exit`
// and `help`, shared by the one-shot `mydocker run ...`, the interactive
// `mydocker> ` prompt and scripts read from stdin. Programs can embed it.
package repl

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/mydocker/mydocker/core"
)

// Session executes mydocker commands against one Runtime and remembers the
// last status, as a shell does for $?.
type Session struct {
	Runtime *core.Runtime
	Stdin   io.Reader // handed to `run -i` and `run -t` containers
	Stdout  io.Writer
	Stderr  io.Writer // errors, one line each
	status  int
}

// Exec runs one command given as words and returns its status. done is
// true when the command was `exit`. Errors are printed on Stderr; they
// never end the session.
func (s *Session) Exec(ctx context.Context, words []string) (status int, done bool) {
	if len(words) == 0 {
		return s.status, false
	}
	c := lookup(words[0])
	if c == nil {
		s.status = 127
		s.printErr(fmt.Errorf("unknown command %q: type `help` for the commands", words[0]))
		return s.status, false
	}
	status, err := c.run(s, ctx, words[1:])
	s.status = status
	if errors.Is(err, errExit) {
		return status, true
	}
	if err != nil {
		s.printErr(err)
	}
	return status, false
}

// Status is the status of the last command executed.
func (s *Session) Status() int { return s.status }

func (s *Session) printErr(err error) {
	fmt.Fprintf(s.Stderr, "mydocker: %v\n", err)
}
