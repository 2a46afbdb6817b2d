package core

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// cgroupV2 is a container's cgroup on the unified hierarchy:
// <root>/mydocker/<id>.
type cgroupV2 struct {
	root, parent, dir string
	files             []limitFile
	enable            []string // "+memory", ... for the parents' subtree_control
	devices           []deviceNode
}

// planCgroupV2 works out root/group/id and the controllers cfg needs,
// and fails at once if one is missing; nothing is made yet.
func planCgroupV2(root, group, id string, cfg cgroupConfig) (*cgroupV2, error) {
	c := &cgroupV2{root: root, parent: filepath.Join(root, group), files: append(v2LimitFiles(cfg.limits), cfg.raw...), devices: cfg.devices}
	c.dir = filepath.Join(c.parent, id)
	have, _ := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	for _, f := range c.files {
		if !slices.Contains(strings.Fields(string(have)), f.controller) {
			return nil, fmt.Errorf("cannot apply %s: no %s controller in this host's cgroup v2 hierarchy", f.flag, f.controller)
		}
		if !slices.Contains(c.enable, "+"+f.controller) {
			c.enable = append(c.enable, "+"+f.controller)
		}
	}
	return c, nil
}

// newCgroupV2 plans and creates.
func newCgroupV2(root, id string, cfg cgroupConfig) (*cgroupV2, error) {
	c, err := planCgroupV2(root, "mydocker", id, cfg)
	if err != nil {
		return nil, err
	}
	return c, c.create()
}

// create makes root/mydocker/id with the limits and the device filter,
// enabling the controllers it needs on the way down; on failure it removes
// what it made.
func (c *cgroupV2) create() (retErr error) {
	if err := enableControllers(c.root, c.enable); err != nil {
		return err
	}
	if _, err := mkdirCgroup(c.parent, filepath.Base(c.dir)); err != nil {
		return err
	}
	defer func() {
		if retErr != nil {
			_ = c.remove()
		}
	}()
	// The parent's controllers, once it surely exists (it may have been
	// made again): enabling them there is idempotent.
	if err := enableControllers(c.parent, c.enable); err != nil {
		return err
	}
	if c.devices != nil {
		if err := attachDeviceFilter(c.dir, c.devices); err != nil {
			return fmt.Errorf("apply the device list: %w", err)
		}
	}
	for _, group := range groupWrites(c.files) {
		if err := writeValues(c.dir, group); err != nil {
			return err
		}
	}
	return nil
}

// v2LimitFiles are the control files that implement l on cgroup v2.
func v2LimitFiles(l Limits) []limitFile {
	var files []limitFile
	if l.Memory > 0 {
		m := strconv.FormatInt(l.Memory, 10)
		// No swap beyond the limit, or the limit would not be one.
		files = append(files, limitFile{"memory", "--memory", "memory.max", m}, limitFile{"memory", "--memory", "memory.swap.max", "0"})
	}
	if l.CPUs > 0 {
		files = append(files, limitFile{"cpu", "--cpus", "cpu.max", fmt.Sprintf("%d %d", cpuQuota(l.CPUs), cpuPeriod)})
	}
	if l.Pids > 0 {
		files = append(files, limitFile{"pids", "--pids-limit", "pids.max", strconv.FormatInt(l.Pids, 10)})
	}
	return files
}

func (c *cgroupV2) procsFiles() []string { return []string{filepath.Join(c.dir, "cgroup.procs")} }

func (c *cgroupV2) update() error {
	for _, group := range groupWrites(c.files) {
		if err := writeValues(c.dir, group); err != nil {
			return err
		}
	}
	return nil
}

func (c *cgroupV2) oomFile() string { return filepath.Join(c.dir, "memory.events") }

func (c *cgroupV2) oomKilled() bool { return readCounter(c.oomFile(), "oom_kill") > 0 }

func (c *cgroupV2) remove() error {
	err := removeCgroupDir(c.dir)
	removeIfEmpty(c.parent)
	return err
}

// enableControllers makes controllers ("+memory", ...) available to dir's
// children.
func enableControllers(dir string, enable []string) error {
	if len(enable) == 0 {
		return nil
	}
	if err := writeFile(dir, "cgroup.subtree_control", strings.Join(enable, " ")); err != nil {
		return fmt.Errorf("enable cgroup controllers: %w", err)
	}
	return nil
}
