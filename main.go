// Command mydocker is a small Linux container runtime with a shell-like
// front end: `mydocker` starts the `mydocker> ` prompt (or runs the
// commands piped to it), `mydocker run [OPTIONS] COMMAND [ARG...]` runs one
// container, and `--plugin` loads hook plugins for either. See README.md.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/lifecycle"
	"github.com/mydocker/mydocker/oci"
	"github.com/mydocker/mydocker/plugins/proxy"
	"github.com/mydocker/mydocker/repl"
	"github.com/mydocker/mydocker/store"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// globals are the options before the command.
type globals struct {
	plugins      []string
	pluginDirs   []string
	hookTimeout  time.Duration
	startTimeout time.Duration
	debug        bool
	help         bool
	root         string
	imageRoot    string
}

func globalFlags(g *globals) *pflag.FlagSet {
	fs := pflag.NewFlagSet("mydocker", pflag.ContinueOnError)
	fs.SetInterspersed(false) // the command's own flags are its business
	fs.SetOutput(io.Discard)
	fs.StringArrayVar(&g.plugins, "plugin", nil, "load the hook plugin at PATH[@sha256:HEX] (repeatable, in order)")
	fs.StringArrayVar(&g.pluginDirs, "plugin-dir", nil, "load every executable in DIR, in name order")
	fs.DurationVar(&g.hookTimeout, "hook-timeout", proxy.DefaultHookTimeout, "end a run whose hook has not answered within this time")
	fs.DurationVar(&g.startTimeout, "plugin-start-timeout", proxy.DefaultStartTimeout, "refuse a plugin that has not answered its handshake within this time")
	fs.BoolVar(&g.debug, "debug", false, "show plugins' debug logs")
	fs.BoolVarP(&g.help, "help", "h", false, "show this help")
	fs.StringVar(&g.root, "root", store.RootFromEnv(), "keep containers' state in DIR (a tmpfs: gone after a reboot)")
	fs.StringVar(&g.imageRoot, "image-root", "", "keep images in DIR (default "+image.DefaultRoot+", or ROOT/images with --root)")
	return fs
}

// run is main without os.Exit, so that deferred clean-up runs.
func run(args []string) int {
	// A container init normally never gets here: core's C constructor has
	// taken the process over. Dispatch first anyway, before any set-up.
	if core.IsInit() {
		return core.Init(os.Stderr)
	}
	// mydocker-plugins serving an OCI container's plugins (pluginhost.go).
	if len(args) > 0 && args[0] == proxy.ServeArg && serveHelper != nil {
		return serveHelper(args[1:])
	}
	// podman, containerd and docker call mydocker as runc (package oci).
	if oci.IsOCI(args) {
		rt := &core.Runtime{CacheDir: filepath.Join(store.RootFromEnv(), "cache")}
		return oci.MainWithPlugins(rt, ociPlugins, args, os.Stdout, os.Stderr)
	}
	var g globals
	fs := globalFlags(&g)
	if err := fs.Parse(args); err != nil {
		fmt.Fprintf(os.Stderr, "mydocker: %v (see mydocker --help)\n", err)
		return core.ExitRuntimeError
	}
	if g.help {
		printUsage(fs)
		return 0
	}
	host, err := loadPlugins(g, args)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mydocker: %v\n", err)
		return core.ExitRuntimeError
	}
	rt := &core.Runtime{CacheDir: filepath.Join(g.root, "cache")}
	if host != nil {
		defer host.Close()
		if host.Len() > 0 {
			rt.Hooks = host
		}
	}
	finish, err := finishArgs(g)
	if err != nil {
		fmt.Fprintf(os.Stderr, "mydocker: %v\n", err)
		return core.ExitRuntimeError
	}
	if g.imageRoot == "" {
		g.imageRoot = image.RootFor(g.root, store.DefaultRoot)
	}
	containers := &lifecycle.Manager{Runtime: rt, Store: store.New(g.root), FinishArgs: finish, Images: image.New(g.imageRoot)}
	var closeNetwork func()
	var network *networks
	containers.NetworkPlugin, closeNetwork, network = networkPlugins(g)
	containers.NetworkPrune = network.prune
	defer closeNetwork()
	ctx := context.Background()
	if fs.NArg() == 2 && fs.Arg(0) == finishCommand {
		if err := containers.Finish(ctx, fs.Arg(1)); err != nil {
			fmt.Fprintf(os.Stderr, "mydocker: %v\n", err)
			return core.ExitRuntimeError
		}
		return 0
	}
	opts := repl.Options{Runtime: rt, HistoryFile: historyFile(), Containers: containers,
		Plugins: pluginsReport{host: host, network: network}}
	r := repl.New(opts)
	if fs.NArg() == 0 {
		return r.Run(ctx)
	}
	status, _ := r.Exec(ctx, fs.Args())
	return status
}

// finishCommand is the hidden command a detached container's monitor runs
// after the container ended: `mydocker GLOBALS _finish ID` runs its
// post-stop hooks and --rm (lifecycle.Manager.Finish).
const finishCommand = "_finish"

// finishArgs are this process's global flags as the monitor passes them
// back, paths made absolute (the monitor runs in /), then _finish.
func finishArgs(g globals) ([]string, error) {
	args := []string{"mydocker", "--root", g.root}
	for _, list := range []struct {
		flag  string
		paths []string
	}{{"--plugin", g.plugins}, {"--plugin-dir", g.pluginDirs}} {
		for _, p := range list.paths {
			path, pin, _ := strings.Cut(p, "@")
			abs, err := filepath.Abs(path)
			if err != nil {
				return nil, fmt.Errorf("%s %s: %w", list.flag, p, err)
			}
			if pin != "" {
				abs += "@" + pin
			}
			args = append(args, list.flag, abs)
		}
	}
	args = append(args, "--hook-timeout", g.hookTimeout.String(), "--plugin-start-timeout", g.startTimeout.String())
	if g.debug {
		args = append(args, "--debug")
	}
	return append(args, finishCommand), nil
}

func printUsage(fs *pflag.FlagSet) {
	fmt.Printf("Usage: mydocker [OPTIONS]                       start the mydocker> prompt (or read commands from stdin)\n")
	fmt.Printf("       mydocker [OPTIONS] COMMAND [ARG...]      run one command, e.g. mydocker run -ti /bin/sh\n\nOptions:\n")
	fs.VisitAll(func(f *pflag.Flag) {
		name := "--" + f.Name
		if f.Value.Type() != "bool" {
			name += " " + map[string]string{"plugin": "PATH", "plugin-dir": "DIR", "hook-timeout": "DURATION", "plugin-start-timeout": "DURATION", "root": "DIR", "image-root": "DIR"}[f.Name]
		}
		fmt.Printf("  %-26s %s\n", name, f.Usage)
	})
	fmt.Println()
	repl.New(repl.Options{In: os.Stdin}).Exec(context.Background(), []string{"help"})
}

// historyFile is $MYDOCKER_HISTORY if set (empty: keep no history), else
// ~/.mydocker_history.
func historyFile() string {
	if f, ok := os.LookupEnv("MYDOCKER_HISTORY"); ok {
		return f
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return ""
	}
	return filepath.Join(home, ".mydocker_history")
}
