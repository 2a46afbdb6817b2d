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
func newCgroupV2(root, id string, l Limits) (_ *cgroupV2, retErr error) {
	files := v2LimitFiles(l)
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
	c := &cgroupV2{root: root, parent: filepath.Join(root, "mydocker"), dir: filepath.Join(root, "mydocker", id)}
	if err := os.Mkdir(c.parent, 0o755); err != nil && !os.IsExist(err) {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	for _, d := range []string{root, c.parent} {
		if err := writeFile(d, "cgroup.subtree_control", strings.Join(enable, " ")); err != nil {
			return nil, fmt.Errorf("enable cgroup controllers: %w", err)
		}
	}
	if err := os.Mkdir(c.dir, 0o755); err != nil {
		return nil, fmt.Errorf("create cgroup: %w", err)
	}
	defer func() {
		if retErr != nil {
			_ = c.remove()
		}
	}()
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

func (c *cgroupV2) join(pid int) error {
	if err := writeFile(c.dir, "cgroup.procs", strconv.Itoa(pid)); err != nil {
		return fmt.Errorf("join cgroup: %w", err)
	}
	return nil
}

func (c *cgroupV2) oomKilled() bool {
	return readCounter(filepath.Join(c.dir, "memory.events"), "oom_kill") > 0
}

func (c *cgroupV2) remove() error {
	err := removeCgroupDir(c.dir)
	removeIfEmpty(c.parent)
	return err
}
