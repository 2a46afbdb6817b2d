package core

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	specs "github.com/opencontainers/runtime-spec/specs-go"
)

// bundleConfig has every field of specs.Spec but the other platforms',
// with the same JSON name and type: a runtime-spec upgrade that adds one
// fails here instead of being dropped silently.
func TestBundleConfigFields(t *testing.T) {
	other := map[string]bool{"windows": true, "solaris": true, "vm": true, "zos": true, "freebsd": true}
	ours := map[string]reflect.Type{}
	for f := range reflect.TypeFor[bundleConfig]().Fields() {
		ours[f.Tag.Get("json")] = f.Type
	}
	for f := range reflect.TypeFor[specs.Spec]().Fields() {
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		switch typ, ok := ours[tag]; {
		case other[name]:
			if ok {
				t.Errorf("%s is another platform's section", name)
			}
		case !ok:
			t.Errorf("specs.Spec's %s (json %q) is not read", f.Name, tag)
		case typ != f.Type:
			t.Errorf("%s is %v, specs.Spec has %v", name, typ, f.Type)
		}
	}
}

// A config read through bundleConfig is the config encoding/json reads
// into specs.Spec, less the other platforms' sections.
func TestReadBundleConfig(t *testing.T) {
	dir := t.TempDir()
	want := specs.Spec{Version: "1.2.0", Hostname: "h", Domainname: "d",
		Process:     &specs.Process{Args: []string{"sh"}, Env: []string{"A=1"}, Cwd: "/", Capabilities: &specs.LinuxCapabilities{Bounding: []string{"CAP_KILL"}}},
		Root:        &specs.Root{Path: "rootfs", Readonly: true},
		Mounts:      []specs.Mount{{Destination: "/proc", Type: "proc", Source: "proc"}},
		Hooks:       &specs.Hooks{Poststop: []specs.Hook{{Path: "/bin/true"}}},
		Annotations: map[string]string{"a": "b"},
		Linux:       &specs.Linux{Namespaces: []specs.LinuxNamespace{{Type: specs.PIDNamespace}}, MaskedPaths: []string{"/proc/kcore"}},
	}
	withOthers := want
	withOthers.Windows, withOthers.VM = &specs.Windows{LayerFolders: []string{`C:\x`}}, &specs.VM{Kernel: specs.VMKernel{Path: "/k"}}
	b, err := json.Marshal(withOthers)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "config.json"), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := ReadBundleConfig(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(*got, want) {
		t.Errorf("got %+v\nwant %+v", *got, want)
	}
	for _, bad := range []struct{ config, err string }{
		{`{"ociVersion": "1.2.0"}`, "no process"},
		{`{"process": 1}`, "cannot unmarshal"},
	} {
		os.WriteFile(filepath.Join(dir, "config.json"), []byte(bad.config), 0o644)
		if _, err := ReadBundleConfig(dir); err == nil || !strings.Contains(err.Error(), bad.err) {
			t.Errorf("%s: %v, want %q", bad.config, err, bad.err)
		}
	}
}
