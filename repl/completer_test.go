package repl

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestComplete(t *testing.T) {
	c := &completer{flags: newCompleter().flags}
	c.executables.Store(&[]string{"sh", "sha256sum", "sleep", "true"})
	texts := func(s []suggestion) []string {
		var out []string
		for _, x := range s {
			out = append(out, x.text)
		}
		return out
	}
	tests := []struct {
		before string
		want   []string
	}{
		{"", nil},
		{"   ", nil},
		{"r", []string{"run"}},
		{"e", []string{"exit"}},
		{"help ", []string{"run", "exit", "plugins", "help"}},
		{"p", []string{"plugins"}},
		{"help r", []string{"run"}},
		{"run --h", []string{"--hostname"}},
		{"run -", []string{"--cap-add", "--cap-drop", "--cpus", "--debug", "--device", "-e", "--env", "--hostname", "-i", "--interactive",
			"-m", "--memory", "--pids-limit", "--privileged", "--read-only", "--rootfs", "--security-opt", "--storage-size", "--tmpfs",
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
	c := &completer{flags: newCompleter().flags}
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
	c.scanPath("/bin:/nonexistent")
	exes := c.executables.Load()
	if exes == nil || !slices.Contains(*exes, "sh") || !slices.IsSorted(*exes) {
		t.Errorf("scan of /bin found %v", exes)
	}
}
