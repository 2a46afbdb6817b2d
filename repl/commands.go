package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/lifecycle"
	"github.com/mydocker/mydocker/store"
)

// command is one entry of the REPL's command table: the executor dispatches
// on it, help and completion describe it.
type command struct {
	name, args, summary string
	run                 func(s *REPL, ctx context.Context, args []string) (int, error)
}

var commands []command

func init() {
	// Assigned in init because help refers back to the table.
	commands = []command{
		{"run", "[OPTIONS] IMAGE|COMMAND [ARG...]", "run a command in a new container", (*REPL).runCmd},
		{"ps", "[-a] [-q]", "list running containers (-a: also ended ones)", containerCommand("ps", (*REPL).psCmd)},
		{"exec", "[OPTIONS] CONTAINER COMMAND [ARG...]", "run a command in a running container", containerCommand("exec", (*REPL).execCmd)},
		{"logs", "[-f] [--tail N] [-t] CONTAINER", "print a detached container's output", containerCommand("logs", (*REPL).logsCmd)},
		{"stop", "[-t SECS] CONTAINER...", "stop containers: SIGTERM, then SIGKILL", containerCommand("stop", (*REPL).stopCmd)},
		{"kill", "[-s SIGNAL] CONTAINER...", "send a signal to containers (default KILL)", containerCommand("kill", (*REPL).killCmd)},
		{"rm", "[-f] CONTAINER...", "remove ended containers (-f: also running ones)", containerCommand("rm", (*REPL).rmCmd)},
		{"wait", "CONTAINER...", "wait for containers to end; print their statuses", containerCommand("wait", (*REPL).waitCmd)},
		{"inspect", "CONTAINER...", "describe containers as JSON", containerCommand("inspect", (*REPL).inspectCmd)},
		{"top", "CONTAINER", "list a container's processes", containerCommand("top", (*REPL).topCmd)},
		{"pull", "[-q] IMAGE", "fetch an image from its registry", imageCommand("pull", (*REPL).pullCmd)},
		{"images", "[-q] [--digests]", "list the images pulled", imageCommand("images", (*REPL).imagesCmd)},
		{"rmi", "[-f] IMAGE...", "remove images (-f: also ones containers use)", imageCommand("rmi", (*REPL).rmiCmd)},
		{"tag", "SOURCE TARGET", "give an image another name", imageCommand("tag", (*REPL).tagCmd)},
		{"image", "prune [-a]", "remove untagged images (-a: all unused) and their layers", imageCommand("image", (*REPL).imagePruneCmd)},
		{"login", "[-u USER] [--password-stdin] REGISTRY", "save credentials for a registry", imageCommand("login", (*REPL).loginCmd)},
		{"logout", "REGISTRY", "forget a registry's credentials", imageCommand("logout", (*REPL).logoutCmd)},
		{"network", "prune", "remove the bridge network (its bridge, NAT rules, state) when no container uses it", containerCommand("network", (*REPL).networkPruneCmd)},
		{"exit", "[N]", "leave mydocker with status N (default: the last status)", (*REPL).exitCmd},
		{"plugins", "", "list the loaded plugins, their state and hook counts", (*REPL).pluginsCmd},
		{"clear", "", "clear the screen", (*REPL).clearCmd},
		{"help", "[COMMAND]", "show the commands, or one command's options", (*REPL).helpCmd},
	}
}

func lookup(name string) *command {
	for i := range commands {
		if commands[i].name == name {
			return &commands[i]
		}
	}
	return nil
}

// errExit is returned by the exit command; Exec turns it into done.
var errExit = errors.New("exit")

func (s *REPL) runCmd(ctx context.Context, args []string) (int, error) {
	run, err := cli.ParseRunCommand(args)
	if errors.Is(err, core.ErrHelp) {
		s.printCommandHelp("run")
		return 0, nil
	}
	if err != nil {
		return core.ExitCode(err), fmt.Errorf("run: %w", err)
	}
	stdio := core.Stdio{In: s.opts.In, Out: s.opts.Out, Err: s.opts.Err}
	// Signals for mydocker while a container runs are the container's to
	// decide on, as for a shell's foreground job: kill(1), and without a
	// pty the terminal's ^C; SIGHUP when the terminal goes away. Caught,
	// they also never kill mydocker before it restores the terminal.
	stop := s.forwardSignals(&stdio)
	defer stop()
	opts := lifecycle.RunOptions{Name: run.Name, Detach: run.Detach, Remove: run.Remove}
	if run.Image != "" {
		if s.containers().IsImage(run.Image, run.PullSet) {
			opts.Image = &lifecycle.ImageRun{Ref: run.Image, Pull: run.Pull, Progress: s.opts.Err, TTY: s.tty != nil,
				Cmdline: lifecycle.Cmdline{Args: run.Spec.Args[1:], Entrypoint: run.Entrypoint, Env: run.EnvFlags}}
		} else if err := run.HostCommand(); err != nil {
			return core.ExitCode(err), fmt.Errorf("run: %w", err)
		}
	}
	status, err := s.containers().Run(ctx, run.Spec, opts, stdio)
	switch {
	case errors.Is(err, core.ErrNotRoot):
		return status, err
	case errors.Is(err, core.ErrHangup):
		s.hungUp = true // no one is left to type: the session ends
		return ExitHangup, nil
	case err != nil:
		return status, fmt.Errorf("run: %w", err)
	case run.Detach:
		fmt.Fprintln(s.opts.Out, run.Spec.ID)
	}
	return status, nil
}

// containers is the manager of the store this REPL acts on.
func (s *REPL) containers() *lifecycle.Manager {
	if s.opts.Containers == nil {
		root := store.RootFromEnv()
		s.opts.Containers = &lifecycle.Manager{Runtime: s.opts.Runtime, Store: store.New(root),
			Images: image.New(image.RootFor(root, store.DefaultRoot))}
	}
	return s.opts.Containers
}

func (s *REPL) pluginsCmd(_ context.Context, args []string) (int, error) {
	if len(args) > 0 {
		return 2, fmt.Errorf("plugins: takes no arguments")
	}
	if s.opts.Plugins == nil {
		fmt.Fprintln(s.opts.Out, "no plugins loaded")
		return 0, nil
	}
	s.opts.Plugins.Report(s.opts.Out)
	return 0, nil
}

func (s *REPL) clearCmd(_ context.Context, args []string) (int, error) {
	if len(args) > 0 {
		return 2, fmt.Errorf("clear: takes no arguments")
	}
	if s.tty != nil && !dumbTerminal() {
		_, _ = io.WriteString(s.promptOut(), "\x1b[H\x1b[2J\x1b[3J")
	}
	return 0, nil
}

func (s *REPL) exitCmd(_ context.Context, args []string) (int, error) {
	switch len(args) {
	case 0:
		return s.status, errExit
	case 1:
		n, err := strconv.Atoi(args[0])
		if err != nil || n < 0 || n > 255 {
			return 2, fmt.Errorf("exit: %q is not a status from 0 to 255", args[0])
		}
		return n, errExit
	default:
		return 2, fmt.Errorf("exit: too many arguments (usage: exit [N])")
	}
}

func (s *REPL) helpCmd(_ context.Context, args []string) (int, error) {
	switch {
	case len(args) == 0:
		fmt.Fprintln(s.opts.Out, "Commands:")
		for _, c := range commands {
			fmt.Fprintf(s.opts.Out, "  %-8s %-38s %s\n", c.name, c.args, c.summary)
		}
		fmt.Fprintln(s.opts.Out, "\nType `help COMMAND` for a command's options. CONTAINER is a name, an id, or a unique id prefix.")
		return 0, nil
	case len(args) == 1 && lookup(args[0]) != nil:
		s.printCommandHelp(args[0])
		return 0, nil
	default:
		return 2, fmt.Errorf("help: no such command %q (commands: %s)", strings.Join(args, " "), commandNames())
	}
}

// printCommandHelp prints a command's usage and options.
func (s *REPL) printCommandHelp(name string) {
	c := lookup(name)
	fmt.Fprintf(s.opts.Out, "Usage: %s %s\n\n%s\n", c.name, c.args, upperFirst(c.summary))
	switch {
	case name == "run":
		printFlags(s.opts.Out, cli.RunFlagHelp())
		fmt.Fprintln(s.opts.Out, `
Exit status: the command's own; 128+N if it died of signal N; 125 if mydocker
failed; 126 if the command cannot be executed; 127 if it was not found.`)
	case cli.IsContainerCommand(name):
		if flags := cli.CommandFlagHelp(name); len(flags) > 0 {
			printFlags(s.opts.Out, flags)
		}
	}
}

func printFlags(w io.Writer, flags []cli.FlagHelp) {
	fmt.Fprintln(w, "\nOptions:")
	for _, f := range flags {
		name := "    --" + f.Name
		if f.Short != "" {
			name = "-" + f.Short + ", --" + f.Name
		}
		if f.TakesValue {
			name += " " + f.Value
		}
		fmt.Fprintf(w, "  %-34s %s\n", name, f.Usage)
	}
}

func commandNames() string {
	names := make([]string, len(commands))
	for i, c := range commands {
		names[i] = c.name
	}
	return strings.Join(names, ", ")
}

func upperFirst(s string) string {
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
