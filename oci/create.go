package oci

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
	"github.com/spf13/pflag"
	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/store"
)

// createFlags are create's and run's.
type createFlags struct {
	bundle, pidFile, consoleSocket string
	detach                         bool
}

func (f *createFlags) declare(fs *pflag.FlagSet) {
	fs.StringVarP(&f.bundle, "bundle", "b", ".", "the bundle directory")
	fs.StringVar(&f.pidFile, "pid-file", "", "write the init's pid here")
	fs.StringVar(&f.consoleSocket, "console-socket", "", "send the pty master here")
	fs.Bool("no-pivot", false, "unused")
	fs.Bool("no-new-keyring", false, "unused")
	fs.Int("preserve-fds", 0, "unused")
}

func (c *cmd) create(args []string) error {
	var f createFlags
	fs := flags("create")
	f.declare(fs)
	id, err := oneID(fs, args)
	if err != nil {
		return err
	}
	_, _, err = c.doCreate(id, f)
	return err
}

// doCreate makes container id from its bundle, and records it. It returns
// the record and the bundle's config (run goes on with both).
func (c *cmd) doCreate(id string, f createFlags) (_ *store.Record, _ *specs.Spec, retErr error) {
	if err := store.ValidateName(id); err != nil && !(len(id) == 64 && key(id) == id) {
		return nil, nil, fmt.Errorf("invalid container id %q", id)
	}
	bundle, err := filepath.Abs(f.bundle)
	if err != nil {
		return nil, nil, err
	}
	cfgp, err := core.ReadBundleConfig(bundle)
	if err != nil {
		return nil, nil, err
	}
	cfg := *cfgp
	if _, err := c.st.Get(key(id)); err == nil {
		return nil, nil, fmt.Errorf("container %s already exists", id)
	}
	rec := &store.Record{ID: key(id), Created: time.Now().UTC(),
		Spec: core.Spec{ID: key(id), Args: cfg.Process.Args, Hostname: cfg.Hostname, Env: cfg.Process.Env},
		OCI:  &store.OCIRecord{ID: id, Bundle: bundle, Annotations: cfg.Annotations}}
	if key(id) != id {
		rec.Name = id
	}
	rec.OCI.Fifo = filepath.Join(c.st.Dir(rec.ID), "exec.fifo") // made next: recorded at once
	if err := c.st.Create(rec); err != nil {
		return nil, nil, err
	}
	defer func() {
		if retErr != nil {
			c.st.Remove(rec.ID)
		}
	}()
	if err := unix.Mkfifo(rec.OCI.Fifo, 0o600); err != nil {
		return nil, nil, fmt.Errorf("make the start fifo: %w", err)
	}
	if err := checkHooks(cfg.Hooks); err != nil {
		return nil, nil, err
	}
	plugins, stop, err := c.hooks(&cfg)
	if err != nil {
		return nil, nil, err
	}
	defer stop()
	if plugins != nil {
		if err := preClone(context.Background(), plugins, rec.ID, bundle, &cfg); err != nil {
			return nil, nil, err
		}
	}
	opts := core.CreateOptions{ID: rec.ID, Bundle: bundle, Config: &cfg, Fifo: rec.OCI.Fifo,
		ConsoleSocket: f.consoleSocket, Stdio: [3]*os.File{os.Stdin, os.Stdout, os.Stderr}, Debug: c.debug}
	h := cfg.Hooks
	if plugins != nil || (h != nil && len(h.Prestart)+len(h.CreateRuntime) > 0) { //nolint:staticcheck // prestart is deprecated, still used by docker
		opts.BeforePivot = func(pid int) error {
			if h != nil {
				st := hookState(id, bundle, pid, specs.StateCreating, cfg.Annotations)
				if err := runHooks("prestart", h.Prestart, st); err != nil { //nolint:staticcheck
					return err
				}
				if err := runHooks("createRuntime", h.CreateRuntime, st); err != nil {
					return err
				}
			}
			if plugins != nil {
				return plugins.PostMount(context.Background(), pluginState(rec.ID, bundle, &cfg, pid))
			}
			return nil
		}
	}
	pid, err := c.rt.Create(context.Background(), opts)
	if err != nil {
		return nil, nil, err
	}
	start, _ := core.ProcStartTime(pid)
	rec.Pid, rec.PidStart = pid, start
	if err := c.st.Save(rec); err != nil {
		return nil, nil, err
	}
	if f.pidFile != "" {
		if err := writePidFile(f.pidFile, pid); err != nil {
			return nil, nil, err
		}
	}
	return rec, &cfg, nil
}

// writePidFile writes pid whole: a temporary file renamed into place.
func writePidFile(path string, pid int) error {
	tmp := path + ".tmp"
	if err := os.WriteFile(tmp, []byte(strconv.Itoa(pid)), 0o644); err != nil {
		return fmt.Errorf("write the pid file: %w", err)
	}
	return os.Rename(tmp, path)
}

func (c *cmd) start(args []string) error {
	id, err := oneID(flags("start"), args)
	if err != nil {
		return err
	}
	ct, err := c.get(id)
	if err != nil {
		return err
	}
	if ct.Status != store.Created {
		return fmt.Errorf("cannot start a container that is %s", ociStatus(ct))
	}
	cfg, _ := core.ReadBundleConfig(ct.OCI.Bundle) // for its poststart hooks only
	return c.startCreated(id, &ct.Record, cfg)
}

// startCreated lets the created container id (rec) run its process, runs
// the config's poststart hooks, and records the start.
func (c *cmd) startCreated(id string, rec *store.Record, cfg *specs.Spec) error {
	if err := core.StartCreated(rec.OCI.Fifo, func() bool { return core.ProcAlive(rec.Pid, rec.PidStart) }); err != nil {
		return err
	}
	rec.Started = time.Now().UTC()
	if cfg != nil && cfg.Hooks != nil {
		st := hookState(id, rec.OCI.Bundle, rec.Pid, specs.StateRunning, rec.OCI.Annotations)
		if err := runHooks("poststart", cfg.Hooks.Poststart, st); err != nil {
			c.log.errorf("%v", err) // the spec: a warning, the container runs on
		}
	}
	return c.st.Save(rec)
}

// run is create, start and, unless --detach, wait: this process is the
// init's parent, so it reaps it and exits with its status.
func (c *cmd) run(args []string) error {
	var f createFlags
	fs := flags("run")
	f.declare(fs)
	fs.BoolVarP(&f.detach, "detach", "d", false, "do not wait for the container")
	id, err := oneID(fs, args)
	if err != nil {
		return err
	}
	// The record and the config go on from create: read again, they
	// were a millisecond of each run.
	rec, cfg, err := c.doCreate(id, f)
	if err != nil {
		return err
	}
	if err := c.startCreated(id, rec, cfg); err != nil {
		return err
	}
	if f.detach {
		return nil
	}
	var ws unix.WaitStatus
	for {
		_, err := unix.Wait4(rec.Pid, &ws, 0, nil)
		if err != unix.EINTR {
			break
		}
	}
	if ct, err := c.get(id); err == nil { // unless another process deleted it
		if err := c.remove(id, ct, cfg, nil); err != nil {
			// Said, as delete would; the status stays the container's.
			c.log.errorf("delete %s: %v", id, err)
		}
	}
	if ws.Signaled() {
		return exitStatus(128 + int(ws.Signal()))
	}
	if ws.ExitStatus() != 0 {
		return exitStatus(ws.ExitStatus())
	}
	return nil
}
