package repl

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

func TestSplitWords(t *testing.T) {
	tests := []struct {
		line string
		want []string
	}{
		{"", nil},
		{"   ", nil},
		{"# a comment", nil},
		{"run true # trailing comment", []string{"run", "true"}},
		{"run -ti /bin/sh", []string{"run", "-ti", "/bin/sh"}},
		{`run sh -c 'echo $$ "x"'`, []string{"run", "sh", "-c", `echo $$ "x"`}},
		{`run printf "%s|" "a b" '' ""`, []string{"run", "printf", "%s|", "a b", "", ""}},
		{`run echo a\ b \$HOME \\ \'`, []string{"run", "echo", "a b", "$HOME", `\`, "'"}},
		{`run echo "it's" 'say "hi"'`, []string{"run", "echo", "it's", `say "hi"`}},
		{`run echo "tab\there" a*b`, []string{"run", "echo", `tab\there`, "a*b"}},
		{"run -e A=1 env", []string{"run", "-e", "A=1", "env"}},
	}
	for _, tc := range tests {
		got, err := splitWords(tc.line)
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("splitWords(%q) = %q, %v; want %q", tc.line, got, err, tc.want)
		}
	}
}

func TestSplitWordsRejects(t *testing.T) {
	tests := map[string]string{
		`run echo 'open`:        "reached EOF without closing quote",
		`run echo "open`:        "reached EOF without closing quote",
		`run echo $HOME`:        `expansions such as "$HOME"`,
		`run echo "$HOME"`:      `expansions such as "$HOME"`,
		"run echo `date`":       "expansions",
		`run echo $(date)`:      "expansions",
		"run true | run true":   "pipes",
		"run true && run false": "pipes",
		"run true; run false":   "several commands",
		"run sleep 1 &":         "background",
		"run echo > /tmp/x":     "redirections",
		"A=1 run env":           "variable assignments",
	}
	for line, says := range tests {
		_, err := splitWords(line)
		if !errors.Is(err, errSyntax) || !strings.Contains(err.Error(), says) || strings.Contains(err.Error(), "\n") {
			t.Errorf("splitWords(%q) error %v, want one line saying %q", line, err, says)
		}
	}
}
