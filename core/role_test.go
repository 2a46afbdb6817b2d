package core

import (
	"os"
	"os/exec"
	"testing"
)

// The C constructors take a process over only when both their variable is
// set and argv[1] names their role (role.c): any other mix starts the Go
// program as usual. Each case re-runs this test binary, which links the
// constructors, to list its tests.
func TestConstructorRoles(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		arg1 string
	}{
		{"init variable, other word", initFdEnv + "=3", "-test.list=^TestConstructorRoles$"},
		{"guard variable, other word", guardFdEnv + "=3", "-test.list=^TestConstructorRoles$"},
		{"monitor variable, other word", monitorFdEnv + "=3", "-test.list=^TestConstructorRoles$"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cmd := exec.Command(os.Args[0], tc.arg1)
			cmd.Env = append(os.Environ(), tc.env)
			out, err := cmd.CombinedOutput()
			if err != nil || string(out) != "TestConstructorRoles\n" {
				t.Errorf("%v: %q", err, out)
			}
		})
	}
}
