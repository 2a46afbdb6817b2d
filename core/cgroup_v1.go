package core

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
)

// cgroupV1 is a container's cgroup on v1 (or hybrid) hierarchies: one
// directory <mount>/mydocker/<id> per controller that it needs (devices,
// and those with a limit). Only those controllers are joined, so a v1
// cpuset with empty cpuset.mems (the book's ENOSPC) never gets in the way.
type cgroupV1 struct {
	id      string
	dirs    map[string]string // controller -> the container's directory
	parents []string
	files   []limitFile // what create writes, in order
}

// cgroupV1Mounts maps each v1 controller to where its hierarchy is mounted.
func cgroupV1Mounts() (map[string]string, error) {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return nil, err
	}
	defer f.Close()
	mounts := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		// ... mountpoint ... - fstype source superoptions
		pre, post, ok := strings.Cut(sc.Text(), " - ")
		fields, tail := strings.Fields(pre), strings.Fields(post)
		if !ok || len(fields) < 5 || len(tail) < 3 || tail[0] != "cgroup" {
			continue
		}
		for _, opt := range strings.Split(tail[2], ",") {
			mounts[opt] = unescapeMountPath(fields[4])
		}
	}
	return mounts, sc.Err()
}

// planCgroupV1 works out mount/group/id for each controller cfg needs,
// and fails at once if one is missing; nothing is made yet.
func planCgroupV1(mounts map[string]string, group, id string, cfg cgroupConfig) (*cgroupV1, error) {
	c := &cgroupV1{id: id, dirs: map[string]string{}, files: append(append(v1DeviceFiles(cfg.devices), v1LimitFiles(cfg.limits)...), cfg.raw...)}
	for _, f := range c.files {
		mnt, ok := mounts[f.controller]
		if !ok {
			return nil, fmt.Errorf("cannot apply %s: no %s cgroup controller is mounted on this host", f.flag, f.controller)
		}
		if _, ok := c.dirs[f.controller]; !ok {
			parent := filepath.Join(mnt, group)
			c.dirs[f.controller], c.parents = filepath.Join(parent, id), append(c.parents, parent)
		}
	}
	if cfg.every {
		known := v1Controllers()
		for ctrl, mnt := range mounts {
			if _, ok := c.dirs[ctrl]; !ok && (strings.HasPrefix(ctrl, "name=") || known[ctrl]) {
				parent := filepath.Join(mnt, group)
				if !slices.Contains(c.parents, parent) {
					c.dirs[ctrl], c.parents = filepath.Join(parent, id), append(c.parents, parent)
				}
			}
		}
	}
	return c, nil
}

func (c *cgroupV1) update() error {
	for _, group := range groupWrites(c.files) {
		if err := writeValues(c.dirs[group[0].controller], group); err != nil {
			return err
		}
	}
	return nil
}

// inheritCpuset fills cpuset.cpus and cpuset.mems of dir and of its empty
// ancestors from the nearest ancestor that has them.
func inheritCpuset(dir string) error {
	for _, file := range []string{"cpuset.cpus", "cpuset.mems"} {
		var empty []string
		d := dir
		value := ""
		for ; d != "/" && d != "."; d = filepath.Dir(d) {
			b, err := os.ReadFile(filepath.Join(d, file))
			if err != nil {
				break
			}
			if value = strings.TrimSpace(string(b)); value != "" {
				break
			}
			empty = append(empty, d)
		}
		for i := len(empty) - 1; i >= 0 && value != ""; i-- {
			if err := os.WriteFile(filepath.Join(empty[i], file), []byte(value), 0o644); err != nil {
				return fmt.Errorf("cgroup: set %s: %w", file, err)
			}
		}
	}
	return nil
}

// v1Controllers returns the controllers of this kernel (/proc/cgroups), to
// tell them from the mount options that cgroupV1Mounts also maps.
func v1Controllers() map[string]bool {
	b, _ := os.ReadFile("/proc/cgroups")
	known := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) > 0 && !strings.HasPrefix(f[0], "#") {
			known[f[0]] = true
		}
	}
	return known
}

// newCgroupV1 plans and creates.
func newCgroupV1(mounts map[string]string, id string, cfg cgroupConfig) (*cgroupV1, error) {
	c, err := planCgroupV1(mounts, "mydocker", id, cfg)
	if err != nil {
		return nil, err
	}
	return c, c.create()
}

// create makes the directories and writes the limits; on failure it
// removes what it made.
func (c *cgroupV1) create() (retErr error) {
	defer func() {
		if retErr != nil {
			_ = c.remove()
		}
	}()
	for _, parent := range c.parents {
		if _, err := mkdirCgroup(parent, c.id); err != nil {
			return err
		}
	}
	if dir, ok := c.dirs["cpuset"]; ok {
		// A new cpuset cgroup has no CPUs or memory nodes, and nothing
		// can join it: inherit them down from the nearest set ancestor.
		if err := inheritCpuset(dir); err != nil {
			return err
		}
	}
	for _, group := range groupWrites(c.files) {
		dir := c.dirs[group[0].controller]
		if group[0].file == "memory.memsw.limit_in_bytes" {
			if _, err := os.Stat(filepath.Join(dir, group[0].file)); err != nil {
				continue // no swap accounting on this host: nothing to close
			}
		}
		if err := writeValues(dir, group); err != nil {
			return err
		}
	}
	return nil
}

// v1LimitFiles are the control files that implement l on cgroup v1, in the
// order they must be written.
func v1LimitFiles(l Limits) []limitFile {
	var files []limitFile
	if l.Memory > 0 {
		m := strconv.FormatInt(l.Memory, 10)
		// memsw (memory+swap) may not be below memory: set memory first.
		files = append(files, limitFile{"memory", "--memory", "memory.limit_in_bytes", m},
			limitFile{"memory", "--memory", "memory.memsw.limit_in_bytes", m})
	}
	if l.CPUs > 0 {
		files = append(files, limitFile{"cpu", "--cpus", "cpu.cfs_period_us", strconv.Itoa(cpuPeriod)},
			limitFile{"cpu", "--cpus", "cpu.cfs_quota_us", strconv.FormatInt(cpuQuota(l.CPUs), 10)})
	}
	if l.Pids > 0 {
		files = append(files, limitFile{"pids", "--pids-limit", "pids.max", strconv.FormatInt(l.Pids, 10)})
	}
	return files
}

// v1DeviceFiles deny every device, then allow the listed ones.
func v1DeviceFiles(nodes []deviceNode) []limitFile {
	if nodes == nil {
		return nil
	}
	files := []limitFile{{"devices", "the device list", "devices.deny", "a"}}
	for _, n := range nodes {
		files = append(files, limitFile{"devices", "the device list", "devices.allow", n.rule()})
	}
	return files
}

func (c *cgroupV1) procsFiles() []string {
	var files []string
	for _, dir := range c.dirs {
		files = append(files, filepath.Join(dir, "cgroup.procs"))
	}
	slices.Sort(files)
	return slices.Compact(files)
}

func (c *cgroupV1) oomFile() string {
	if dir, ok := c.dirs["memory"]; ok {
		return filepath.Join(dir, "memory.oom_control")
	}
	return ""
}

func (c *cgroupV1) oomKilled() bool {
	f := c.oomFile()
	return f != "" && readCounter(f, "oom_kill") > 0
}

func (c *cgroupV1) remove() error {
	var first error
	for _, dir := range c.dirs {
		if err := removeCgroupDir(dir); err != nil && first == nil {
			first = err
		}
	}
	for _, p := range c.parents {
		removeIfEmpty(p)
	}
	return first
}

// unescapeMountPath undoes mountinfo's octal escapes (\040 for a space).
func unescapeMountPath(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+3 < len(s) {
			var c byte
			if _, err := fmt.Sscanf(s[i+1:i+4], "%3o", &c); err == nil {
				b.WriteByte(c)
				i += 3
				continue
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}
