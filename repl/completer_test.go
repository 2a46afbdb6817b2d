package repl

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/mydocker/mydocker/cli"
	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/image"
	"github.com/mydocker/mydocker/store"
)

func TestComplete(t *testing.T) {
	c := &completer{flags: cli.RunFlagHelp()} // no background PATH scan to outlive the test
	c.executables.Store(&[]string{"sh", "sha256sum", "sleep", "true"})
	tests := []struct {
		before string
		want   []string
	}{
		{"", nil},
		{"   ", nil},
		{"r", []string{"run", "rm", "rmi"}},
		{"e", []string{"exec", "exit"}},
		{"help ", []string{"run", "ps", "exec", "logs", "stop", "kill", "rm", "wait", "inspect", "top", "pull", "images", "rmi", "tag", "image", "login", "logout", "network", "exit", "plugins", "clear", "help"}},
		{"p", []string{"ps", "pull", "plugins"}},
		{"help r", []string{"run", "rm", "rmi"}},
		{"run --h", []string{"--hostname"}},
		{"run -", []string{"--add-host", "--cap-add", "--cap-drop", "--cpus", "--debug", "-d", "--detach", "--device", "--dns", "--entrypoint", "-e", "--env", "-h", "--hostname", "-i", "--interactive",
			"-l", "--label", "-m", "--memory", "--name", "--network", "--pids-limit", "--privileged", "-p", "--publish", "--pull", "--read-only", "--rm", "--rootfs", "--security-opt", "--storage-size", "--tmpfs",
			"-t", "--tty", "-u", "--user", "-v", "--volume", "-w", "--workdir"}},
		{"run -m 64m s", []string{"sh", "sha256sum", "sleep"}},
		{"run -v /a:/b ", nil},
		{"run s", []string{"sh", "sha256sum", "sleep"}},
		{"run -ti sh", []string{"sh", "sha256sum"}},
		{"run -e A=1 sl", []string{"sleep"}},
		{"run --hostname h t", []string{"true"}},
		{"run --hostname ", nil}, // the cursor is on the flag's value
		{"run --hostname=h t", []string{"true"}},
		{"run -- s", []string{"sh", "sha256sum", "sleep"}},
		{"run ", nil},     // no menu of every program
		{"run sh -", nil}, // the command's own flags are its business
		{"run sh s", nil},
		{"exit ", nil},
		{"bogus ", nil},
	}
	for _, tc := range tests {
		if got := texts(c.complete(tc.before)); !slices.Equal(got, tc.want) {
			t.Errorf("complete(%q) = %q, want %q", tc.before, got, tc.want)
		}
	}
}

func TestCompleteRootfsDirectory(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "busybox", "bin"), 0o755)
	os.MkdirAll(filepath.Join(dir, "buildroot"), 0o755)
	os.WriteFile(filepath.Join(dir, "bundle.tar"), nil, 0o644)
	c := &completer{flags: cli.RunFlagHelp()} // no background PATH scan to outlive the test
	var got []string
	for _, s := range c.complete("run -ti --rootfs " + dir + "/bu") {
		got = append(got, s.text)
	}
	if want := []string{dir + "/buildroot/", dir + "/busybox/"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

func TestScanPath(t *testing.T) {
	c := &completer{}
	scanPath(&c.executables, "/", "/bin:/nonexistent")
	exes := c.executables.Load()
	if exes == nil || !slices.Contains(*exes, "sh") || !slices.IsSorted(*exes) {
		t.Errorf("scan of /bin found %v", exes)
	}
}

// After --rootfs DIR, COMMAND completes from DIR's PATH, not the host's:
// the scan runs in the background, so a keystroke never waits for it.
func TestCompleteCommandInRootfs(t *testing.T) {
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "bin"), 0o755)
	os.MkdirAll(filepath.Join(root, "usr", "local", "bin"), 0o755)
	os.WriteFile(filepath.Join(root, "bin", "busybox"), nil, 0o755)
	os.Symlink("/bin/busybox", filepath.Join(root, "bin", "sh"))    // absolute: the container's /bin/busybox
	os.Symlink("/bin/busybox", filepath.Join(root, "bin", "sleep")) // not followed on the host
	os.WriteFile(filepath.Join(root, "usr", "local", "bin", "shinyapp"), nil, 0o755)
	os.WriteFile(filepath.Join(root, "bin", "shnotexec"), nil, 0o644)
	c := &completer{flags: cli.RunFlagHelp()}
	line := "run --rootfs " + root + " s"
	var got []string
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(5 * time.Millisecond) {
		if got = texts(c.complete(line)); got != nil {
			break
		}
	}
	if want := []string{"shinyapp", "sh", "sleep"}; !slices.Equal(slices.Sorted(slices.Values(got)), slices.Sorted(slices.Values(want))) {
		t.Errorf("complete(%q) = %q, want %q", line, got, want)
	}
}

func texts(s []suggestion) []string {
	var out []string
	for _, x := range s {
		out = append(out, x.text)
	}
	return out
}

// BenchmarkCompleteKeystroke is the completer's share of a keystroke with
// a 2,000-program PATH (the target: a redraw under 16 ms).
func BenchmarkCompleteKeystroke(b *testing.B) {
	c := &completer{flags: cli.RunFlagHelp()} // no background PATH scan to outlive the test
	names := make([]string, 2000)
	for i := range names {
		names[i] = fmt.Sprintf("s%04d-program", i)
	}
	c.executables.Store(&names)
	for b.Loop() {
		if len(c.complete("run -ti s1")) == 0 {
			b.Fatal("no suggestions")
		}
	}
}

func TestCompleteContainers(t *testing.T) {
	running := &store.Container{Record: store.Record{ID: "abcdef" + strings.Repeat("0", 58), Name: "web", Spec: core.Spec{Args: []string{"sleep", "9"}}}, Status: store.Running}
	ended := &store.Container{Record: store.Record{ID: "abd" + strings.Repeat("1", 61), Name: "db"}, Status: store.Exited}
	c := &completer{containers: func() ([]*store.Container, error) { return []*store.Container{running, ended}, nil }}
	tests := []struct {
		before string
		want   []string
	}{
		{"stop ", []string{"web", "db"}},
		{"stop w", []string{"web"}},
		{"rm -f d", []string{"db"}},
		{"rm web ", []string{"web", "db"}}, // rm takes many
		{"exec web ", nil},                 // then the command's words
		{"exec -e A=1 w", []string{"web"}},
		{"exec -u ", nil}, // the flag's value
		{"logs --tail 3 ", []string{"web", "db"}},
		{"stop abc", []string{"abcdef000000"}},
		{"stop -", []string{"-t", "--time"}},
		{"ps ", nil},
		{"ps -", []string{"-a", "--all", "-q", "--quiet"}},
	}
	for _, tc := range tests {
		if got := texts(c.complete(tc.before)); !slices.Equal(got, tc.want) {
			t.Errorf("complete(%q) = %q, want %q", tc.before, got, tc.want)
		}
	}
}

func TestCompleteImages(t *testing.T) {
	dir := t.TempDir()
	cfg := "sha256:" + strings.Repeat("c", 64)
	index := fmt.Sprintf(`{"schemaVersion":2,"manifests":[
{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":1,
 "annotations":{"org.opencontainers.image.ref.name":"reg:5000/busybox:latest","org.mydocker.config":%q}},
{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":1,
 "annotations":{"org.mydocker.config":%q}}]}`, strings.Repeat("a", 64), cfg, strings.Repeat("b", 64), cfg)
	if err := os.WriteFile(filepath.Join(dir, "index.json"), []byte(index), 0o600); err != nil {
		t.Fatal(err)
	}
	c := &completer{flags: cli.RunFlagHelp(), images: &image.Store{Root: dir, Registries: image.Registries{Default: "reg:5000"}}}
	c.executables.Store(&[]string{"bash"})
	tests := []struct {
		before string
		want   []string
	}{
		{"run b", []string{"busybox:latest", "bash"}},
		{"rmi b", []string{"busybox:latest"}},
		{"tag busybox:latest b", nil},
		{"pull b", nil},
	}
	for _, tc := range tests {
		var got []string
		for _, s := range c.complete(tc.before) {
			got = append(got, s.text)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("complete(%q) = %q, want %q", tc.before, got, tc.want)
		}
	}
}
