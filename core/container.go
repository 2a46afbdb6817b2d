package core

import (
	"fmt"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// container is what a run sets up on the host around the init process: the
// cgroup (device rules and limits), made before the clone and undone by
// destroy, and the security plan the init applies. (A --rootfs container's
// layers live in its own mount namespace and need nothing on the host.)
type container struct {
	spec     *Spec
	cgroup   cgroup // nil only for --privileged without limits
	security securityPlan
	env      []string     // spec.Env with HOME from the user's passwd entry
	guard    *guardTicket // kills it and removes its cgroups if we die
	// cgroupParents are where its cgroups are made (the guard's to clean).
	cgroupParents []string
}

// create prepares the host side of a container: its security plan, its
// cgroup's plan (start makes it) and, for a guarded one (the caller waits
// for it), its registration with the guard. destroy undoes it.
func (r *Runtime) create(spec *Spec, guarded bool) (*container, error) {
	c, err := r.plan(spec, spec.userRoots())
	if err != nil || !guarded {
		return c, err
	}
	// The guard knows where the cgroups will be before they exist, so that
	// nothing is left if this process dies from here on.
	if c.guard, err = guardRegister(r.exe(), spec.ID, c.cgroupParents); err != nil {
		return nil, err
	}
	return c, nil
}

// plan works out what a container needs on the host, making nothing: its
// security (with -u looked up under userRoots) and where its cgroup is. A
// running container's plan is the same again, which exec relies on.
func (r *Runtime) plan(spec *Spec, userRoots []string) (*container, error) {
	sec, err := planSecurity(spec, r.CacheDir, userRoots)
	if err != nil {
		return nil, err
	}
	c := &container{spec: spec, security: sec, env: withHome(spec.Env, sec.user.home)}
	if err := c.planCgroup(); err != nil {
		return nil, err
	}
	return c, nil
}

// planCgroup works out where the container's cgroup is, if it needs one:
// the same place for the same id every time.
func (c *container) planCgroup() error {
	cfg := cgroupConfig{limits: c.spec.Limits}
	if !c.spec.Security.Privileged {
		cfg.devices = deviceNodes(c.spec.Devices)
	}
	if !cfg.needed() {
		return nil
	}
	host, err := detectCgroups()
	if err != nil {
		return err
	}
	if c.cgroup, err = host.plan(c.spec.ID, cfg); err != nil {
		return err
	}
	c.cgroupParents = host.parents()
	return nil
}

// createCgroup makes the planned cgroup, after sweeping away the stale
// ones of containers whose mydocker and guard were both killed. start runs
// it while the init is being executed.
func (c *container) createCgroup() error {
	if c.cgroup == nil {
		return nil
	}
	// Nothing is made on the host before the guard process exists: it
	// removes the cgroups if this process dies (its start runs beside the
	// init's, and costs this wait only for the first container). A
	// detached container's monitor exists already and plays that part.
	if c.guard != nil {
		if err := c.guard.waitStarted(); err != nil {
			return err
		}
	}
	sweepStale(c.cgroupParents)
	if err := c.cgroup.create(); err != nil {
		c.cgroup = nil // nothing of it is left to remove
		return err
	}
	return nil
}

// withHome adds HOME=home after HOSTNAME (where docker has it) unless env
// sets HOME already.
func withHome(env []string, home string) []string {
	if slices.ContainsFunc(env, func(e string) bool { return strings.HasPrefix(e, "HOME=") }) {
		return env
	}
	if home == "" {
		home = "/"
	}
	i := slices.IndexFunc(env, func(e string) bool { return strings.HasPrefix(e, "HOSTNAME=") }) + 1
	return slices.Insert(slices.Clone(env), i, "HOME="+home)
}

// needsSync reports whether the init must wait for the parent before its
// command: for post-mount hooks.
func (c *container) needsSync(hooks Hooks) bool { return hooks != nil }

// devices is the container's device list, the nodes of its /dev.
func (c *container) devices() []deviceNode { return deviceNodes(c.spec.Devices) }

// procsFiles are the cgroup.procs files the init joins.
func (c *container) procsFiles() []string {
	if c.cgroup == nil {
		return nil
	}
	return c.cgroup.procsFiles()
}

// cgroupDirs are the container's cgroup directories.
func (c *container) cgroupDirs() []string {
	var dirs []string
	for _, f := range c.procsFiles() {
		dirs = append(dirs, filepath.Dir(f))
	}
	return dirs
}

// state is what post-mount hooks are told about the container.
func (c *container) state(pid int) State {
	st := State{ID: c.spec.ID, Pid: pid, Spec: *c.spec, Namespaces: map[string]string{}}
	if c.spec.OwnRoot() {
		st.Rootfs = filepath.Join("/proc", strconv.Itoa(pid), "root")
	}
	for _, ns := range []string{"cgroup", "ipc", "mnt", "net", "pid", "uts"} {
		st.Namespaces[ns] = filepath.Join("/proc", strconv.Itoa(pid), "ns", ns)
	}
	st.Cgroups = c.cgroupDirs()
	return st
}

// destroy removes the cgroup, so that a run leaves no trace on the host,
// and then releases the guard.
func (c *container) destroy() error {
	defer c.guard.release()
	if c.cgroup == nil {
		return nil
	}
	if err := c.cgroup.remove(); err != nil {
		return fmt.Errorf("clean up after the container: %w", err)
	}
	return nil
}

// RemoveCgroups removes what is left of the cgroup of a container that
// ended without its clean-up (its monitor or mydocker was killed).
func (r *Runtime) RemoveCgroups(spec *Spec) error {
	c := &container{spec: spec}
	if err := c.planCgroup(); err != nil {
		return err
	}
	return c.destroy()
}

// formatSize writes a byte count the way -m reads it.
func formatSize(n int64) string {
	switch {
	case n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + "g"
	case n%(1<<20) == 0:
		return strconv.FormatInt(n>>20, 10) + "m"
	case n%(1<<10) == 0:
		return strconv.FormatInt(n>>10, 10) + "k"
	}
	return strconv.FormatInt(n, 10)
}
