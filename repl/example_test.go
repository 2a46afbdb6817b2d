package repl_test

import (
	"context"
	"fmt"
	"os"
	"strings"

	"github.com/mydocker/mydocker/repl"
)

// A program embeds mydocker's REPL over its own streams; here it runs a
// script that starts two containers. (Containers need root.)
func Example() {
	script := strings.NewReader(`
# comments and blank lines are skipped
run echo "hello from a container"
run --hostname lab1 sh -c 'echo "PID $$ on $(hostname)"'
exit 0
`)
	r := repl.New(repl.Options{In: script, Out: os.Stdout, Err: os.Stdout})
	status := r.Run(context.Background())
	fmt.Println("status", status)
	// Output:
	// hello from a container
	// PID 1 on lab1
	// status 0
}
