// Package oci is mydocker's OCI runtime command line, runc's: podman
// (through conmon), containerd's shim and dockerd drive containers with it
// (create, start, state, kill, delete, run, list, features, --version),
// each container a bundle (config.json and a root filesystem). It shares
// core's boot sequence and security and the container store with the
// prompt: an OCI container is listed by `mydocker ps` over the same --root.
//
// Which words are OCI's (main.go asks IsOCI): the words only runc has
// (create, start, state, delete, list, features, ...), `--version`, any
// runc global flag (--log, --log-format, --systemd-cgroup), and the words
// shared with the prompt in their runc form: `run --bundle`, `kill ID SIG`
// or `kill --all`, `ps --format`. `mydocker oci WORD ...` is always OCI.
package oci

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/spf13/pflag"
)

// Version is what `--version` says, runc's way.
const Version = "0.12.0"

// ociOnly are the words only the OCI command line has.
var ociOnly = []string{"create", "start", "state", "delete", "list", "features", "pause", "resume", "update", "spec", "events", "checkpoint", "restore"}

// IsOCI reports whether args (after mydocker's own global flags were not
// recognised) are an OCI runtime invocation.
func IsOCI(args []string) bool {
	g, rest, err := parseGlobals(args)
	if err != nil || len(rest) == 0 {
		return err == nil && g.version
	}
	word, flags := rest[0], rest[1:]
	switch {
	case word == "oci", g.log != "" || g.logFormat != "" || g.systemdCgroup, slices.Contains(ociOnly, word):
		return true
	case word == "run":
		return hasFlag(flags, "bundle", "b")
	case word == "ps":
		return hasFlag(flags, "format", "f")
	case word == "kill":
		pos := positional(flags)
		return hasFlag(flags, "all", "a") || (len(pos) == 2 && isSignal(pos[1]))
	case word == "exec":
		return hasFlag(flags, "process", "p") || hasFlag(flags, "pid-file", "") || hasFlag(flags, "console-socket", "")
	}
	return false
}

// globals are runc's global flags.
type globals struct {
	root, log, logFormat string
	systemdCgroup, debug bool
	version              bool
}

func parseGlobals(args []string) (globals, []string, error) {
	var g globals
	fs := pflag.NewFlagSet("mydocker", pflag.ContinueOnError)
	fs.SetInterspersed(false)
	fs.SetOutput(io.Discard)
	fs.StringVar(&g.root, "root", "", "state directory")
	fs.StringVar(&g.log, "log", "", "log file")
	fs.StringVar(&g.logFormat, "log-format", "", "text or json")
	fs.BoolVar(&g.systemdCgroup, "systemd-cgroup", false, "cgroups through systemd")
	fs.BoolVar(&g.debug, "debug", false, "debug output")
	fs.BoolVarP(&g.version, "version", "v", false, "print the version")
	fs.String("criu", "", "unused")
	fs.Bool("rootless", false, "unused")
	err := fs.Parse(args)
	return g, fs.Args(), err
}

// hasFlag reports whether a flag --long (or -short) is among args.
func hasFlag(args []string, long, short string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		if a == "--"+long || strings.HasPrefix(a, "--"+long+"=") || (short != "" && (a == "-"+short || strings.HasPrefix(a, "-"+short+"="))) {
			return true
		}
	}
	return false
}

// positional are the words of args that are not flags.
func positional(args []string) []string {
	var out []string
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			out = append(out, a)
		}
	}
	return out
}

// logger writes errors where the caller reads them: the --log file as JSON
// lines with --log-format json (containerd and podman read them back),
// and stderr.
type logger struct {
	stderr io.Writer
	file   *os.File
	json   bool
}

func (l *logger) errorf(format string, a ...any) {
	msg := fmt.Sprintf(format, a...)
	fmt.Fprintln(l.stderr, "mydocker: "+msg)
	if l.file == nil {
		return
	}
	if l.json {
		b, _ := json.Marshal(map[string]string{"level": "error", "msg": msg, "time": time.Now().UTC().Format(time.RFC3339Nano)})
		l.file.Write(append(b, '\n'))
	} else {
		fmt.Fprintf(l.file, "%s error: %s\n", time.Now().UTC().Format(time.RFC3339), msg)
	}
}
