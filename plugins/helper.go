package plugins

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/mydocker/mydocker/plugins/proxy"
)

// RunHelper is the main of a plugin host helper that mydocker started
// (package proxy): it loads the plugins mydocker's flags in args name,
// plus builtin, answers the hello on fd 3, and serves the calls there
// until mydocker closes it. It returns the exit status. mydocker-plugins
// runs it with no builtin; mydocker-net with its own hooks.
func RunHelper(name string, args []string, builtin []Builtin) int {
	conn := os.NewFile(3, "mydocker")
	if conn == nil {
		fmt.Fprintf(os.Stderr, "%s: started by mydocker only (it talks on fd 3)\n", name)
		return 2
	}
	b, _ := json.Marshal(proxy.Message{Op: proxy.Loading})
	if _, err := conn.Write(append(b, '\n')); err != nil {
		return 1
	}
	host, err := loadFlags(args, builtin)
	hello := proxy.Message{OK: err == nil}
	if err != nil {
		hello.Error = err.Error()
	} else {
		hello.Count, hello.Early = host.Len(), host.TakesPostClone()
	}
	b, _ = json.Marshal(hello)
	if _, werr := conn.Write(append(b, '\n')); werr != nil || err != nil {
		if host != nil {
			host.Close()
		}
		return 1
	}
	if err := Serve(conn, host); err != nil {
		fmt.Fprintf(os.Stderr, "%s: %v\n", name, err)
		return 1
	}
	return 0
}

// loadFlags starts the plugins mydocker's plugin flags name.
func loadFlags(args []string, builtin []Builtin) (*Host, error) {
	fs := pflag.NewFlagSet("plugins", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	paths := fs.StringArray("plugin", nil, "")
	dirs := fs.StringArray("plugin-dir", nil, "")
	timeout := fs.Duration("hook-timeout", DefaultHookTimeout, "")
	start := fs.Duration("plugin-start-timeout", DefaultStartTimeout, "")
	debug := fs.Bool("debug", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	all := *paths
	for _, dir := range *dirs {
		found, err := DirPlugins(dir)
		if err != nil {
			return nil, err
		}
		all = append(all, found...)
	}
	if *timeout <= 0 || *start <= 0 {
		return nil, fmt.Errorf("timeouts must be positive")
	}
	return Load(Options{Paths: all, HookTimeout: *timeout, StartTimeout: *start, Stderr: os.Stderr, Debug: *debug, Builtin: builtin})
}
