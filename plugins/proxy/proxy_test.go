package proxy

import (
	"strings"
	"testing"
	"time"
)

// A program that is not mydocker's plugin host (a binary of another
// build, say) fails Start with one line, within its deadline, and is
// killed, not waited for (a sleep 600 left running would hold the test).
func TestStartRefusesWhatIsNotAPluginHost(t *testing.T) {
	for _, tc := range []struct {
		name, script, want string
	}{
		{"silent", "exec sleep 600", "no answer within 300ms: not mydocker's plugin host"},
		{"exits", "exit 0", "the plugin host exited"},
		{"another protocol", `echo '{"ok":true}' >&3; exec sleep 600`, "not mydocker's plugin host"},
		{"load error", `echo '{"op":"loading"}' >&3; echo '{"error":"plugin x: no such file"}' >&3; exec sleep 600`, "plugin x: no such file"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := StartPath("/bin/sh", []string{"-c", tc.script}, 300*time.Millisecond)
			if err == nil {
				c.Close()
				t.Fatal("started")
			}
			if !strings.Contains(err.Error(), tc.want) || strings.Contains(err.Error(), "\n") {
				t.Errorf("error %q, want one line with %q", err, tc.want)
			}
		})
	}
}
