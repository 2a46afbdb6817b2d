package core

// #cgo CFLAGS: -O2 -Wall -Wextra -Wno-unused-parameter
// // init.c's constructor runs in every program linking core, before Go
// // starts; it only acts in a container init (argv[1]=="init" and
// // _MYDOCKER_INITFD set), so nothing here is called from Go.
import "C"

import (
	"errors"
	"fmt"
	"io"
	"os"
)

// IsInit reports whether this process was started as a container init,
// i.e. os.Args[1] is "init". main dispatches on it before anything else.
func IsInit() bool { return len(os.Args) > 1 && os.Args[1] == "init" }

// Init is what main runs for "init" if the C constructor did not take the
// process over: that only happens when someone types `mydocker init` by
// hand, since a real container init never reaches the Go runtime. It
// returns the exit status.
func Init(stderr io.Writer) int {
	fmt.Fprintln(stderr, "mydocker: init:", errInitByHand)
	return ExitRuntimeError
}

var errInitByHand = errors.New("internal command: the container init is started by `mydocker run`")

// debugSteps prints the boot sequence, one step a line, for --debug.
func debugSteps(w io.Writer, pid int, steps []step) {
	if w == nil {
		return
	}
	fmt.Fprintf(w, "mydocker: debug: container init pid %d, %d steps:\n", pid, len(steps))
	for i, s := range steps {
		fmt.Fprintf(w, "mydocker: debug:   %d. %s\n", i+1, s.what)
	}
}
