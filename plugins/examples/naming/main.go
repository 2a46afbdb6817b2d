// Command naming is an example mydocker plugin that edits the spec: its
// pre-clone hook names the container PREFIX-<first 6 digits of its id>
// (PREFIX from MYDOCKER_NAME_PREFIX, default "box") unless --hostname was
// given, and tells the command its id in CONTAINER_ID.
// Build: go build -o naming ./plugins/examples/naming
package main

import (
	"context"
	"os"

	"github.com/mydocker/mydocker/plugins/sdk"
)

type naming struct {
	sdk.NoopHooks
	prefix string
}

func (n naming) PreClone(_ context.Context, spec *sdk.Spec) error {
	// mydocker's default, with no --hostname: the id's first 12 characters.
	if len(spec.ID) >= 12 && spec.Hostname == spec.ID[:12] {
		spec.Hostname = n.prefix + "-" + spec.ID[:6]
	}
	spec.Env = append(spec.Env, "CONTAINER_ID="+spec.ID)
	sdk.Log.Debug("named", "container", spec.ID, "hostname", spec.Hostname)
	return nil
}

func main() {
	prefix := os.Getenv("MYDOCKER_NAME_PREFIX")
	if prefix == "" {
		prefix = "box"
	}
	sdk.Serve(naming{prefix: prefix})
}
