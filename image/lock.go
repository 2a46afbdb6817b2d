package image

import (
	"fmt"
	"os"
	"path/filepath"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/internal/flock"
)

// Two flocks keep concurrent mydocker processes consistent:
//
//	lock         held by           while
//	gc.lock      pull, run         shared: unpacking layers, or from an
//	                               image's lookup until its container is
//	                               recorded (so its layers stay)
//	gc.lock      rmi, image prune  exclusive: deciding what to delete
//	index.lock   everyone          exclusive: reading-modifying-writing
//	                               index.json
//
// gc.lock is always taken before index.lock.

// lock takes the flock on Root/name, creating the store if needed, and
// returns its release.
func (s *Store) lock(name string, how int) (func(), error) {
	if err := os.MkdirAll(s.Root, 0o700); err != nil {
		return nil, fmt.Errorf("create the image store: %w", err)
	}
	release, err := flock.Lock(filepath.Join(s.Root, name), how)
	if err != nil {
		return nil, fmt.Errorf("lock the image store: %w", err)
	}
	return release, nil
}

// Hold keeps images from being deleted until release is called: run holds
// it from the image's lookup until its container is recorded as using it.
func (s *Store) Hold() (release func(), err error) {
	return s.lock("gc.lock", lockShared)
}

// HoldForPull is Hold for a pull, which first removes what interrupted
// pulls left in tmp/ when no other pull runs (no one else holds the store).
func (s *Store) HoldForPull() (release func(), err error) {
	release, err = s.lock("gc.lock", lockExclusive|unix.LOCK_NB)
	if err == nil {
		os.RemoveAll(filepath.Join(s.Root, "tmp"))
		release()
	}
	return s.Hold()
}

// updateIndex applies change to index.json under the index lock.
func (s *Store) updateIndex(change func(*index) error) error {
	unlock, err := s.lock("index.lock", lockExclusive)
	if err != nil {
		return err
	}
	defer unlock()
	idx, err := s.readIndex()
	if err != nil {
		return err
	}
	if err := change(idx); err != nil {
		return err
	}
	return s.writeIndex(idx)
}

const (
	lockShared    = unix.LOCK_SH
	lockExclusive = unix.LOCK_EX
)
