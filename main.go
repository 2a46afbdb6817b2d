// Command mydocker is a small Linux container runtime with a shell-like
// front end: `mydocker` starts the `mydocker> ` prompt (or runs the
// commands piped to it), `mydocker run [OPTIONS] COMMAND [ARG...]` runs one
// container. See README.md.
package main

import (
	"context"
	"os"
	"path/filepath"

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
	ctx := context.Background()
	r := repl.New(repl.Options{HistoryFile: historyFile()})
	if len(args) == 0 {
		return r.Run(ctx)
	}
	if args[0] == "--help" || args[0] == "-h" {
		args = []string{"help"}
	}
	status, _ := r.Exec(ctx, args)
	return status
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
