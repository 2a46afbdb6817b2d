package repl

import (
	"bytes"
	"io"
	"os"
	"strings"

	"golang.org/x/term"

	"github.com/mydocker/mydocker/internal/termsafe"
)

// What a container chose reaches the user's terminal outside the
// container's own session in two ways: its logs (`logs`) and its command
// lines (`top`, `ps`). Neither may drive the terminal. Command lines, in
// tables, lose their control characters (printable); logs keep colours
// and cursor movement, but lose the queries (queryFilter).
//
// A container's logs replayed to a terminal must not make the terminal
// answer: a query it printed (the cursor position, the terminal's
// identity, a colour, a setting) was meant for the terminal the container
// had then. Replayed by `logs`, the answer arrives as typed input at the
// prompt, where it is garbage at best; some terminals have echoed
// attacker-chosen text in such answers. queryFilter removes those queries
// from what it writes and passes everything else (colours, cursor
// movement, titles) through unchanged, also when a sequence is split
// across writes. A sequence still incomplete at the end is never written.

// printable is a text a container chose (a process's command line, which
// it can rewrite; an image's command) made safe to show in a table on a
// terminal: each control character or invalid byte is a '?', as ps(1)
// shows them, so none moves the cursor, recolours or queries the terminal.
func printable(s string) string {
	return strings.Map(func(r rune) rune {
		if termsafe.Unsafe(r) {
			return '?'
		}
		return r
	}, s)
}

// The states of queryFilter's scanner.
const (
	qText    = iota // plain text
	qEsc            // after ESC
	qEscMid         // after ESC and intermediate bytes (ESC ( B)
	qCSI            // in ESC [ ... final
	qString         // in an OSC, DCS, APC, PM or SOS string
	qStrEsc         // in a string, after ESC (ST is ESC \)
	maxSeq   = 256  // a longer CSI is not a query: it passes as is
	maxStrng = 4096 // a longer string is kept no further: it is dropped
)

type queryFilter struct {
	w     io.Writer
	state int
	seq   []byte // the sequence being read, from its ESC
	kind  byte   // a string's introducer: ']' OSC, 'P' DCS, '_', '^', 'X'
	out   []byte
}

func newQueryFilter(w io.Writer) *queryFilter { return &queryFilter{w: w} }

// toTerminal is w, through a queryFilter if w is a terminal (a file or a
// pipe gets the logs byte for byte).
func toTerminal(w io.Writer) io.Writer {
	if f, ok := w.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		return newQueryFilter(w)
	}
	return w
}

func (f *queryFilter) Write(p []byte) (int, error) {
	f.out = f.out[:0]
	for _, b := range p {
		f.scan(b)
	}
	if len(f.out) > 0 {
		if _, err := f.w.Write(f.out); err != nil {
			return 0, err
		}
	}
	return len(p), nil
}

func (f *queryFilter) scan(b byte) {
	switch f.state {
	case qText:
		if b == 0x1b {
			f.state, f.seq = qEsc, append(f.seq[:0], b)
			return
		}
		f.out = append(f.out, b)
	case qEsc:
		f.seq = append(f.seq, b)
		switch {
		case b == '[':
			f.state = qCSI
		case b == ']' || b == 'P' || b == '_' || b == '^' || b == 'X':
			f.state, f.kind = qString, b
		case b == 'Z': // DECID: "identify yourself"
			f.state = qText
		case b >= 0x20 && b <= 0x2f:
			f.state = qEscMid
		default:
			f.keep()
		}
	case qEscMid:
		f.seq = append(f.seq, b)
		if b < 0x20 || b > 0x2f {
			f.keep()
		}
	case qCSI:
		f.seq = append(f.seq, b)
		switch {
		case b >= 0x40 && b <= 0x7e:
			if !csiQuery(f.seq) {
				f.keep()
			}
			f.state = qText
		case b < 0x20 || len(f.seq) > maxSeq:
			f.keep() // not a well-formed query: as it came
		}
	case qString:
		switch {
		case b == 0x07 && f.kind == ']': // BEL ends an OSC too
			f.endString()
		case b == 0x1b:
			f.state = qStrEsc
		case len(f.seq) < maxStrng:
			f.seq = append(f.seq, b)
		}
	case qStrEsc:
		f.endString()
		if b != '\\' { // ESC, then something else: a new sequence
			f.scan(0x1b)
			f.scan(b)
		}
	}
}

// keep writes the sequence read so far and goes back to text.
func (f *queryFilter) keep() {
	f.out = append(f.out, f.seq...)
	f.state = qText
}

// endString keeps an OSC that sets something (a title, a link) with its
// terminator; drops an OSC that asks (a "?" among its parameters) or
// touches the clipboard (52), and every DCS, APC, PM and SOS (DECRQSS and
// XTGETTCAP are DCS).
func (f *queryFilter) endString() {
	f.state = qText
	if f.kind != ']' || len(f.seq) >= maxStrng {
		return
	}
	body := f.seq[2:]
	if bytes.IndexByte(body, '?') >= 0 || bytes.HasPrefix(body, []byte("52;")) {
		return
	}
	f.out = append(append(f.out, f.seq...), 0x1b, '\\')
}

// csiQuery reports whether a complete CSI sequence asks the terminal to
// answer: device status and cursor position (n), device attributes (c),
// terminal parameters (x), window reports and operations (t), a mode's
// state ($p), the terminal's version (>q), keyboard flags (?u).
func csiQuery(seq []byte) bool {
	final, mid := seq[len(seq)-1], seq[2:len(seq)-1]
	switch final {
	case 'n', 'c', 'x', 't':
		return true
	case 'p':
		return bytes.IndexByte(mid, '$') >= 0
	case 'q':
		return bytes.IndexByte(mid, '>') >= 0
	case 'u':
		return bytes.IndexByte(mid, '?') >= 0
	}
	return false
}
