package repl

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/lifecycle"
	"github.com/mydocker/mydocker/store"
)

// The container commands: docker's words and flags (cli.ParseCommand),
// acting through package lifecycle on the store every mydocker shares.
// A command naming several containers goes on past a failing one, as
// docker's do, and ends with status 1.

// exitLookup is the status of a command that could not find or act on a
// container (docker's).
const exitLookup = 1

// containerCommand wraps a container command: parse, then act.
func containerCommand(name string, act func(s *REPL, ctx context.Context, c *cli.Command) (int, error)) func(*REPL, context.Context, []string) (int, error) {
	return func(s *REPL, ctx context.Context, args []string) (int, error) {
		c, err := cli.ParseCommand(name, args)
		if errors.Is(err, core.ErrHelp) {
			s.printCommandHelp(name)
			return 0, nil
		}
		if err != nil {
			return core.ExitRuntimeError, fmt.Errorf("%s: %w", name, err)
		}
		return act(s, ctx, c)
	}
}

// forEach acts on each container named, printing each failure on its line.
func (s *REPL) forEach(name string, refs []string, act func(ref string) error) (int, error) {
	status := 0
	for i, ref := range refs {
		err := act(ref)
		if err == nil {
			continue
		}
		status = exitLookup
		if i == len(refs)-1 {
			return status, fmt.Errorf("%s: %w", name, err)
		}
		s.printErr(fmt.Errorf("%s: %w", name, err))
	}
	return status, nil
}

func (s *REPL) psCmd(_ context.Context, c *cli.Command) (int, error) {
	all, err := s.containers().Store.Summaries()
	if err != nil {
		return exitLookup, fmt.Errorf("ps: %w", err)
	}
	// tabwriter writes cell by cell: buffered, the table is one write.
	out := bufio.NewWriterSize(s.opts.Out, 64<<10)
	w := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	if !c.Quiet {
		fmt.Fprintln(w, "CONTAINER ID\tNAME\tIMAGE\tCOMMAND\tCREATED\tSTATUS\tPID")
	}
	now := time.Now()
	var line []byte // cells joined here: fmt per line and per cell cost 0.7-2 ms of a one-shot ps -a of 200
	for _, ct := range all {
		if !c.All && ct.Status != store.Running {
			continue
		}
		line = append(line[:0], store.ShortID(ct.ID)...)
		if !c.Quiet {
			pid := ""
			if ct.Status == store.Running {
				pid = strconv.Itoa(ct.Pid)
			}
			for _, cell := range []string{ct.Name, s.imageColumn(ct.Image, ct.Rootfs), quoteCommand(ct.Args),
				humanDuration(now.Sub(ct.Created)) + " ago", statusText(&ct, now), pid} {
				line = append(append(line, '\t'), cell...)
			}
		}
		if _, err := w.Write(append(line, '\n')); err != nil {
			return exitLookup, err
		}
	}
	if err := w.Flush(); err != nil {
		return exitLookup, err
	}
	return 0, out.Flush()
}

// imageColumn is the IMAGE column: the image as docker shows it, the
// --rootfs directory, or "-" for the host's root.
func (s *REPL) imageColumn(image, rootfs string) string {
	switch {
	case image != "" && s.containers().Images != nil:
		return s.containers().Images.Display(image)
	case image != "":
		return image
	case rootfs != "":
		return rootfs
	}
	return "-"
}

// quoteCommand is the COMMAND column: the words, cut to 24 characters.
func quoteCommand(args []string) string {
	cmd := printable(strings.Join(args, " "))
	if r := []rune(cmd); len(r) > 24 {
		cmd = string(r[:23]) + "…"
	}
	return `"` + cmd + `"`
}

// statusText is the STATUS column, as docker words it.
func statusText(c *store.Summary, now time.Time) string {
	switch {
	case c.Status == store.Running:
		return "Up " + humanDuration(now.Sub(c.Started))
	case c.Status == store.Created:
		return "Created"
	case c.Exit == nil && c.Lost != "":
		return "Exited (unknown): " + c.Lost
	case c.Exit == nil:
		return "Exiting"
	}
	code := strconv.Itoa(c.Exit.ExitCode)
	if c.Exit.OOMKilled {
		code += ", OOM"
	}
	return "Exited (" + code + ") " + humanDuration(now.Sub(c.Exit.FinishedAt)) + " ago"
}

// humanDuration words a duration as docker's ps does.
func humanDuration(d time.Duration) string {
	switch s := int(d.Seconds()); {
	case s < 1:
		return "Less than a second"
	case s == 1:
		return "1 second"
	case s < 60:
		return strconv.Itoa(s) + " seconds"
	case d.Minutes() < 2:
		return "About a minute"
	case d.Minutes() < 60:
		return strconv.Itoa(int(d.Minutes())) + " minutes"
	case d.Hours() < 2:
		return "About an hour"
	case d.Hours() < 48:
		return strconv.Itoa(int(d.Hours())) + " hours"
	}
	return strconv.Itoa(int(d.Hours()/24)) + " days"
}

func (s *REPL) logsCmd(ctx context.Context, c *cli.Command) (int, error) {
	// ^C ends -f: the context ends, and the prompt comes back.
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	o := lifecycle.LogOptions{Follow: c.Follow, Tail: c.Tail, Timestamps: c.Timestamps}
	if err := s.containers().Logs(ctx, c.Refs[0], o, toTerminal(s.opts.Out), toTerminal(s.opts.Err)); err != nil {
		return exitLookup, fmt.Errorf("logs: %w", err)
	}
	return 0, nil
}

func (s *REPL) execCmd(ctx context.Context, c *cli.Command) (int, error) {
	stdio := core.Stdio{In: s.opts.In, Out: s.opts.Out, Err: s.opts.Err}
	stop := s.forwardSignals(&stdio)
	defer stop()
	status, err := s.containers().Exec(ctx, c.Refs[0], c.Exec, stdio)
	switch {
	case errors.Is(err, core.ErrHangup):
		s.hungUp = true
		return ExitHangup, nil
	case errors.Is(err, store.ErrNotFound), errors.Is(err, store.ErrAmbiguous), errors.Is(err, core.ErrNotRunning):
		return exitLookup, fmt.Errorf("exec: %w", err)
	case err != nil:
		return status, fmt.Errorf("exec: %w", err)
	}
	return status, nil
}

// forwardSignals sends the signals mydocker gets to the container while it
// runs in the foreground (see runCmd); the returned func stops that.
func (s *REPL) forwardSignals(stdio *core.Stdio) func() {
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGQUIT, syscall.SIGTERM, syscall.SIGHUP)
	stdio.Signals = sigs
	return func() { signal.Stop(sigs) }
}

func (s *REPL) stopCmd(ctx context.Context, c *cli.Command) (int, error) {
	return s.forEach("stop", c.Refs, func(ref string) error {
		if _, err := s.containers().Stop(ctx, ref, c.Time); err != nil {
			return err
		}
		fmt.Fprintln(s.opts.Out, ref)
		return nil
	})
}

func (s *REPL) killCmd(_ context.Context, c *cli.Command) (int, error) {
	return s.forEach("kill", c.Refs, func(ref string) error {
		if _, err := s.containers().Kill(ref, c.Signal); err != nil {
			return err
		}
		fmt.Fprintln(s.opts.Out, ref)
		return nil
	})
}

func (s *REPL) rmCmd(ctx context.Context, c *cli.Command) (int, error) {
	return s.forEach("rm", c.Refs, func(ref string) error {
		if _, err := s.containers().Remove(ctx, ref, c.Force); err != nil {
			return err
		}
		fmt.Fprintln(s.opts.Out, ref)
		return nil
	})
}

func (s *REPL) waitCmd(ctx context.Context, c *cli.Command) (int, error) {
	ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	return s.forEach("wait", c.Refs, func(ref string) error {
		ct, err := s.containers().Wait(ctx, ref)
		switch {
		case err != nil:
			return err
		case ct.Exit == nil:
			return fmt.Errorf("container %s ended with no exit status: %s", ct.Name, ct.Lost)
		}
		fmt.Fprintln(s.opts.Out, ct.Exit.ExitCode)
		return nil
	})
}

func (s *REPL) inspectCmd(_ context.Context, c *cli.Command) (int, error) {
	var found []*lifecycle.Inspection
	status, err := s.forEach("inspect", c.Refs, func(ref string) error {
		in, err := s.containers().Inspect(ref)
		if err == nil {
			found = append(found, in)
		}
		return err
	})
	b, jerr := json.MarshalIndent(found, "", "    ")
	if jerr != nil {
		return exitLookup, fmt.Errorf("inspect: %w", jerr)
	}
	if len(found) > 0 {
		fmt.Fprintln(s.opts.Out, string(b))
	}
	return status, err
}

func (s *REPL) topCmd(_ context.Context, c *cli.Command) (int, error) {
	_, procs, err := s.containers().Top(c.Refs[0])
	if err != nil {
		return exitLookup, fmt.Errorf("top: %w", err)
	}
	w := tabwriter.NewWriter(s.opts.Out, 0, 4, 3, ' ', 0)
	fmt.Fprintln(w, "UID\tPID\tPPID\tCMD")
	for _, p := range procs {
		fmt.Fprintf(w, "%d\t%d\t%d\t%s\n", p.UID, p.PID, p.PPID, printable(p.Cmd))
	}
	return 0, w.Flush()
}
