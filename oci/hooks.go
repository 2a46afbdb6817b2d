package oci

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os/exec"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// The runtime-spec's command hooks, run by the runtime in its own
// namespaces with the container's state as JSON on stdin:
//
//	prestart, createRuntime   create, once the namespaces and mounts exist,
//	                          before pivot_root; a failure fails the create
//	poststart                 start, once the command runs; a failure is
//	                          logged
//	poststop                  delete, once the container is gone; a
//	                          failure is logged
//
// createContainer and startContainer run in the container's namespaces:
// not supported yet (a config with them is refused, so none is skipped
// silently).

// runHooks runs hooks in order with state on stdin; the first failure
// stops them.
func runHooks(kind string, hooks []specs.Hook, state specs.State) error {
	input, err := json.Marshal(state)
	if err != nil {
		return err
	}
	for _, h := range hooks {
		ctx := context.Background()
		if h.Timeout != nil && *h.Timeout > 0 {
			var cancel context.CancelFunc
			ctx, cancel = context.WithTimeout(ctx, time.Duration(*h.Timeout)*time.Second)
			defer cancel()
		}
		cmd := exec.CommandContext(ctx, h.Path)
		if len(h.Args) > 0 {
			cmd.Args = h.Args
		}
		cmd.Env = h.Env
		cmd.Stdin = bytes.NewReader(input)
		var out bytes.Buffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Run(); err != nil {
			if ctx.Err() != nil {
				err = fmt.Errorf("timed out after %ds", *h.Timeout)
			}
			return fmt.Errorf("%s hook %s: %v: %s", kind, h.Path, err, strings.TrimSpace(out.String()))
		}
	}
	return nil
}

// checkHooks refuses the hooks mydocker cannot run where the spec says.
func checkHooks(h *specs.Hooks) error {
	if h != nil && (len(h.CreateContainer) > 0 || len(h.StartContainer) > 0) {
		return fmt.Errorf("createContainer and startContainer hooks are not supported")
	}
	return nil
}

// hookState is the state JSON hooks get.
func hookState(id, bundle string, pid int, status specs.ContainerState, annotations map[string]string) specs.State {
	return specs.State{Version: specs.Version, ID: id, Status: status, Pid: pid, Bundle: bundle, Annotations: annotations}
}
