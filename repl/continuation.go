package repl

import (
	"errors"
	"strings"

	"mvdan.cc/sh/v3/syntax"
)

// continuationPrompt asks for the rest of a command, as sh's PS2.
const continuationPrompt = "> "

// errUnfinished is a script that ends inside a quote or after a `\`.
var errUnfinished = errors.New("unexpected end of input: a quote or a trailing \\ is not finished")

// continuation joins the lines of one command, as sh does: a line that
// ends in an unquoted `\` goes on (without the backslash and the newline)
// on the next line; a line with a quote still open goes on after a
// newline.
type continuation struct {
	buf     strings.Builder
	waiting bool
}

// add takes the next line and returns the whole command once it is
// complete; more is true while it needs another line.
func (c *continuation) add(line string) (command string, more bool) {
	c.buf.WriteString(line)
	text := c.buf.String()
	switch {
	case endsInBackslash(text):
		c.buf.Reset()
		c.buf.WriteString(text[:len(text)-1])
	case quoteOpen(text):
		c.buf.WriteByte('\n')
	default:
		c.reset()
		return text, false
	}
	c.waiting = true
	return "", true
}

// pending reports whether a command is waiting for more lines.
func (c *continuation) pending() bool { return c.waiting }

// reset drops a half-typed command (Ctrl-C).
func (c *continuation) reset() {
	c.buf.Reset()
	c.waiting = false
}

// endsInBackslash reports whether text ends in a backslash that escapes
// the newline: one outside single quotes and comments, not itself escaped.
func endsInBackslash(text string) bool {
	inSingle, inDouble, escaped := false, false, false
	for i := 0; i < len(text); i++ {
		c := text[i]
		switch {
		case escaped:
			escaped = false
		case inSingle:
			inSingle = c != '\''
		case c == '\\':
			escaped = true
		case inDouble:
			inDouble = c != '"'
		case c == '\'':
			inSingle = true
		case c == '"':
			inDouble = true
		case c == '#' && (i == 0 || text[i-1] == ' ' || text[i-1] == '\t'):
			return false // a comment, to the end of the line
		}
	}
	return escaped
}

// quoteOpen reports whether text ends inside a quote: more input could
// finish it.
func quoteOpen(text string) bool {
	_, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(text), "")
	return err != nil && syntax.IsIncomplete(err)
}
