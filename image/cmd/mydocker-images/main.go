// Command mydocker-images is mydocker's image helper: pull, login and tag,
// the image commands that need go-containerregistry (package
// image/registry). mydocker runs it per command (package image's
// helper.go) so that mydocker itself does not link that library, net/http
// and TLS. Usage:
//
//	mydocker-images --root DIR pull [--tty] -- REF      progress on stdout
//	mydocker-images --root DIR login -- REGISTRY USER   password on stdin
//	mydocker-images --root DIR tag -- SRC DST
//
// The answer is one JSON line on fd 3 (image.HelperAnswer), or on stdout
// when fd 3 is not open.
package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"

	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/image/registry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), syscall.SIGINT, syscall.SIGTERM, syscall.SIGHUP)
	defer stop()
	a := run(ctx, os.Args[1:])
	answer := os.NewFile(3, "answer")
	if _, err := answer.Stat(); err != nil {
		answer = os.Stdout
	}
	if a.Error != "" && ctx.Err() != nil {
		a.Error = "interrupted"
	}
	json.NewEncoder(answer).Encode(a)
	if a.Error != "" {
		if ctx.Err() != nil {
			os.Exit(130)
		}
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string) image.HelperAnswer {
	fail := func(err error) image.HelperAnswer { return image.HelperAnswer{Error: err.Error()} }
	if len(args) < 3 || args[0] != "--root" {
		return fail(errors.New("usage: mydocker-images --root DIR pull|login|tag ..."))
	}
	c := &registry.Client{Store: image.New(args[1])}
	cmd, rest := args[2], args[3:]
	tty := false
	for len(rest) > 0 && rest[0] != "--" {
		if rest[0] == "--tty" {
			tty = true
		}
		rest = rest[1:]
	}
	if len(rest) > 0 {
		rest = rest[1:]
	}
	switch {
	case cmd == "pull" && len(rest) == 1:
		img, err := c.Pull(ctx, rest[0], os.Stdout, tty)
		if err != nil {
			return fail(err)
		}
		return image.HelperAnswer{Ref: img.Ref, Digest: img.Digest.String()}
	case cmd == "login" && len(rest) == 2:
		line, err := bufio.NewReader(os.Stdin).ReadString('\n')
		if err != nil && line == "" {
			return fail(fmt.Errorf("read the password: %w", err))
		}
		if err := c.Login(ctx, rest[0], rest[1], strings.TrimRight(line, "\r\n")); err != nil {
			return fail(err)
		}
		return image.HelperAnswer{}
	case cmd == "tag" && len(rest) == 2:
		if err := c.Tag(rest[0], rest[1]); err != nil {
			return fail(err)
		}
		return image.HelperAnswer{}
	}
	return fail(fmt.Errorf("usage: mydocker-images --root DIR pull|login|tag -- ARGS (got %q)", args[2:]))
}
