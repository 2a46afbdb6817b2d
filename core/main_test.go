package core_test

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"strconv"
	"syscall"
	"testing"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/hostcheck"
	"github.com/mydocker/mydocker/internal/testrootfs"
)

// helperEnv makes the test binary a minimal one-shot mydocker (see
// helperMain), so that tests can run containers from a process of their
// own: one they can kill, or give a controlling terminal.
const helperEnv = "MYDOCKER_CORE_HELPER"

// TestMain checks that the whole run left the host as it found it.
func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) != "" {
		os.Exit(helperMain(os.Args[1:]))
	}
	code := hostcheck.Main(m)
	testrootfs.Remove()
	os.Exit(code)
}

// helperMain runs `run` words N times ($MYDOCKER_CORE_HELPER=N), with this
// process's stdio, forwarding SIGINT and SIGTERM; it prints nothing of its
// own but errors, and exits with the last status, or 1 if any run failed.
func helperMain(words []string) int {
	n, err := strconv.Atoi(os.Getenv(helperEnv))
	if err != nil {
		n = 1
	}
	sigs := make(chan os.Signal, 4)
	signal.Notify(sigs, syscall.SIGINT, syscall.SIGTERM)
	status, failed := 0, false
	for i := 0; i < n; i++ {
		spec, err := cli.ParseRun(words)
		if err != nil {
			fmt.Fprintln(os.Stderr, "helper:", err)
			return core.ExitCode(err)
		}
		status, err = (&core.Runtime{}).Run(context.Background(), spec, core.Stdio{In: os.Stdin, Out: os.Stdout, Err: os.Stderr, Signals: sigs})
		if err != nil {
			fmt.Fprintf(os.Stderr, "helper: run %d: %v\n", i, err)
			failed = true
		}
	}
	if failed && n > 1 {
		return 1
	}
	return status
}

func requireRoot(tb testing.TB) {
	tb.Helper()
	hostcheck.RequireRoot(tb)
}

// helperCommand runs `run words` n times in a helper process.
func helperCommand(n int, words ...string) *exec.Cmd {
	cmd := exec.Command(os.Args[0], words...)
	cmd.Env = append(os.Environ(), helperEnv+"="+strconv.Itoa(n))
	return cmd
}
