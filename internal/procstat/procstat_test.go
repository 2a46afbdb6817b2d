package procstat

import (
	"os"
	"os/exec"
	"testing"
)

func TestAlive(t *testing.T) {
	self := os.Getpid()
	start, err := StartTime(self)
	if err != nil || start == 0 {
		t.Fatalf("StartTime(self) = %d, %v", start, err)
	}
	// A zombie: exited, not reaped yet.
	zombie := exec.Command("true")
	if err := zombie.Start(); err != nil {
		t.Fatal(err)
	}
	zstart, err := StartTime(zombie.Process.Pid)
	if err != nil {
		t.Fatal(err)
	}
	for {
		if state, _, _ := read(zombie.Process.Pid); state == 'Z' {
			break
		}
	}
	defer zombie.Wait()
	for _, tc := range []struct {
		name  string
		pid   int
		start uint64
		want  bool
	}{
		{"this process", self, start, true},
		{"this pid, another start time (a reused pid)", self, start + 1, false},
		{"pid 0", 0, 0, false},
		{"a negative pid", -1, start, false},
		{"no such process", 1 << 30, start, false},
		{"a zombie", zombie.Process.Pid, zstart, false},
	} {
		if got := Alive(tc.pid, tc.start); got != tc.want {
			t.Errorf("%s: Alive(%d, %d) = %v, want %v", tc.name, tc.pid, tc.start, got, tc.want)
		}
	}
	if _, err := StartTime(1 << 30); err == nil {
		t.Error("StartTime of no such process: no error")
	}
}
