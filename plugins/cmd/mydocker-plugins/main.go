// Command mydocker-plugins is mydocker's plugin host: mydocker starts it
// (package proxy) when hook plugins are asked for, with its plugin flags,
// and talks to it on fd 3. It is a binary of its own so that mydocker does
// not link go-plugin, gRPC and protobuf, whose initialisation took half of
// every one-shot mydocker's start. build.sh builds it next to mydocker.
package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/spf13/pflag"

	"github.com/mydocker/mydocker/plugins"
	"github.com/mydocker/mydocker/plugins/proxy"
)

func main() {
	conn := os.NewFile(3, "mydocker")
	if conn == nil {
		fmt.Fprintln(os.Stderr, "mydocker-plugins: started by mydocker only (it talks on fd 3)")
		os.Exit(2)
	}
	host, err := load(os.Args[1:])
	hello := proxy.Message{OK: err == nil}
	if err != nil {
		hello.Error = err.Error()
	} else {
		hello.Count = host.Len()
	}
	b, _ := json.Marshal(hello)
	if _, werr := conn.Write(append(b, '\n')); werr != nil || err != nil {
		if host != nil {
			host.Close()
		}
		os.Exit(1)
	}
	if err := plugins.Serve(conn, host); err != nil {
		fmt.Fprintln(os.Stderr, "mydocker-plugins:", err)
		os.Exit(1)
	}
}

// load starts the plugins mydocker's flags name.
func load(args []string) (*plugins.Host, error) {
	fs := pflag.NewFlagSet("mydocker-plugins", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	paths := fs.StringArray("plugin", nil, "")
	dirs := fs.StringArray("plugin-dir", nil, "")
	timeout := fs.Duration("hook-timeout", plugins.DefaultHookTimeout, "")
	start := fs.Duration("plugin-start-timeout", plugins.DefaultStartTimeout, "")
	debug := fs.Bool("debug", false, "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	all := *paths
	for _, dir := range *dirs {
		found, err := plugins.DirPlugins(dir)
		if err != nil {
			return nil, err
		}
		all = append(all, found...)
	}
	if *timeout <= 0 || *start <= 0 {
		return nil, fmt.Errorf("timeouts must be positive")
	}
	return plugins.Load(plugins.Options{Paths: all, HookTimeout: *timeout, StartTimeout: *start, Stderr: os.Stderr, Debug: *debug})
}
