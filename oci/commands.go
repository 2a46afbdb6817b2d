package oci

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/store"
)

// Main runs one OCI runtime command and returns its exit status.
func Main(rt *core.Runtime, args []string, stdout, stderr io.Writer) int {
	return MainWithPlugins(rt, nil, args, stdout, stderr)
}

// MainWithPlugins is Main with hook plugins around containers, started by
// load from the state root's PluginsFile (see plugins.go).
func MainWithPlugins(rt *core.Runtime, load HookLoader, args []string, stdout, stderr io.Writer) int {
	g, rest, err := parseGlobals(args)
	log := &logger{stderr: stderr}
	if err != nil {
		log.errorf("%v", err)
		return 1
	}
	if g.log != "" {
		if f, err := os.OpenFile(g.log, os.O_WRONLY|os.O_APPEND|os.O_CREATE|unix.O_CLOEXEC, 0o644); err == nil {
			log.file = f
			defer f.Close()
		}
	}
	log.json = g.logFormat == "json"
	if g.version {
		fmt.Fprintf(stdout, "mydocker version %s\ncommit: mydocker\nspec: %s\n", Version, specs.Version)
		return 0
	}
	if len(rest) > 0 && rest[0] == "oci" {
		rest = rest[1:]
	}
	if len(rest) == 0 {
		log.errorf("no command given (OCI runtime commands: create, start, state, kill, delete, run, list, ps, features)")
		return 1
	}
	if g.systemdCgroup {
		log.errorf("--systemd-cgroup: systemd is not running on this host, and mydocker manages cgroupfs only")
		return 1
	}
	root := g.root
	if root == "" {
		root = store.RootFromEnv()
	}
	c := &cmd{rt: rt, st: store.New(root), out: stdout, log: log, root: root, loader: load}
	if g.debug {
		c.debug = stderr
	}
	run, ok := map[string]func([]string) error{
		"create": c.create, "start": c.start, "state": c.state, "kill": c.kill, "delete": c.delete,
		"run": c.run, "list": c.list, "ps": c.ps, "features": c.features, "exec": c.exec,
		"pause": c.pause, "resume": c.resume, "update": c.update,
	}[rest[0]]
	if !ok {
		log.errorf("%s: not supported by mydocker's OCI runtime yet", rest[0])
		return 1
	}
	if err := run(rest[1:]); err != nil {
		var status exitStatus
		if errors.As(err, &status) {
			return int(status)
		}
		log.errorf("%s: %v", rest[0], err)
		return 1
	}
	return 0
}

// exitStatus is a status to exit with that is not a failure (`run`).
type exitStatus int

func (e exitStatus) Error() string { return "exit status " + strconv.Itoa(int(e)) }

// cmd is one OCI command's context.
type cmd struct {
	rt     *core.Runtime
	st     *store.Store
	out    io.Writer
	log    *logger
	debug  io.Writer // --debug: the init's steps
	root   string
	loader HookLoader
}

// key is the store id of OCI id: the id itself if it is a 64-hex one (as
// podman's, containerd's and docker's are), else its digest, so that any
// OCI id is a directory name, and never a prefix of another.
func key(id string) string {
	if len(id) == 64 && strings.Trim(id, "0123456789abcdef") == "" {
		return id
	}
	sum := sha256.Sum256([]byte("oci:" + id))
	return hex.EncodeToString(sum[:])
}

func flags(name string) *pflag.FlagSet {
	fs := pflag.NewFlagSet(name, pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

// oneID parses fs and returns its one operand, the container id.
func oneID(fs *pflag.FlagSet, args []string) (string, error) {
	if err := fs.Parse(args); err != nil {
		return "", err
	}
	if fs.NArg() != 1 {
		return "", fmt.Errorf("want one container id, got %d arguments", fs.NArg())
	}
	return fs.Arg(0), nil
}

// get reads the OCI container id.
func (c *cmd) get(id string) (*store.Container, error) {
	ct, err := c.st.Get(key(id))
	if err != nil || ct.OCI == nil || ct.OCI.ID != id {
		return nil, fmt.Errorf("container %s does not exist", id)
	}
	return ct, nil
}

// ociStatus is a container's status in the runtime spec's words, and
// runc's "paused".
func ociStatus(ct *store.Container) string {
	switch ct.Status {
	case store.Created:
		if ct.Pid == 0 {
			return "creating"
		}
		return "created"
	case store.Running:
		if cfg, err := core.ReadBundleConfig(ct.OCI.Bundle); err == nil && core.OCIPaused(ct.ID, cfg) {
			return "paused"
		}
		return "running"
	}
	return "stopped"
}

func (c *cmd) state(args []string) error {
	id, err := oneID(flags("state"), args)
	if err != nil {
		return err
	}
	ct, err := c.get(id)
	if err != nil {
		return err
	}
	st := specs.State{Version: specs.Version, ID: id, Status: specs.ContainerState(ociStatus(ct)), Bundle: ct.OCI.Bundle, Annotations: ct.OCI.Annotations}
	if st.Status != specs.StateStopped {
		st.Pid = ct.Pid
	}
	out := struct {
		specs.State
		Rootfs  string    `json:"rootfs"`
		Created time.Time `json:"created"`
		Owner   string    `json:"owner"`
	}{st, filepath.Join(ct.OCI.Bundle, "rootfs"), ct.Created, ""}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(c.out, string(b))
	return nil
}

func (c *cmd) kill(args []string) error {
	fs := flags("kill")
	all := fs.BoolP("all", "a", false, "signal every process of the container")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() < 1 || fs.NArg() > 2 {
		return fmt.Errorf("usage: kill [--all] ID [SIGNAL]")
	}
	sig := syscall.SIGTERM
	if fs.NArg() == 2 {
		s, err := parseSignal(fs.Arg(1))
		if err != nil {
			return err
		}
		sig = s
	}
	ct, err := c.get(fs.Arg(0))
	if err != nil {
		return err
	}
	if ct.Status == store.Exited {
		return fmt.Errorf("container %s is not running", fs.Arg(0))
	}
	pids := []int{ct.Pid}
	if *all {
		pids = core.NamespacePids(ct.Pid)
	}
	for _, pid := range pids {
		if err := signalPid(pid, ct, sig); err != nil && pid == ct.Pid {
			return err
		}
	}
	return nil
}

// signalPid signals pid, a process of ct, once ct's PID 1 is checked to
// be still the recorded process.
func signalPid(pid int, ct *store.Container, sig syscall.Signal) error {
	if !core.ProcAlive(ct.Pid, ct.PidStart) {
		return fmt.Errorf("container %s is not running", ct.OCI.ID)
	}
	start, err := ct.PidStart, error(nil)
	if pid != ct.Pid {
		start, err = core.ProcStartTime(pid)
	}
	if err == nil {
		err = core.SignalProcess(pid, start, sig)
	}
	if err != nil && pid == ct.Pid {
		return fmt.Errorf("container %s is not running", ct.OCI.ID)
	}
	return err
}

func (c *cmd) delete(args []string) error {
	fs := flags("delete")
	force := fs.BoolP("force", "f", false, "kill a running container first")
	id, err := oneID(fs, args)
	if err != nil {
		return err
	}
	ct, err := c.get(id)
	if err != nil {
		if *force {
			return nil // runc: deleting what is gone with --force is fine
		}
		return err
	}
	if ct.Status == store.Running && !*force {
		return fmt.Errorf("cannot delete container %s that is not stopped: running", id)
	}
	cfg, cfgErr := core.ReadBundleConfig(ct.OCI.Bundle)
	return c.remove(id, ct, cfg, cfgErr)
}

// remove deletes container id (ct): its process if it still runs, its
// cgroup, its record, then its poststop hooks and plugins. cfg is its
// bundle's config, unless reading it failed (cfgErr): then only the
// process and the record go.
func (c *cmd) remove(id string, ct *store.Container, cfg *specs.Spec, cfgErr error) error {
	if ct.Status != store.Exited {
		_ = signalPid(ct.Pid, ct, syscall.SIGKILL)
		if cfgErr == nil {
			_ = core.FreezeOCI(ct.ID, cfg, false) // a frozen process takes no signal
		}
	}
	if ct.Pid != 0 {
		waitGone(ct.Pid, ct.PidStart)
	}
	if cfgErr == nil {
		if err := core.RemoveOCICgroup(ct.ID, cfg); err != nil {
			c.log.errorf("delete %s: %v", id, err) // said, and the record goes anyway
		}
	}
	if err := c.st.Remove(ct.ID); err != nil {
		return err
	}
	if cfgErr == nil && cfg.Hooks != nil {
		st := hookState(id, ct.OCI.Bundle, 0, specs.StateStopped, ct.OCI.Annotations)
		if err := runHooks("poststop", cfg.Hooks.Poststop, st); err != nil {
			c.log.errorf("%v", err)
		}
	}
	if cfgErr == nil {
		plugins, stop, err := c.hooks(cfg)
		if err != nil {
			c.log.errorf("delete %s: plugins: %v", id, err)
		} else if plugins != nil {
			plugins.PostStop(context.Background(), core.StopState{ID: ct.ID, Spec: *pluginSpec(ct.ID, ct.OCI.Bundle, cfg), Reason: "exited", AllOwed: true})
			stop() // waits for the post-stop calls
		}
	}
	return nil
}

// waitGone waits (up to 10 s) for a process that is not our child to die,
// and then (up to 5 s more) for its parent to reap it: until then its
// zombie holds its cgroup, which delete removes next.
func waitGone(pid int, start uint64) {
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && core.ProcAlive(pid, start); {
		time.Sleep(5 * time.Millisecond)
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if st, err := core.ProcStartTime(pid); err != nil || st != start {
			return
		}
	}
}
