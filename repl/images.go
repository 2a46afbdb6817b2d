package repl

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"golang.org/x/term"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
)

// The image commands: pull, images, rmi, tag, image prune, login,
// logout, acting on the image store (package image) that runs from an
// image use.

// imageCommand wraps an image command: parse, find the store, act.
func imageCommand(name string, act func(s *REPL, ctx context.Context, st *image.Store, c *cli.Command) (int, error)) func(*REPL, context.Context, []string) (int, error) {
	return containerCommand(name, func(s *REPL, ctx context.Context, c *cli.Command) (int, error) {
		st := s.containers().Images
		if st == nil {
			return core.ExitRuntimeError, fmt.Errorf("%s: no image store configured", name)
		}
		// ^C stops a pull (the helper cleans up) and the prompt goes on.
		ctx, stop := signal.NotifyContext(ctx, syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
		defer stop()
		status, err := act(s, ctx, st, c)
		if ctx.Err() != nil && err != nil {
			return 130, fmt.Errorf("%s: interrupted", name)
		}
		return status, err
	})
}

func (s *REPL) pullCmd(ctx context.Context, st *image.Store, c *cli.Command) (int, error) {
	out := s.opts.Out
	if c.Quiet {
		out = io.Discard
	}
	img, err := st.Pull(ctx, c.Refs[0], out, s.tty != nil)
	if err != nil {
		return exitLookup, err
	}
	if c.Quiet {
		fmt.Fprintln(s.opts.Out, img.Digest)
		return 0, nil
	}
	fmt.Fprintf(s.opts.Out, "Status: pulled %s\n", st.Display(img.Ref))
	return 0, nil
}

func (s *REPL) imagesCmd(_ context.Context, st *image.Store, c *cli.Command) (int, error) {
	all, err := st.List()
	if err != nil {
		return exitLookup, fmt.Errorf("images: %w", err)
	}
	out := bufio.NewWriterSize(s.opts.Out, 64<<10) // one write, not one a cell
	defer out.Flush()
	w := tabwriter.NewWriter(out, 0, 4, 3, ' ', 0)
	switch {
	case c.Quiet:
	case c.Digests:
		fmt.Fprintln(w, "REPOSITORY\tTAG\tDIGEST\tIMAGE ID\tCREATED\tSIZE")
	default:
		fmt.Fprintln(w, "REPOSITORY\tTAG\tIMAGE ID\tCREATED\tSIZE")
	}
	seen := map[string]bool{}
	now := time.Now()
	for i := len(all) - 1; i >= 0; i-- { // newest first
		img := all[i]
		if c.Quiet {
			if !seen[img.ID()] {
				fmt.Fprintln(w, img.ID())
			}
			seen[img.ID()] = true
			continue
		}
		repo, tag := st.Display(img.Repository), "<none>"
		if img.Ref != "" {
			full := st.Display(img.Ref)
			repo, tag = full[:strings.LastIndex(full, ":")], full[strings.LastIndex(full, ":")+1:]
		} else if img.Repository == "" {
			repo = "<none>"
		}
		created := "unknown"
		if !img.Created.IsZero() {
			created = humanDuration(now.Sub(img.Created)) + " ago"
		}
		if c.Digests {
			digest := img.Digest.String()
			if img.RepoDigest != "" {
				digest = img.RepoDigest
			}
			fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\n", repo, tag, digest, img.ID(), created, image.HumanSize(img.Size))
			continue
		}
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\n", repo, tag, img.ID(), created, image.HumanSize(img.Size))
	}
	return 0, w.Flush()
}

func (s *REPL) rmiCmd(_ context.Context, st *image.Store, c *cli.Command) (int, error) {
	return s.forEach("rmi", c.Refs, func(ref string) error {
		removed, err := st.Remove(ref, c.Force, s.containers().ImageUsage)
		if err != nil {
			return err
		}
		for _, u := range removed.Untagged {
			fmt.Fprintf(s.opts.Out, "Untagged: %s\n", u)
		}
		for _, d := range removed.Deleted {
			fmt.Fprintf(s.opts.Out, "Deleted: %s\n", d)
		}
		return nil
	})
}

func (s *REPL) tagCmd(ctx context.Context, st *image.Store, c *cli.Command) (int, error) {
	if err := st.TagAs(ctx, c.Refs[0], c.Refs[1]); err != nil {
		return exitLookup, fmt.Errorf("tag: %w", err)
	}
	return 0, nil
}

func (s *REPL) imagePruneCmd(_ context.Context, st *image.Store, c *cli.Command) (int, error) {
	deleted, freed, err := st.Prune(c.All, s.containers().ImageUsage)
	for _, d := range deleted {
		fmt.Fprintf(s.opts.Out, "Deleted: %s\n", d)
	}
	if err != nil {
		return exitLookup, fmt.Errorf("image prune: %w", err)
	}
	fmt.Fprintf(s.opts.Out, "Total reclaimed space: %s\n", image.HumanSize(freed))
	return 0, nil
}

func (s *REPL) loginCmd(ctx context.Context, st *image.Store, c *cli.Command) (int, error) {
	user, pass := c.Username, c.Password
	if user == "" {
		if s.tty == nil {
			return core.ExitRuntimeError, fmt.Errorf("login: no username: give -u USER")
		}
		fmt.Fprint(s.promptOut(), "Username: ")
		line, err := readLine(s.opts.In)
		if err != nil {
			return core.ExitRuntimeError, fmt.Errorf("login: read the username: %w", err)
		}
		user = strings.TrimSpace(line)
	}
	switch {
	case c.PasswordStdin && pass != "":
		return core.ExitRuntimeError, fmt.Errorf("login: --password and --password-stdin exclude each other")
	case c.PasswordStdin:
		line, err := readLine(s.opts.In)
		if err != nil && line == "" {
			return core.ExitRuntimeError, fmt.Errorf("login: read the password from stdin: %w", err)
		}
		pass = strings.TrimRight(line, "\r\n")
	case pass == "" && s.tty != nil:
		fmt.Fprint(s.promptOut(), "Password: ")
		b, err := term.ReadPassword(int(s.tty.Fd()))
		fmt.Fprintln(s.promptOut())
		if err != nil {
			return core.ExitRuntimeError, fmt.Errorf("login: read the password: %w", err)
		}
		pass = string(b)
	case pass == "":
		return core.ExitRuntimeError, fmt.Errorf("login: no password: give --password-stdin or -p")
	}
	if err := st.Login(ctx, c.Refs[0], user, pass); err != nil {
		return exitLookup, fmt.Errorf("login: %w", err)
	}
	fmt.Fprintln(s.opts.Out, "Login Succeeded")
	return 0, nil
}

func (s *REPL) logoutCmd(_ context.Context, st *image.Store, c *cli.Command) (int, error) {
	found, err := st.Logout(c.Refs[0])
	if err != nil {
		return exitLookup, fmt.Errorf("logout: %w", err)
	}
	if !found {
		fmt.Fprintf(s.opts.Out, "Not logged in to %s\n", c.Refs[0])
		return 0, nil
	}
	fmt.Fprintf(s.opts.Out, "Removing login credentials for %s\n", c.Refs[0])
	return 0, nil
}

func (s *REPL) networkPruneCmd(_ context.Context, _ *cli.Command) (int, error) {
	prune := s.containers().NetworkPrune
	if prune == nil {
		return core.ExitRuntimeError, fmt.Errorf("network prune: no network plugin configured")
	}
	if err := prune(s.opts.Out); err != nil {
		return exitLookup, fmt.Errorf("network prune: %w", err)
	}
	return 0, nil
}
