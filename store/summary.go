package store

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/internal/atomicfile"
)

// Summary is what a listing (ps) shows of a container. For ended
// containers it comes from the ended index, ROOT/containers/.ended, so
// that `ps -a` reads one file rather than two per container: after a
// while most of a store is ended containers.
//
// The index is a cache and needs no lock, because what it holds cannot
// change: a container with an exit record is never started again and its
// state.json is never written again, and its directory is named by a
// random id no later container gets. OCI containers are left out: their
// directory is named after the caller's id, which a later create may
// reuse. An entry counts only while its directory exists, so `rm` needs
// no change here. A reader that finds the index out of date writes it
// anew, whole (atomicfile); two doing so at once write the same facts,
// and a failed write costs only the next reader's time.
type Summary struct {
	ID      string    `json:"id"`
	Name    string    `json:"name"`
	Image   string    `json:"image,omitempty"`
	Rootfs  string    `json:"rootfs,omitempty"`
	Args    []string  `json:"args"`
	Created time.Time `json:"created"`
	Exit    *Exit     `json:"exit"`
	// What follows is derived when listed, never kept in the index.
	Status  Status    `json:"-"`
	Pid     int       `json:"-"`
	Started time.Time `json:"-"`
	Lost    string    `json:"-"`
}

// endedFile is the ended index's name in ROOT/containers (not an id, so
// never taken for a container).
const endedFile = ".ended"

// Summary is what a listing shows of c.
func (c *Container) Summary() Summary {
	return Summary{
		ID: c.ID, Name: c.Name, Image: c.Spec.Image, Rootfs: c.Spec.Rootfs, Args: c.Spec.Args,
		Created: c.Created, Exit: c.Exit, Status: c.Status, Pid: c.Pid, Started: c.Started, Lost: c.Lost,
	}
}

// indexed reports whether c belongs in the ended index.
func indexed(c *Container) bool {
	return c.Exit != nil && c.Broken == nil && c.OCI == nil
}

// Summaries lists every container as List does, oldest first, reading
// only those the ended index does not hold.
func (s *Store) Summaries() ([]Summary, error) {
	ids, dir, err := s.ids()
	if dir < 0 {
		return nil, err
	}
	defer unix.Close(dir)
	ended := readEnded(dir)
	all := make([]Summary, len(ids))
	var todo []string
	var where []int
	for i, id := range ids {
		if e, ok := ended[id]; ok {
			e.Status = Exited
			all[i] = e
		} else {
			todo = append(todo, id)
			where = append(where, i)
		}
	}
	read := s.loadAll(dir, todo)
	for j, c := range read {
		all[where[j]] = c.Summary()
	}
	if len(ended) > len(ids)-len(todo) || slices.ContainsFunc(read, indexed) {
		s.writeEnded(all, read)
	}
	slices.SortStableFunc(all, func(a, b Summary) int { return a.Created.Compare(b.Created) })
	return all, nil
}

// readEnded returns the ended index by id (empty if it cannot be read).
func readEnded(dir int) map[string]Summary {
	b, err := readSmall(dir, endedFile, make([]byte, 64<<10))
	if err != nil {
		return nil
	}
	var list []Summary
	if json.Unmarshal(b, &list) != nil {
		return nil
	}
	byID := make(map[string]Summary, len(list))
	for _, e := range list {
		if e.Exit != nil && isID(e.ID) {
			byID[e.ID] = e
		}
	}
	return byID
}

// writeEnded replaces the ended index with the ended containers of all:
// those it held (Status set to Exited from the index) and those just read
// that belong in it.
func (s *Store) writeEnded(all []Summary, read []*Container) {
	fresh := make(map[string]bool, len(read))
	for _, c := range read {
		fresh[c.ID] = true
	}
	var list []Summary
	for _, e := range all {
		if !fresh[e.ID] && e.Exit != nil {
			list = append(list, e)
		}
	}
	for _, c := range read {
		if indexed(c) {
			list = append(list, c.Summary())
		}
	}
	// Errors are dropped: the index is a cache (see Summary).
	path := filepath.Join(s.dir, endedFile)
	if len(list) == 0 {
		_ = os.Remove(path)
	} else if b, err := json.Marshal(list); err == nil {
		_ = atomicfile.Write(path, b)
	}
}
