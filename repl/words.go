package repl

import (
	"errors"
	"fmt"
	"strings"

	"mvdan.cc/sh/v3/expand"
	"mvdan.cc/sh/v3/syntax"
)

// errSyntax marks a line that could not be split into words; its status is
// 2, as for a shell's syntax error.
var errSyntax = errors.New("syntax error")

// splitWords splits a line into words the way a POSIX shell does (single
// and double quotes, backslash escapes, # comments) and nothing more: it
// expands no variables and runs no pipelines, so anything beyond plain
// words is refused with a pointer to `run sh -c`. A blank or comment line
// gives no words.
func splitWords(line string) ([]string, error) {
	f, err := syntax.NewParser(syntax.Variant(syntax.LangPOSIX)).Parse(strings.NewReader(line), "")
	if err != nil {
		var pe syntax.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("%w: %s", errSyntax, pe.Text)
		}
		return nil, fmt.Errorf("%w: %v", errSyntax, err)
	}
	switch {
	case len(f.Stmts) == 0:
		return nil, nil
	case len(f.Stmts) > 1:
		return nil, unsupported("several commands on one line")
	}
	st := f.Stmts[0]
	call, ok := st.Cmd.(*syntax.CallExpr)
	switch {
	case !ok || st.Negated || st.Coprocess:
		return nil, unsupported("pipes, lists and compound commands")
	case st.Background:
		return nil, unsupported("running in the background (&)")
	case len(st.Redirs) > 0:
		return nil, unsupported("redirections")
	case len(call.Assigns) > 0:
		return nil, unsupported("variable assignments")
	}
	words := make([]string, 0, len(call.Args))
	for _, w := range call.Args {
		if err := checkLiteral(w); err != nil {
			return nil, err
		}
		// Fields does the shell's quote removal; on a literal word it
		// yields exactly one field, "" included.
		fields, err := expand.Fields(nil, w)
		if err != nil || len(fields) != 1 {
			return nil, fmt.Errorf("%w: cannot read word %q", errSyntax, nodeText(w))
		}
		words = append(words, fields[0])
	}
	return words, nil
}

// checkLiteral accepts words made only of literal text and quotes.
func checkLiteral(w *syntax.Word) error {
	for _, part := range w.Parts {
		switch p := part.(type) {
		case *syntax.Lit, *syntax.SglQuoted:
		case *syntax.DblQuoted:
			for _, inner := range p.Parts {
				if _, ok := inner.(*syntax.Lit); !ok {
					return unsupported(fmt.Sprintf("expansions such as %q", nodeText(inner)))
				}
			}
		default:
			return unsupported(fmt.Sprintf("expansions such as %q", nodeText(part)))
		}
	}
	return nil
}

func nodeText(n syntax.Node) string {
	var b strings.Builder
	_ = syntax.NewPrinter().Print(&b, n)
	return b.String()
}

func unsupported(what string) error {
	return fmt.Errorf("%w: %s are not supported here; quote them, or run a shell in the container: run sh -c '...'", errSyntax, what)
}
