// Package procstat reads what names a process for good: its pid and its
// start time, which together survive pid reuse. core (the container's
// PID 1 and monitor) and the network plugin (its leases) both judge
// liveness this way; the plugin cannot link core, which is cgo.
package procstat

import (
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/sys/unix"
)

// StartTime is a process's start time in clock ticks since boot (field
// 22 of /proc/PID/stat).
func StartTime(pid int) (uint64, error) {
	_, start, err := read(pid)
	return start, err
}

// Alive reports whether pid is the process that started at start and has
// not exited: a zombie (which its parent has not reaped yet, or which a
// host init slow to reap keeps) counts as ended.
func Alive(pid int, start uint64) bool {
	if pid <= 0 {
		return false
	}
	state, st, err := read(pid)
	return err == nil && st == start && state != 'Z' && state != 'X'
}

// read reads a process's state letter and start time.
func read(pid int) (byte, uint64, error) {
	// open, read, close: os.ReadFile adds a poller registration, an
	// fstat and a second read, and liveness is checked on every ps line
	// and every command on a container.
	path := "/proc/" + strconv.Itoa(pid) + "/stat"
	fd, err := unix.Open(path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return 0, 0, &os.PathError{Op: "open", Path: path, Err: err}
	}
	var buf [4096]byte // the line is well under 1 KiB (a 16-byte comm, 52 numbers)
	n, err := unix.Read(fd, buf[:])
	unix.Close(fd)
	if err != nil {
		return 0, 0, &os.PathError{Op: "read", Path: path, Err: err}
	}
	b := buf[:n]
	// The command name (field 2) may hold spaces and parentheses: fields
	// are counted after its last ')'.
	i := bytes.LastIndexByte(b, ')')
	if i < 0 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	f := strings.Fields(string(b[i+1:]))
	if len(f) < 20 || len(f[0]) != 1 {
		return 0, 0, fmt.Errorf("parse /proc/%d/stat", pid)
	}
	start, err := strconv.ParseUint(f[19], 10, 64)
	return f[0][0], start, err
}
