package core

import (
	"fmt"
	"os"
	"slices"
	"strconv"
	"syscall"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/internal/procstat"
)

// A recorded process (a container's PID 1) is named by its pid and its
// start time, since pids are reused: these are the one place that turns
// such a record into a live process, for exec, stop, kill, delete and top.

// OpenProcess opens a pidfd of pid and checks, after that, that it is the
// process that started at start and has not exited; otherwise the error
// is ErrNotRunning. The pidfd then names that process for good.
func OpenProcess(pid int, start uint64) (*os.File, error) {
	fd, err := unix.PidfdOpen(pid, 0)
	if err != nil {
		return nil, ErrNotRunning
	}
	f := os.NewFile(uintptr(fd), "pidfd")
	if !ProcAlive(pid, start) {
		f.Close()
		return nil, ErrNotRunning
	}
	return f, nil
}

// SignalProcess sends sig to the process pid, started at start, through a
// pidfd (OpenProcess): a reused pid is never signalled.
func SignalProcess(pid int, start uint64, sig syscall.Signal) error {
	f, err := OpenProcess(pid, start)
	if err != nil {
		return err
	}
	defer f.Close()
	return unix.PidfdSendSignal(int(f.Fd()), sig, nil, 0)
}

// NamespacePids lists the processes in pid's pid namespace (a container's
// processes: top, ps, kill --all).
func NamespacePids(pid int) []int {
	ns, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", pid))
	if err != nil {
		return nil
	}
	entries, _ := os.ReadDir("/proc")
	var pids []int
	for _, e := range entries {
		p, err := strconv.Atoi(e.Name())
		if err != nil {
			continue
		}
		if other, err := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", p)); err == nil && other == ns {
			pids = append(pids, p)
		}
	}
	slices.Sort(pids)
	return pids
}

// ProcStartTime is a process's start time in clock ticks since boot
// (field 22 of /proc/PID/stat): with the pid, it names one process for
// good, since pids are reused.
func ProcStartTime(pid int) (uint64, error) { return procstat.StartTime(pid) }

// ProcAlive reports whether pid is the process that started at start and
// has not exited: a zombie (which its parent has not reaped yet, or which
// a host init slow to reap keeps) counts as ended.
func ProcAlive(pid int, start uint64) bool { return procstat.Alive(pid, start) }
