package repl

import (
	"strings"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/store"
)

// containerArg completes the words after a container command (ps, exec,
// stop, ...): its flags, then containers by name, or by id once the word
// looks like one. exec takes one container, then its command's words.
func (c *completer) containerArg(cmd string, prev []string, current string) []suggestion {
	flags := cli.CommandFlagHelp(cmd)
	operands := 0
	for i := 0; i < len(prev); i++ {
		w := prev[i]
		if strings.HasPrefix(w, "-") && len(w) > 1 {
			if flagTakesValue(flags, w) && !strings.Contains(w, "=") {
				i++
				if i == len(prev) {
					return nil // the cursor is on the flag's value
				}
			}
			continue
		}
		operands++
	}
	if strings.HasPrefix(current, "-") {
		var out []suggestion
		for _, f := range flags {
			for _, text := range []string{"-" + f.Short, "--" + f.Name} {
				if text != "-" && strings.HasPrefix(text, current) {
					out = append(out, suggestion{text, f.Usage})
				}
			}
		}
		return out
	}
	if cmd == "ps" || (operands > 0 && (cmd == "exec" || cmd == "logs" || cmd == "top")) || c.containers == nil {
		return nil
	}
	all, _ := c.containers()
	var out []suggestion
	for _, ct := range all {
		desc := store.ShortID(ct.ID) + " " + string(ct.Status) + ": " + strings.Join(ct.Spec.Args, " ")
		switch {
		case strings.HasPrefix(ct.Name, current):
			out = append(out, suggestion{ct.Name, desc})
		case len(current) > 0 && strings.HasPrefix(ct.ID, current):
			out = append(out, suggestion{store.ShortID(ct.ID), ct.Name + " " + string(ct.Status)})
		}
	}
	return out
}

// flagTakesValue reports whether a flag word (-t, --time, -ft) takes the
// next word as its value.
func flagTakesValue(flags []cli.FlagHelp, w string) bool {
	name := strings.TrimLeft(w, "-")
	for _, f := range flags {
		if f.TakesValue && (name == f.Name || (!strings.HasPrefix(w, "--") && f.Short != "" && strings.HasSuffix(name, f.Short))) {
			return true
		}
	}
	return false
}
