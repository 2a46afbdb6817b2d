package plugins

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Post-stop runs once per run whose pre-clone ran, after it ended or
// failed, in reverse load order, and sees how it ended and what it was.
func TestPostStop(t *testing.T) {
	tests := []struct {
		plugins []string
		words   []string
		want    string
	}{
		{[]string{"poststop-a", "poststop-b"}, []string{"--label", "team=blue", "-m", "64m", "sh", "-c", "exit 3"},
			"b exited 3 0 \"\" map[team:blue] 67108864\na exited 3 0 \"\" map[team:blue] 67108864\n"},
		{[]string{"poststop-a"}, []string{"--pids-limit", "20", "-m", "8m", "sh", "-c", "x=$(head -c 64000000 /dev/zero | tr '\\0' x); echo never"},
			"a killed 137 9 \"\" map[] 8388608\n"},
		{[]string{"poststop-a"}, []string{"sh", "-c", "exit 137"}, "a exited 137 0 \"\" map[] 0\n"},
		{[]string{"poststop-a", "veto"}, []string{"true"}, "a vetoed 125 0 \"plugin veto: pre-clone: vetoed by the test policy\" map[] 0\n"},
		{[]string{"poststop-a"}, []string{"no-such-command"}, "a failed 127 0 \"exec \\\"no-such-command\\\": executable file not found in $PATH\" map[] 0\n"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.plugins, "+")+" "+strings.Join(tc.words, " "), func(t *testing.T) {
			dir := t.TempDir()
			t.Setenv("TESTPLUGIN_DIR", dir)
			h, _ := load(t, Options{}, tc.plugins...)
			runIn(t, h, tc.words...)
			h.postStops.Wait() // post-stop runs after Run returns
			b, _ := os.ReadFile(filepath.Join(dir, "poststop"))
			if string(b) != tc.want {
				t.Errorf("post-stop saw\n%s\nwant\n%s", b, tc.want)
			}
		})
	}
}
