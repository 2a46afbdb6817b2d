package core

import (
	"fmt"
	"path/filepath"
	"strconv"
)

// container is what a run sets up on the host around the init process:
// the cgroup (with limits), made before the clone and undone by destroy.
// (A --rootfs container's layers live in its own mount namespace and need
// nothing on the host.)
type container struct {
	spec   *Spec
	cgroup cgroup // nil without limits
}

// create prepares the host side of a container. On failure, whatever was
// made is undone.
func (r *Runtime) create(spec *Spec) (_ *container, retErr error) {
	c := &container{spec: spec}
	if spec.Limits.Any() {
		cg, err := newCgroup(spec.ID, spec.Limits)
		if err != nil {
			return nil, err
		}
		c.cgroup = cg
	}
	return c, nil
}

// needsSync reports whether the init must wait for the parent before its
// command: to be put in its cgroup, or for post-mount hooks.
func (c *container) needsSync(hooks Hooks) bool { return hooks != nil || c.cgroup != nil }

// state is what post-mount hooks are told about the container.
func (c *container) state(pid int) State {
	st := State{ID: c.spec.ID, Pid: pid, Spec: *c.spec}
	if c.spec.Rootfs != "" {
		st.Rootfs = filepath.Join("/proc", strconv.Itoa(pid), "root", mergedDir)
	}
	return st
}

// destroy removes the cgroup, so that a run leaves no trace on the host.
func (c *container) destroy() error {
	if c.cgroup == nil {
		return nil
	}
	if err := c.cgroup.remove(); err != nil {
		return fmt.Errorf("clean up after the container: %w", err)
	}
	return nil
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
