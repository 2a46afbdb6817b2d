package core

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// An OCI container's cgroup after create: removed by delete, frozen by
// pause, rewritten by update. Its place is planned again from the config,
// the same every time.

// RemoveOCICgroup removes the cgroup an OCI container was given (delete).
func RemoveOCICgroup(id string, cfg *specs.Spec) error {
	if cfg.Linux == nil {
		return nil
	}
	cg, _, err := ociCgroup(id, cfg)
	if err != nil {
		return err
	}
	return cg.remove()
}

// ociCgroup is the planned cgroup of OCI container id (made by Create).
func ociCgroup(id string, cfg *specs.Spec) (cgroup, cgroupHost, error) {
	host, err := detectCgroups()
	if err != nil {
		return nil, host, err
	}
	group, name, err := cgroupsPath(cfg.Linux.CgroupsPath, id)
	if err != nil {
		return nil, host, err
	}
	cg, err := host.planAt(group, name, cgroupConfig{limits: ociLimits(cfg.Linux.Resources), devices: deviceNodes(nil), every: true})
	return cg, host, err
}

// freezerFile is the file that freezes OCI container id's cgroup, and the
// values meaning frozen and thawed.
func freezerFile(id string, cfg *specs.Spec) (path, frozen, thawed string, err error) {
	cg, host, err := ociCgroup(id, cfg)
	if err != nil {
		return "", "", "", err
	}
	for _, procs := range cg.procsFiles() {
		dir := filepath.Dir(procs)
		switch {
		case host.v2:
			return filepath.Join(dir, "cgroup.freeze"), "1", "0", nil
		case strings.HasPrefix(dir, host.mounts["freezer"]+"/"):
			return filepath.Join(dir, "freezer.state"), "FROZEN", "THAWED", nil
		}
	}
	return "", "", "", fmt.Errorf("no freezer cgroup on this host")
}

// FreezeOCI pauses (or resumes) every process of OCI container id.
func FreezeOCI(id string, cfg *specs.Spec, freeze bool) error {
	path, frozen, thawed, err := freezerFile(id, cfg)
	if err != nil {
		return err
	}
	value := thawed
	if freeze {
		value = frozen
	}
	if err := os.WriteFile(path, []byte(value), 0o644); err != nil {
		return fmt.Errorf("freeze the container: %w", err)
	}
	// v1 goes through FREEZING until every task is stopped: pause returns
	// once it is frozen, as runc's does.
	for deadline := time.Now().Add(5 * time.Second); freeze && time.Now().Before(deadline); time.Sleep(time.Millisecond) {
		if b, err := os.ReadFile(path); err != nil || strings.TrimSpace(string(b)) == frozen {
			return nil
		}
	}
	if freeze {
		return fmt.Errorf("freeze the container: still freezing after 5s")
	}
	return nil
}

// OCIPaused reports whether OCI container id is frozen.
func OCIPaused(id string, cfg *specs.Spec) bool {
	path, frozen, _, err := freezerFile(id, cfg)
	if err != nil {
		return false
	}
	b, err := os.ReadFile(path)
	state := strings.TrimSpace(string(b))
	return err == nil && (state == frozen || state == "FREEZING")
}

// UpdateOCI applies new resources to OCI container id's cgroup (update).
func UpdateOCI(id string, cfg *specs.Spec, res *specs.LinuxResources) error {
	host, err := detectCgroups()
	if err != nil {
		return err
	}
	group, name, err := cgroupsPath(cfg.Linux.CgroupsPath, id)
	if err != nil {
		return err
	}
	cg, err := host.planAt(group, name, cgroupConfig{limits: ociLimits(res), raw: ociResourceFiles(res, host.v2)})
	if err != nil {
		return err
	}
	return cg.update()
}
