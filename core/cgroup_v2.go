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
}

// newCgroupV2 creates root/mydocker/id with l's limits, enabling the
// controllers it needs on the way down.
func newCgroupV2(root, id string, cfg cgroupConfig) (_ *cgroupV2, retErr error) {
	files := v2LimitFiles(cfg.limits)
	have, _ := os.ReadFile(filepath.Join(root, "cgroup.controllers"))
	var enable []string
	for _, f := range files {
		if !slices.Contains(strings.Fields(string(have)), f.controller) {
			return nil, fmt.Errorf("cannot apply %s: no %s controller in this host's cgroup v2 hierarchy", f.flag, f.controller)
		}
		if !slices.Contains(enable, "+"+f.controller) {
			enable = append(enable, "+"+f.controller)
		}
	}
	c := &cgroupV2{root: root, parent: filepath.Join(root, "mydocker")}
	if err := enableControllers(root, enable); err != nil {
		return nil, err
	}
	var err error
	if c.dir, err = mkdirCgroup(c.parent, id); err != nil {
		return nil, err
	}
	defer func() {
		if retErr != nil {
			_ = c.remove()
		}
	}()
	// The parent's controllers, once it surely exists (it may have been
	// made again): enabling them there is idempotent.
	if err := enableControllers(c.parent, enable); err != nil {
		return nil, err
	}
	if cfg.devices != nil {
		if err := attachDeviceFilter(c.dir, cfg.devices); err != nil {
			return nil, fmt.Errorf("apply the device list: %w", err)
		}
	}
	for _, f := range files {
		if err := writeFile(c.dir, f.file, f.value); err != nil {
			return nil, fmt.Errorf("apply %s: %w", f.flag, err)
		}
	}
	return c, nil
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

func (c *cgroupV2) oomKilled() bool {
	return readCounter(filepath.Join(c.dir, "memory.events"), "oom_kill") > 0
}

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
