// Command mydocker is a small Linux container runtime with a shell-like
// front end. `mydocker run [OPTIONS] COMMAND [ARG...]` runs one container;
// see README.md.
package main

import (
	"context"
	"os"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/repl"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run is main without os.Exit, so that deferred clean-up runs.
func run(args []string) int {
	// A container init normally never gets here: core's C constructor has
	// taken the process over. Dispatch first anyway, before any set-up.
	if core.IsInit() {
		return core.Init(os.Stderr)
	}
	s := &repl.Session{Runtime: &core.Runtime{}, Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if len(args) == 0 {
		args = []string{"help"}
	}
	if args[0] == "--help" || args[0] == "-h" {
		args = []string{"help"}
	}
	status, _ := s.Exec(context.Background(), args)
	return status
}
