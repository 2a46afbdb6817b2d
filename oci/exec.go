package oci

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"

	specs "github.com/opencontainers/runtime-spec/specs-go"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/store"
)

// exec runs a process in a running container: from a process.json
// (--process, conmon's and the shim's way) or from the command line (the
// container's process with other args). Detached, it returns once the
// process runs (its pid in --pid-file) and the caller's subreaper reaps
// it; otherwise it waits and exits with its status.
func (c *cmd) exec(args []string) error {
	fs := flags("exec")
	processFile := fs.StringP("process", "p", "", "the process, as JSON")
	detach := fs.BoolP("detach", "d", false, "do not wait for the process")
	pidFile := fs.String("pid-file", "", "write the process's pid here")
	tty := fs.BoolP("tty", "t", false, "give the process a terminal")
	consoleSocket := fs.String("console-socket", "", "send the pty master here")
	cwd := fs.String("cwd", "", "working directory")
	env := fs.StringArrayP("env", "e", nil, "KEY=VALUE")
	user := fs.StringP("user", "u", "", "UID[:GID]")
	fs.Int("preserve-fds", 0, "unused")
	fs.String("process-label", "", "unused")
	fs.String("apparmor", "", "unused")
	fs.Bool("no-new-privs", false, "set no_new_privs")
	fs.SetInterspersed(false)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 || (*processFile == "" && fs.NArg() < 2) {
		return fmt.Errorf("usage: exec [OPTIONS] ID (--process FILE | COMMAND [ARG...])")
	}
	ct, err := c.get(fs.Arg(0))
	if err != nil {
		return err
	}
	if ct.Status != store.Running {
		return fmt.Errorf("cannot exec in a container that is %s", ociStatus(ct))
	}
	cfg, err := core.ReadBundleConfig(ct.OCI.Bundle)
	if err != nil {
		return err
	}
	var proc specs.Process
	if *processFile != "" {
		b, err := os.ReadFile(*processFile)
		if err != nil {
			return fmt.Errorf("read the process: %w", err)
		}
		if err := json.Unmarshal(b, &proc); err != nil {
			return fmt.Errorf("parse %s: %w", *processFile, err)
		}
	} else {
		proc = *cfg.Process
		proc.Args, proc.Terminal = fs.Args()[1:], *tty
		proc.Env = append(append([]string(nil), proc.Env...), *env...)
		if *cwd != "" {
			proc.Cwd = *cwd
		}
		if *user != "" {
			uid, gid, _ := strings.Cut(*user, ":")
			u, err1 := strconv.ParseUint(uid, 10, 32)
			g, err2 := strconv.ParseUint(gid, 10, 32)
			if err1 != nil || (gid != "" && err2 != nil) {
				return fmt.Errorf("invalid --user %q: want UID[:GID]", *user)
			}
			proc.User = specs.User{UID: uint32(u), GID: uint32(g)}
		}
	}
	p, err := c.rt.ExecOCI(core.ExecOCIOptions{ID: ct.ID, Config: cfg, Process: &proc, Pid: ct.Pid, PidStart: ct.PidStart,
		ConsoleSocket: *consoleSocket, Stdio: [3]*os.File{os.Stdin, os.Stdout, os.Stderr}, Debug: c.debug})
	if err != nil {
		return err
	}
	if *pidFile != "" {
		if err := writePidFile(*pidFile, p.Pid); err != nil {
			return err
		}
	}
	if *detach {
		return nil
	}
	st, err := p.Wait()
	if err != nil {
		return err
	}
	if ws, ok := st.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		return exitStatus(128 + int(ws.Signal()))
	}
	if st.ExitCode() != 0 {
		return exitStatus(st.ExitCode())
	}
	return nil
}

// getWithConfig reads the OCI container id and its bundle's config.
func (c *cmd) getWithConfig(id string) (*store.Container, *specs.Spec, error) {
	ct, err := c.get(id)
	if err != nil {
		return nil, nil, err
	}
	cfg, err := core.ReadBundleConfig(ct.OCI.Bundle)
	return ct, cfg, err
}

// pause and resume freeze and thaw every process of a running container.
func (c *cmd) pause(args []string) error  { return c.freeze("pause", args, true) }
func (c *cmd) resume(args []string) error { return c.freeze("resume", args, false) }

func (c *cmd) freeze(name string, args []string, freeze bool) error {
	id, err := oneID(flags(name), args)
	if err != nil {
		return err
	}
	ct, cfg, err := c.getWithConfig(id)
	if err != nil {
		return err
	}
	if ct.Status != store.Running {
		return fmt.Errorf("cannot %s a container that is %s", name, ociStatus(ct))
	}
	return core.FreezeOCI(ct.ID, cfg, freeze)
}

// update applies new resources (--resources FILE, or - for stdin, as
// docker sends them) to a container's cgroup.
func (c *cmd) update(args []string) error {
	fs := flags("update")
	file := fs.StringP("resources", "r", "", "the resources as JSON; - for stdin")
	id, err := oneID(fs, args)
	if err != nil {
		return err
	}
	ct, cfg, err := c.getWithConfig(id)
	if err != nil {
		return err
	}
	var b []byte
	switch *file {
	case "":
		return fmt.Errorf("--resources FILE is needed (the other runc flags of update are not supported)")
	case "-":
		b, err = io.ReadAll(os.Stdin)
	default:
		b, err = os.ReadFile(*file)
	}
	if err != nil {
		return fmt.Errorf("read the resources: %w", err)
	}
	var res specs.LinuxResources
	if err := json.Unmarshal(b, &res); err != nil {
		return fmt.Errorf("parse the resources: %w", err)
	}
	return core.UpdateOCI(ct.ID, cfg, &res)
}
