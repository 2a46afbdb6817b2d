// Package flock is the one way mydocker's stores (containers, images, the
// bridge network's leases) serialise changes across processes: an flock
// on a file of the store, released by closing it (or by the process's
// death, so a SIGKILLed mydocker never leaves a store locked).
package flock

import (
	"errors"
	"os"

	"golang.org/x/sys/unix"
)

// Lock takes an flock (unix.LOCK_SH or LOCK_EX, optionally |LOCK_NB) on
// path, creating the file, and returns its release.
func Lock(path string, how int) (release func(), err error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|unix.O_CLOEXEC, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = unix.Flock(int(f.Fd()), how)
		if !errors.Is(err, unix.EINTR) {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() { f.Close() }, nil
}
