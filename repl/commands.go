package repl

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
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
		{"run", "[OPTIONS] COMMAND [ARG...]", "run a command in a new container", (*REPL).runCmd},
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
	spec, err := cli.ParseRun(args)
	if errors.Is(err, core.ErrHelp) {
		c := lookup("run")
		fmt.Fprintf(s.opts.Out, "Usage: %s %s\n\n%s\n", c.name, c.args, upperFirst(c.summary))
		printRunHelp(s.opts.Out)
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
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	defer signal.Stop(sigs)
	stdio.Signals = sigs
	status, err := s.opts.Runtime.Run(ctx, spec, stdio)
	switch {
	case errors.Is(err, core.ErrNotRoot):
		return status, err
	case errors.Is(err, core.ErrHangup):
		s.hungUp = true // no one is left to type: the session ends
		return ExitHangup, nil
	case err != nil:
		return status, fmt.Errorf("run: %w", err)
	}
	return status, nil
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
			fmt.Fprintf(s.opts.Out, "  %-8s %-27s %s\n", c.name, c.args, c.summary)
		}
		fmt.Fprintln(s.opts.Out, "\nType `help run` for the options of run.")
		return 0, nil
	case len(args) == 1 && lookup(args[0]) != nil:
		c := lookup(args[0])
		fmt.Fprintf(s.opts.Out, "Usage: %s %s\n\n%s\n", c.name, c.args, upperFirst(c.summary))
		if c.name == "run" {
			printRunHelp(s.opts.Out)
		}
		return 0, nil
	default:
		return 2, fmt.Errorf("help: no such command %q (commands: %s)", strings.Join(args, " "), commandNames())
	}
}

func printRunHelp(w io.Writer) {
	fmt.Fprintln(w, "\nOptions:")
	for _, f := range cli.RunFlagHelp() {
		name := "    --" + f.Name
		if f.Short != "" {
			name = "-" + f.Short + ", --" + f.Name
		}
		if f.TakesValue {
			name += " " + f.Value
		}
		fmt.Fprintf(w, "  %-34s %s\n", name, f.Usage)
	}
	fmt.Fprintln(w, `
Exit status: the command's own; 128+N if it died of signal N; 125 if mydocker
failed; 126 if the command cannot be executed; 127 if it was not found.`)
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
