package core

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"golang.org/x/sys/unix"
)

// A container gets a cgroup of its own, named by its id under a "mydocker"
// parent: for its device rules (always, unless --privileged) and its
// limits. The init joins it as its first step, before it mounts anything,
// and it is removed when the container ends. Both cgroup v2 and v1 (or
// hybrid) hosts are supported; a limit the host cannot apply is an error,
// never silently dropped.

// cgroup is one container's cgroup, in either hierarchy: planned first
// (its paths are known, nothing exists), then created.
type cgroup interface {
	// create makes it, with its limits and device rules.
	create() error
	// procsFiles are the cgroup.procs files the init writes itself into.
	procsFiles() []string
	// oomFile is the file whose oom_kill counter says the memory limit
	// killed a process ("" without a memory controller).
	oomFile() string
	oomKilled() bool
	remove() error
	// update writes the limits to the existing cgroup (OCI update).
	update() error
}

// cgroupConfig is what a container's cgroup enforces.
type cgroupConfig struct {
	limits  Limits
	devices []deviceNode // the only devices allowed; nil: all (--privileged)
	// every: a cgroup in every v1 hierarchy, not only those of the limits
	// (OCI containers, as runc: their callers read every controller).
	every bool
	// raw are control files written as given, after the limits: an OCI
	// config's resources beyond mydocker's own limits (v1 or v2 names).
	raw []limitFile
}

// needed reports whether the config needs a cgroup at all.
func (c cgroupConfig) needed() bool { return c.limits.Any() || c.devices != nil }

// cgroupRoot is where cgroup hierarchies are mounted.
const cgroupRoot = "/sys/fs/cgroup"

// cpuPeriod is the CFS period that --cpus is expressed in (100 ms).
const cpuPeriod = 100000

// cgroupHost is how this host's cgroups are laid out: the unified v2
// hierarchy, or v1 (or hybrid) hierarchies, one mount per controller.
type cgroupHost struct {
	v2     bool
	mounts map[string]string // v1: controller -> mount point
}

// detectCgroups reads the host's cgroup layout.
func detectCgroups() (cgroupHost, error) {
	var st unix.Statfs_t
	if err := unix.Statfs(cgroupRoot, &st); err != nil {
		return cgroupHost{}, fmt.Errorf("cgroups: %w", err)
	}
	if st.Type == unix.CGROUP2_SUPER_MAGIC {
		return cgroupHost{v2: true}, nil
	}
	mounts, err := cgroupV1Mounts()
	if err != nil {
		return cgroupHost{}, fmt.Errorf("cgroups: %w", err)
	}
	return cgroupHost{mounts: mounts}, nil
}

// parents are the "mydocker" directories that containers' cgroups may be
// made in (v1: one per controller mydocker uses).
func (h cgroupHost) parents() []string {
	if h.v2 {
		return []string{filepath.Join(cgroupRoot, "mydocker")}
	}
	var parents []string
	for _, ctrl := range []string{"memory", "cpu", "pids", "devices"} {
		if mnt, ok := h.mounts[ctrl]; ok {
			parents = append(parents, filepath.Join(mnt, "mydocker"))
		}
	}
	return parents
}

// plan works out the container's cgroup, mydocker/id in each hierarchy;
// its create makes it.
func (h cgroupHost) plan(id string, cfg cgroupConfig) (cgroup, error) {
	return h.planAt("mydocker", id, cfg)
}

// planAt works out the cgroup group/name (group relative to each
// hierarchy's root, e.g. an OCI cgroupsPath's directory).
func (h cgroupHost) planAt(group, name string, cfg cgroupConfig) (cgroup, error) {
	if h.v2 {
		return planCgroupV2(cgroupRoot, group, name, cfg)
	}
	return planCgroupV1(h.mounts, group, name, cfg)
}

// staleAge is how old an empty container cgroup must be to be swept: far
// longer than a container takes to join the cgroup made for it.
var staleAge = time.Minute

// sweepStale removes container cgroups under parents that no process uses
// and that are older than staleAge. A mydocker killed with SIGKILL takes its
// container with it (parent-death signal) but cannot remove the cgroup; the
// next container with limits does. Failures are left for the next sweep.
func sweepStale(parents []string) {
	for _, parent := range parents {
		dirs, _ := filepath.Glob(filepath.Join(parent, "*"))
		for _, dir := range dirs {
			info, err := os.Stat(dir)
			if err != nil || !info.IsDir() || time.Since(info.ModTime()) < staleAge {
				continue
			}
			if procs, err := os.ReadFile(filepath.Join(dir, "cgroup.procs")); err == nil && len(strings.TrimSpace(string(procs))) == 0 {
				_ = unix.Rmdir(dir)
			}
		}
	}
}

// limitFile is one control file write that implements a limit: the
// controller it needs, the flag it comes from (for errors), the file and
// the value, in v1 or v2 terms.
type limitFile struct {
	controller, flag, file, value string
}

// groupWrites splits writes into runs to the same controller and file, so
// that each file is opened once (the devices list is ten writes to
// devices.allow: one rule per write, as the kernel wants).
func groupWrites(files []limitFile) [][]limitFile {
	var groups [][]limitFile
	for i, f := range files {
		if i > 0 && f.controller == files[i-1].controller && f.file == files[i-1].file {
			groups[len(groups)-1] = append(groups[len(groups)-1], f)
			continue
		}
		groups = append(groups, []limitFile{f})
	}
	return groups
}

// writeValues writes each value of a group to its control file in dir,
// one write each, naming the flag in the error.
func writeValues(dir string, group []limitFile) error {
	f, err := os.OpenFile(filepath.Join(dir, group[0].file), os.O_WRONLY|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("apply %s: %w", group[0].flag, err)
	}
	defer f.Close()
	for _, g := range group {
		if _, err := f.WriteString(g.value); err != nil {
			return fmt.Errorf("apply %s: write %q to %s: %w", g.flag, g.value, g.file, unwrapPathError(err))
		}
	}
	return nil
}

// writeFile writes a cgroup control file, naming it in the error.
func writeFile(dir, file, value string) error {
	if err := os.WriteFile(filepath.Join(dir, file), []byte(value), 0o644); err != nil {
		return fmt.Errorf("write %q to %s: %w", value, file, unwrapPathError(err))
	}
	return nil
}

// removeCgroupDir removes a cgroup directory. rmdir fails with EBUSY for a
// moment after the last process exited, while the kernel finishes with it.
func removeCgroupDir(dir string) error {
	var err error
	for i := 0; i < 100; i++ {
		if err = unix.Rmdir(dir); err == nil || errors.Is(err, unix.ENOENT) {
			return nil
		}
		if !errors.Is(err, unix.EBUSY) {
			break
		}
		time.Sleep(5 * time.Millisecond)
	}
	return fmt.Errorf("remove cgroup %s: %w", dir, err)
}

// mkdirCgroup creates parent/id, and parent on the way. Another mydocker
// may remove the shared parent between the two mkdirs (its last container
// ended): then the parent is made again, a bounded number of times.
func mkdirCgroup(parent, id string) (string, error) {
	dir := filepath.Join(parent, id)
	var err error
	for range 100 {
		if err = os.MkdirAll(parent, 0o755); err != nil && !errors.Is(err, os.ErrExist) {
			break
		}
		if err = os.Mkdir(dir, 0o755); !errors.Is(err, os.ErrNotExist) {
			break
		}
	}
	if err != nil {
		return "", fmt.Errorf("create cgroup: %w", err)
	}
	return dir, nil
}

// removeIfEmpty removes the shared "mydocker" parent once no container
// uses it, so that nothing is left on the host.
func removeIfEmpty(dir string) {
	_ = unix.Rmdir(dir) // ENOTEMPTY or EBUSY: another container still runs
}

// readCounter reads "key N" from a flat-keyed cgroup file.
func readCounter(path, key string) int64 {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, " "); ok && k == key {
			n, _ := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			return n
		}
	}
	return 0
}

func cpuQuota(cpus float64) int64 { return int64(cpus*cpuPeriod + 0.5) }
