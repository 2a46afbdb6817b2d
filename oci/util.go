package oci

import (
	"slices"
	"strings"
	"syscall"

	"github.com/moby/sys/capability"

	"github.com/mydocker/mydocker/cli"
)

// parseSignal reads a signal as runc does: a number, or a name with or
// without SIG.
func parseSignal(s string) (syscall.Signal, error) { return cli.ParseSignal(s) }

func isSignal(s string) bool {
	_, err := cli.ParseSignal(s)
	return err == nil
}

// propagationNames and mountOptionNames are what `features` lists.
var propagationNames = map[string]bool{"private": true, "rprivate": true, "shared": true, "rshared": true,
	"slave": true, "rslave": true, "unbindable": true, "runbindable": true}

func mountOptionNames() []string {
	names := []string{"async", "atime", "bind", "dev", "diratime", "dirsync", "exec", "mand", "noatime", "nodev",
		"nodiratime", "noexec", "nomand", "norelatime", "nostrictatime", "nosuid", "rbind", "relatime", "remount",
		"ro", "rw", "strictatime", "suid", "sync", "tmpcopyup"}
	for n := range propagationNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

func capNames() []string {
	var names []string
	for _, c := range capability.ListKnown() {
		names = append(names, "CAP_"+strings.ToUpper(c.String()))
	}
	return names
}
