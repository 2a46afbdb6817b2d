package repl

import (
	"bytes"
	"errors"
	"testing"
)

func TestQueryFilter(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"text", "hello\nthere\n", "hello\nthere\n"},
		{"colours and movement pass", "\x1b[1;31mred\x1b[0m\x1b[2J\x1b[H\x1b[?25l\x1b7\x1b8\x1b(B", "\x1b[1;31mred\x1b[0m\x1b[2J\x1b[H\x1b[?25l\x1b7\x1b8\x1b(B"},
		{"cursor position report", "a\x1b[6nb", "ab"},
		{"device status", "\x1b[5n", ""},
		{"device attributes", "\x1b[c\x1b[0c\x1b[>c\x1b[>0c\x1b[=c", ""},
		{"window report and resize", "\x1b[18t\x1b[8;100;200t", ""},
		{"mode state", "\x1b[?2004$p", ""},
		{"version and keyboard", "\x1b[>q\x1b[?u", ""},
		{"cursor style passes", "\x1b[2 q", "\x1b[2 q"},
		{"DECID", "x\x1b[Zy\x1bZz", "x\x1b[Zyz"},
		{"title passes", "\x1b]0;my title\x07", "\x1b]0;my title\x1b\\"},
		{"colour query", "\x1b]11;?\x07after", "after"},
		{"clipboard", "\x1b]52;c;aGVsbG8=\x1b\\", ""},
		{"DECRQSS", "\x1bP$qm\x1b\\ok", "ok"},
		{"XTGETTCAP", "\x1bP+q544e\x1b\\", ""},
		{"string ended by a new sequence", "\x1b]0;t\x1b[6n!", "\x1b]0;t\x1b\\!"},
		{"malformed CSI passes", "\x1b[6\nn", "\x1b[6\nn"},
		{"incomplete at the end", "text\x1b[6", "text"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, split := range []int{0, 1, 2, 3} { // whole, and cut at every byte
				var out bytes.Buffer
				f := newQueryFilter(&out)
				in := []byte(tc.in)
				if split == 0 {
					f.Write(in)
				} else {
					for i := 0; i < len(in); i += split {
						f.Write(in[i:min(i+split, len(in))])
					}
				}
				if out.String() != tc.want {
					t.Errorf("in pieces of %d: %q, want %q", split, out.String(), tc.want)
				}
			}
		})
	}
}

// What a container chose (its processes' command lines, an image's
// command) is shown in tables with its control characters as '?'.
func TestPrintable(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"sleep 100", "sleep 100"},
		{"café 日本語", "café 日本語"},
		{"x\x1b[6n", "x?[6n"},
		{"a\nb\tc\rd\x7f", "a?b?c?d?"},
		{"\u009b6n", "?6n"},         // a C1 CSI, as UTF-8
		{"bad\xffbyte", "bad?byte"}, // invalid UTF-8
	} {
		if got := printable(tc.in); got != tc.want {
			t.Errorf("printable(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := quoteCommand([]string{"sh", "-c", "\x1b]0;pwned\x07"}); got != `"sh -c ?]0;pwned?"` {
		t.Errorf("quoteCommand: %q", got)
	}
	// An error's text may carry a registry's words: one printable line.
	var errs bytes.Buffer
	New(Options{Err: &errs}).printErr(errors.New("pull x: registry says \x1b[6n\nhello"))
	if got := errs.String(); got != "mydocker: pull x: registry says ?[6n?hello\n" {
		t.Errorf("printErr: %q", got)
	}
}
