// Package termsafe says which runes must not reach a user's terminal as
// they are: what a container, an image or a plugin chose (a command line,
// an error message) is shown by mydocker, and a control character in it
// would drive the terminal. The REPL shows such a rune as '?', the plugin
// host as its Go escape; both ask Unsafe, so that the rule is one.
package termsafe

import (
	"unicode"
	"unicode/utf8"
)

// Unsafe reports whether r is a control character, not printable (a space
// is), or the mark of invalid UTF-8.
func Unsafe(r rune) bool {
	return r == utf8.RuneError || unicode.IsControl(r) || !unicode.IsPrint(r) && r != ' '
}
