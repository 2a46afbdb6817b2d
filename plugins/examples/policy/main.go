// Command policy is an example mydocker plugin that vetoes runs: a
// pre-clone hook refuses any command whose name is listed, comma-separated,
// in MYDOCKER_POLICY_DENY (read from the environment mydocker was started
// with). Build: go build -o policy ./plugins/examples/policy
package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/mydocker/mydocker/plugins/sdk"
)

type policy struct {
	sdk.NoopHooks // no post-mount hook
	deny          []string
}

func (p policy) PreClone(_ context.Context, spec *sdk.Spec) error {
	name := filepath.Base(spec.Args[0])
	if slices.Contains(p.deny, name) {
		sdk.Log.Debug("refused", "container", spec.ID, "command", name)
		return fmt.Errorf("command %q is denied by policy (MYDOCKER_POLICY_DENY)", name)
	}
	sdk.Log.Debug("allowed", "container", spec.ID, "command", name)
	return nil
}

func main() {
	var deny []string
	for _, name := range strings.Split(os.Getenv("MYDOCKER_POLICY_DENY"), ",") {
		if name = strings.TrimSpace(name); name != "" {
			deny = append(deny, name)
		}
	}
	sdk.Serve(policy{deny: deny})
}
