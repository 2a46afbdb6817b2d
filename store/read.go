package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"sync"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/core"
)

// List reads every container, oldest first. A directory whose state.json
// cannot be read is listed with Broken set.
func (s *Store) List() ([]*Container, error) {
	ids, dir, err := s.ids()
	if dir < 0 {
		return nil, err
	}
	defer unix.Close(dir)
	all := s.loadAll(dir, ids)
	slices.SortStableFunc(all, func(a, b *Container) int { return a.Created.Compare(b.Created) })
	return all, nil
}

// ids lists the containers' ids, and opens the store's directory for
// loadAll (dir < 0: none, with err nil if the store does not exist yet).
func (s *Store) ids() (ids []string, dir int, err error) {
	entries, err := os.ReadDir(s.dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, -1, nil
	}
	if err != nil {
		return nil, -1, fmt.Errorf("read the container store: %w", err)
	}
	for _, e := range entries {
		if e.IsDir() && isID(e.Name()) {
			ids = append(ids, e.Name())
		}
	}
	dir, err = unix.Open(s.dir, unix.O_RDONLY|unix.O_DIRECTORY|unix.O_CLOEXEC, 0)
	if err != nil {
		return nil, -1, fmt.Errorf("read the container store: %w", err)
	}
	return ids, dir, nil
}

// loadAll loads the containers ids, in that order. Reading is syscalls
// (two or three files a container): spread over the CPUs, and opened
// relative to the store's directory dir (no path walk).
func (s *Store) loadAll(dir int, ids []string) []*Container {
	all := make([]*Container, len(ids))
	var wg sync.WaitGroup
	workers := min(runtime.NumCPU(), len(ids))
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, 8<<10) // reused: decoding copies what it keeps
			for i := w; i < len(ids); i += workers {
				all[i], buf = s.loadWith(dir, ids[i], buf)
			}
		}()
	}
	wg.Wait()
	return all
}

// Get reads container id.
func (s *Store) Get(id string) (*Container, error) {
	if !isID(id) {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	if _, err := os.Stat(s.Dir(id)); err != nil {
		return nil, fmt.Errorf("%w: %s", ErrNotFound, id)
	}
	return s.load(id), nil
}

// Resolve finds the one container ref names: a full id, a name, or a
// prefix of one id only. A name wins over an id prefix, as in docker.
func (s *Store) Resolve(ref string) (*Container, error) {
	if ref == "" {
		return nil, fmt.Errorf("%w: empty name", ErrNotFound)
	}
	if isID(ref) {
		return s.Get(ref)
	}
	if id, err := os.Readlink(filepath.Join(s.names(), ref)); err == nil {
		if c, err := s.Get(id); err == nil {
			return c, nil
		}
	}
	entries, err := os.ReadDir(s.dir)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("read the container store: %w", err)
	}
	var byPrefix []string
	for _, e := range entries {
		if isID(e.Name()) && strings.HasPrefix(e.Name(), ref) {
			byPrefix = append(byPrefix, e.Name())
		}
	}
	switch len(byPrefix) {
	case 0:
		return nil, fmt.Errorf("%w: %s", ErrNotFound, ref)
	case 1:
		return s.Get(byPrefix[0])
	}
	var names []string
	for _, id := range byPrefix[:min(3, len(byPrefix))] {
		names = append(names, s.load(id).Name)
	}
	return nil, fmt.Errorf("%w: %q matches %d containers (%s...): give more of the id, or the name", ErrAmbiguous, ref, len(byPrefix), strings.Join(names, ", "))
}

// load reads one container's files and derives its status.
func (s *Store) load(id string) *Container {
	c, _ := s.loadWith(unix.AT_FDCWD, id, nil)
	return c
}

// loadWith is load reading into buf, which it returns (grown if needed);
// dir is the store's directory (or AT_FDCWD).
func (s *Store) loadWith(dir int, id string, buf []byte) (*Container, []byte) {
	c := &Container{Record: Record{ID: id, Name: "<unreadable>"}, Dir: s.Dir(id)}
	base := c.Dir
	if dir != unix.AT_FDCWD {
		base = id
	}
	b, err := readSmall(dir, filepath.Join(base, "state.json"), buf)
	buf = b[:cap(b)]
	if err == nil {
		var rec Record
		if err = json.Unmarshal(b, &rec); err == nil && rec.ID != id {
			err = errors.New("its id does not match its directory")
		}
		if err == nil {
			c.Record = rec
		}
	}
	if err != nil {
		c.Broken = fmt.Errorf("unreadable state: %w", err)
	}
	buf = c.readExit(dir, base, buf)
	c.derive()
	if c.Exit == nil && c.Lost != "" {
		// Its recorder may have written exit.json and gone between the
		// read above and the liveness checks of derive: look again
		// before calling it lost.
		buf = c.readExit(dir, base, buf)
		c.Status, c.Lost = "", ""
		c.derive()
	}
	return c, buf
}

// readExit reads exit.json, if there is one yet, into c.Exit.
func (c *Container) readExit(dir int, base string, buf []byte) []byte {
	b, err := readSmall(dir, filepath.Join(base, core.ExitFile), buf)
	if err != nil {
		return buf
	}
	var e Exit
	if json.Unmarshal(b, &e) == nil {
		c.Exit = &e
	}
	return b[:cap(b)]
}

// derive says what a record means now. A container is running only if its
// PID 1, with the start time recorded, is alive; one that has no exit
// record and no live process is exited, and Lost says why.
func (c *Container) derive() {
	switch {
	case c.Exit != nil:
		c.Status = Exited
	case c.Broken != nil:
		c.Status, c.Lost = Exited, "its state could not be read"
	case c.Pid != 0 && alive(c.Pid, c.PidStart) && c.OCI != nil && fileExists(c.OCI.Fifo):
		c.Status = Created // an OCI container between create and start
	case c.Pid != 0 && alive(c.Pid, c.PidStart):
		c.Status = Running
	case c.OCI != nil:
		c.Status = Exited // its caller reaped it and knows how it ended
	case c.Pid != 0 && c.Recorder():
		c.Status = Exited // and about to be recorded
	case c.Pid != 0 && c.Detached:
		c.Status, c.Lost = Exited, "its monitor was killed"
	case c.Pid != 0:
		c.Status, c.Lost = Exited, "the mydocker running it was killed"
	case alive(c.Owner, c.OwnerStart):
		c.Status = Created
	default:
		c.Status, c.Lost = Exited, "its start was interrupted"
	}
}

// readSmall reads a small file (path relative to dir) into buf (grown if needed) in as few
// system calls as it takes: open, one read, close (os.ReadFile adds an
// fstat and a read of EOF, and a buffer a file), which is most of what ps
// costs.
func readSmall(dir int, path string, buf []byte) ([]byte, error) {
	if len(buf) == 0 {
		buf = make([]byte, 8<<10)
	}
	fd, err := unix.Openat(dir, path, unix.O_RDONLY|unix.O_CLOEXEC, 0)
	if err != nil {
		return buf[:0], &os.PathError{Op: "open", Path: path, Err: err}
	}
	defer unix.Close(fd)
	n := 0
	for {
		m, err := unix.Read(fd, buf[n:])
		if err == unix.EINTR {
			continue
		}
		if err != nil {
			return buf[:0], &os.PathError{Op: "read", Path: path, Err: err}
		}
		n += m
		if m == 0 || n < len(buf) {
			return buf[:n], nil // a short read of a regular file is its end
		}
		buf = append(buf, make([]byte, len(buf))...)
	}
}

func fileExists(path string) bool {
	_, err := os.Stat(path)
	return err == nil
}

// Running reports whether the container's PID 1 is alive now.
func (c *Container) Running() bool { return c.Status == Running }

// alive reports whether pid is the process that started at start.
func alive(pid int, start uint64) bool {
	return core.ProcAlive(pid, start)
}
