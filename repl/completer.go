package repl

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/store"
)

// suggestion is one completion candidate, independent of the line editor.
type suggestion struct{ text, desc string }

// completer suggests from declarative tables: the command table, the flags
// of `run` (from core, with their descriptions), and for the COMMAND word
// of `run` the executables on the container's default PATH. It runs on
// every keystroke, so it never blocks: the PATH scan runs once in the
// background and completion uses whatever it has found so far.
type completer struct {
	executables atomic.Pointer[[]string]
	flags       []cli.FlagHelp
	// inRoots caches the executables on the default PATH inside each
	// --rootfs DIR: *atomic.Pointer[[]string], nil until scanned.
	inRoots sync.Map
	// containers lists the store's containers, for their names; nil: none.
	containers func() ([]*store.Container, error)
	// images is the image store, for its images' names; nil: none.
	images *image.Store
}

func newCompleter() *completer {
	c := &completer{flags: cli.RunFlagHelp()}
	go scanPath(&c.executables, "/", core.DefaultPath)
	return c
}

// complete returns candidates for the word the cursor is in.
func (c *completer) complete(before string) []suggestion {
	if strings.TrimSpace(before) == "" {
		return nil // no menu on an empty line, nor right after a command ran
	}
	words := strings.Fields(before)
	current := ""
	if !strings.HasSuffix(before, " ") {
		current, words = words[len(words)-1], words[:len(words)-1]
	}
	switch {
	case len(words) == 0:
		return c.commands(current)
	case words[0] == "help" && len(words) == 1:
		return c.commands(current)
	case words[0] == "run":
		return c.runArg(words[1:], current)
	case words[0] == "rmi" || words[0] == "tag" && len(words) == 1:
		return c.imageNames(current)
	case cli.IsImageCommand(words[0]):
		return nil
	case cli.IsContainerCommand(words[0]):
		return c.containerArg(words[0], words[1:], current)
	}
	return nil
}

func (c *completer) commands(prefix string) []suggestion {
	var out []suggestion
	for _, cmd := range commands {
		if strings.HasPrefix(cmd.name, prefix) {
			out = append(out, suggestion{cmd.name, cmd.summary})
		}
	}
	return out
}

// runArg completes after `run`: flags while flags may come, then the
// COMMAND word, then nothing (the command's own arguments).
func (c *completer) runArg(prev []string, current string) []suggestion {
	rootfs := ""
	for i := 0; i < len(prev); i++ {
		w := prev[i]
		if v, ok := strings.CutPrefix(w, "--rootfs="); ok {
			rootfs = v
		} else if w == "--rootfs" && i+1 < len(prev) {
			rootfs = prev[i+1]
		}
		switch {
		case w == "--":
			if i == len(prev)-1 {
				return c.commandWord(current, rootfs)
			}
			return nil
		case strings.HasPrefix(w, "-") && len(w) > 1:
			if c.takesValue(w) && !strings.Contains(w, "=") {
				i++                 // skip the flag's value
				if i == len(prev) { // the cursor is on the value
					if w == "--rootfs" {
						return dirSuggestions(current)
					}
					return nil
				}
			}
		default:
			return nil // past COMMAND
		}
	}
	if strings.HasPrefix(current, "-") {
		return c.flagSuggestions(current)
	}
	return c.commandWord(current, rootfs)
}

func (c *completer) takesValue(flag string) bool {
	name := strings.TrimLeft(flag, "-")
	for _, f := range c.flags {
		if f.TakesValue && (name == f.Name || (!strings.HasPrefix(flag, "--") && strings.HasSuffix(name, f.Short) && f.Short != "")) {
			return true
		}
	}
	return false
}

func (c *completer) flagSuggestions(prefix string) []suggestion {
	var out []suggestion
	for _, f := range c.flags {
		for _, text := range []string{"-" + f.Short, "--" + f.Name} {
			if text != "-" && strings.HasPrefix(text, prefix) {
				out = append(out, suggestion{text, f.Usage})
			}
		}
	}
	return out
}

// commandWord completes COMMAND from the host's PATH, or from the
// container's PATH inside rootfs (scanned once, in the background: the
// first keystroke after --rootfs DIR may find nothing yet).
func (c *completer) commandWord(prefix, rootfs string) []suggestion {
	if prefix == "" {
		return nil // thousands of names help nobody
	}
	exes := c.executables.Load()
	var out []suggestion
	if rootfs == "" {
		out = c.imageNames(prefix)
	}
	if rootfs != "" {
		abs, err := filepath.Abs(rootfs)
		if err != nil {
			return nil
		}
		ptr, loaded := c.inRoots.LoadOrStore(abs, new(atomic.Pointer[[]string]))
		if !loaded {
			go scanPath(ptr.(*atomic.Pointer[[]string]), abs, core.DefaultPath)
		}
		exes = ptr.(*atomic.Pointer[[]string]).Load()
	}
	if exes == nil {
		return out // still scanning
	}
	for _, name := range *exes {
		if strings.HasPrefix(name, prefix) {
			out = append(out, suggestion{name, ""})
		}
	}
	return out
}

// imageNames completes the names (repository:tag) of the store's images.
func (c *completer) imageNames(prefix string) []suggestion {
	if c.images == nil {
		return nil
	}
	all, _ := c.images.List()
	var out []suggestion
	for _, img := range all {
		if img.Ref == "" {
			continue
		}
		name := c.images.Display(img.Ref)
		if strings.HasPrefix(name, prefix) {
			out = append(out, suggestion{name, "image " + img.ID()})
		}
	}
	return out
}

// scanPath stores the executables in PATH's directories under root ("/"
// for the host), sorted, unique. Inside a root, a symlink counts without
// being followed: its target is a path of the container, not the host's.
func scanPath(into *atomic.Pointer[[]string], root, path string) {
	var names []string
	for _, dir := range filepath.SplitList(path) {
		dir = filepath.Join(root, dir)
		entries, err := os.ReadDir(dir)
		if err != nil {
			continue
		}
		for _, e := range entries {
			info, err := os.Lstat(filepath.Join(dir, e.Name()))
			if err != nil {
				continue
			}
			if info.Mode()&os.ModeSymlink != 0 && root == "/" {
				info, err = os.Stat(filepath.Join(dir, e.Name()))
			}
			if err == nil && (info.Mode()&os.ModeSymlink != 0 || info.Mode().IsRegular() && info.Mode()&0o111 != 0) {
				names = append(names, e.Name())
			}
		}
	}
	slices.Sort(names)
	names = slices.Compact(names)
	into.Store(&names)
}

// dirSuggestions completes a directory path, for --rootfs: the entries of
// the directory being typed that are directories themselves. One ReadDir
// of a local directory is as fast as a keystroke needs.
func dirSuggestions(prefix string) []suggestion {
	if prefix == "" {
		return nil
	}
	dir, base := filepath.Split(prefix)
	if dir == "" {
		dir = "."
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil
	}
	var out []suggestion
	for _, e := range entries {
		if !strings.HasPrefix(e.Name(), base) || strings.HasPrefix(e.Name(), ".") && !strings.HasPrefix(base, ".") {
			continue
		}
		p := filepath.Join(dir, e.Name())
		if info, err := os.Stat(p); err == nil && info.IsDir() {
			if dir == "." && !strings.HasPrefix(prefix, "./") {
				p = e.Name()
			}
			out = append(out, suggestion{p + "/", "directory"})
		}
	}
	return out
}
