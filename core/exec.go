package core

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// ExecSpec is a command to run in a running container (`exec`).
type ExecSpec struct {
	Args []string // the command and its arguments
	Env  []string // KEY=VALUE entries added to the container's environment
	// User and WorkDir replace the container's own when set.
	User, WorkDir    string
	TTY, Interactive bool
	Debug            bool
}

// Target is a running container as its record knows it.
type Target struct {
	Spec *Spec
	Pid  int // its PID 1, in this pid namespace
	// StartTime is its PID 1's start time (ProcStartTime): a pid the
	// kernel gave to another process since is never entered.
	StartTime uint64
	// OCI is an OCI container's config (its bundle's): an exec gets the
	// security its process has there (capabilities, rlimits,
	// no-new-privileges, the container's seccomp profile), as `oci exec`
	// gives, not mydocker's defaults.
	OCI *specs.Spec
}

// ErrNotRunning means a command was asked of a container that has ended.
var ErrNotRunning = errors.New("is not running")

// Exec runs e in the running container t, with everything the container's
// own command got: all its namespaces, its root, its cgroup, and the same
// security (capabilities, seccomp, no-new-privileges, user; e.User
// instead, looked up in the container's own /etc/passwd). It returns the
// command's exit status as Run does.
//
// Entering a mount or pid namespace needs a single-threaded process, so it
// is the init again (init.c, before the Go runtime), with a step list
// planned here (execSequence): join the cgroup, setns through a pidfd of
// PID 1, fork into the pid namespace, then the security steps and execve.
func (r *Runtime) Exec(ctx context.Context, t Target, e *ExecSpec, stdio Stdio) (int, error) {
	if os.Geteuid() != 0 {
		return ExitRuntimeError, ErrNotRoot
	}
	if len(e.Args) == 0 || e.Args[0] == "" {
		return ExitRuntimeError, invalidf("no command given")
	}
	for _, kv := range e.Env {
		if err := validateEnvEntry(kv); err != nil {
			return ExitRuntimeError, err
		}
	}
	if e.WorkDir != "" && !filepath.IsAbs(e.WorkDir) {
		return ExitRuntimeError, invalidf("invalid --workdir %q: must be an absolute path", e.WorkDir)
	}
	pidfd, err := openTarget(t)
	if err != nil {
		return ExitRuntimeError, err
	}
	defer pidfd.Close()
	var c *container
	var steps []step
	if t.OCI != nil {
		c, steps, err = r.planOCIExec(t, e)
	} else {
		c, steps, err = r.planExec(t, e)
	}
	if err != nil {
		return ExitRuntimeError, err
	}
	p, err := r.startExec(ctx, c, steps, pidfd, stdio)
	if err != nil {
		return ExitCode(err), err
	}
	end := p.wait(ctx, stdio.Signals)
	switch {
	case end.hungUp:
		return end.status, ErrHangup
	case end.interrupted:
		return end.status, ErrInterrupted
	}
	return end.status, nil
}

// planExec plans an exec into a container of mydocker's own: its spec's
// security, with e's user, directory and environment.
func (r *Runtime) planExec(t Target, e *ExecSpec) (*container, []step, error) {
	spec := *t.Spec
	spec.Args, spec.TTY, spec.Interactive, spec.Debug = e.Args, e.TTY, e.Interactive, e.Debug
	if e.User != "" {
		spec.User = e.User
	}
	if e.WorkDir != "" {
		spec.WorkDir = e.WorkDir
	}
	// -u is looked up in the container's files as they are now.
	c, err := r.plan(&spec, []string{filepath.Join("/proc", strconv.Itoa(t.Pid), "root")})
	if err != nil {
		return nil, nil, err
	}
	env := c.env
	for _, kv := range e.Env {
		env = SetEnv(env, kv)
	}
	namespaces, err := execNamespaces(t.Pid)
	if err != nil {
		return nil, nil, err
	}
	return c, execSequence(c, env, namespaces), nil
}

// planOCIExec plans an exec into an OCI container: its config's process
// with e's command, terminal, user (looked up in the container's files),
// directory and environment, through the steps of `oci exec`.
func (r *Runtime) planOCIExec(t Target, e *ExecSpec) (*container, []step, error) {
	cfg := *t.OCI
	if cfg.Process == nil {
		return nil, nil, invalidf("the container's config has no process")
	}
	proc := *cfg.Process
	proc.Args, proc.Terminal = e.Args, e.TTY
	proc.Env = append([]string(nil), proc.Env...)
	for _, kv := range e.Env {
		proc.Env = SetEnv(proc.Env, kv)
	}
	if e.WorkDir != "" {
		proc.Cwd = e.WorkDir
	}
	if e.User != "" {
		u, err := resolveUser([]string{filepath.Join("/proc", strconv.Itoa(t.Pid), "root")}, e.User)
		if err != nil {
			return nil, nil, err
		}
		proc.User = specs.User{UID: uint32(u.uid), GID: uint32(u.gid)}
		for _, g := range u.sgids {
			proc.User.AdditionalGids = append(proc.User.AdditionalGids, uint32(g))
		}
	}
	cfg.Process = &proc
	p, err := r.planOCI(t.Spec.ID, "", "", &cfg)
	if err != nil {
		return nil, nil, err
	}
	p.c.spec.TTY, p.c.spec.Interactive, p.c.spec.Debug = e.TTY, e.Interactive, e.Debug
	namespaces, err := execNamespaces(t.Pid)
	if err != nil {
		return nil, nil, err
	}
	return p.c, ociExecSteps(p, &proc, namespaces, true), nil
}

// execSequence is an exec's step list, in order, as the init runs it,
// entering the namespaces given (execNamespaces).
func execSequence(c *container, env []string, namespaces uintptr) []step {
	spec := c.spec
	// Until execve nothing in the container may open this process's
	// /proc/PID/exe, fds or memory (runc's CVE-2019-5736).
	steps := []step{{op: opDumpable, flags: 0, what: "make the process undumpable"}}
	// The cgroup is joined by its host path, before the mount namespace
	// hides it.
	for _, p := range c.procsFiles() {
		steps = append(steps, step{op: opJoinCgroup, str: []string{p}, what: "join cgroup " + p})
	}
	steps = append(steps,
		step{op: opSetns, flags: uint64(namespaces), str: []string{strconv.Itoa(execPidfd)}, what: "enter the container's namespaces"},
		// exec's command dies with the mydocker waiting for it, as a
		// foreground container does.
		step{op: opFork, flags: 1, what: "fork into the container's pid namespace"})
	if spec.TTY {
		steps = append(steps, consoleStep("/"))
	}
	dir := spec.WorkDir
	if dir == "" {
		dir = "/"
	}
	steps = append(steps, chdirStep(dir))
	steps = append(steps, securitySteps(c.security, spec.TTY)...)
	return append(steps, execStep(spec.Args, env))
}

// execPidfd is the descriptor number of PID 1's pidfd in the exec init.
const execPidfd = 4

// startExec starts the init with the step list and returns once the
// command executes.
func (r *Runtime) startExec(ctx context.Context, c *container, steps []step, pidfd *os.File, stdio Stdio) (_ *process, retErr error) {
	cfg, err := encodeSteps(steps)
	if err != nil {
		return nil, err
	}
	sock, childEnd, err := newSyncPair()
	if err != nil {
		return nil, err
	}
	defer sock.Close()
	cmd := r.initCommand(childEnd, 0)
	cmd.ExtraFiles = append(cmd.ExtraFiles, pidfd)
	p := &process{cmd: cmd}
	if p.console, err = attach(cmd, c.spec, stdio, true); err != nil {
		childEnd.Close()
		return nil, err
	}
	early, err := sock.sendConfigEarly(cfg, true)
	if err != nil {
		childEnd.Close()
		p.console.close()
		return nil, fmt.Errorf("send steps to exec init: %w", err)
	}
	err = cmd.Start()
	childEnd.Close()
	if err != nil {
		p.console.close()
		return nil, fmt.Errorf("start exec init: %w", err)
	}
	defer func() {
		if retErr != nil {
			p.kill()
		}
	}()
	if c.spec.Debug {
		debugSteps(stdio.Err, cmd.Process.Pid, steps)
	}
	if !early {
		if err := sock.sendConfig(cfg); err != nil {
			return nil, fmt.Errorf("send steps to exec init: %w", err)
		}
	}
	h := initHandlers{forked: func(pid int) error {
		proc, err := os.FindProcess(pid)
		p.proc = proc
		return err
	}}
	if p.console != nil {
		h.console = p.console.setMaster
	}
	if err := r.serveInit(ctx, sock, c, steps, cmd.Process.Pid, h); err != nil {
		return nil, err
	}
	if p.proc == nil {
		_ = cmd.Wait()
		return nil, fmt.Errorf("exec init ended before its command started")
	}
	p.console.started()
	return p, nil
}

// openTarget opens a pidfd of t's PID 1, if it is still the process the
// record names.
func openTarget(t Target) (*os.File, error) {
	f, err := OpenProcess(t.Pid, t.StartTime)
	if err != nil {
		return nil, fmt.Errorf("container %s %w", ShortID(t.Spec.ID), err)
	}
	return f, nil
}
