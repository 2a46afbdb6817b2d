// Package store keeps the records of containers, so that any mydocker
// process (the prompt, a one-shot command, the OCI runtime front end) can
// list and control the containers of any other: one directory per
// container under ROOT/containers (ROOT is /run/mydocker, a tmpfs, so a
// reboot forgets them with their processes), holding
//
//	state.json       the Record: id, name, spec, pid and its start time
//	exit.json        how it ended (core.ExitFile): written once, by its
//	                 monitor (detached) or by the mydocker that waited
//	container.log    a detached container's output (core.LogFile)
//
// and, beside the containers' directories, ROOT/containers/.ended: the
// ended index, a cache of what ps shows of ended containers (see Summary).
// Every file is written whole and renamed into place, so a reader never
// sees half of one and needs no lock; creating and removing containers
// (where names must stay unique) hold an flock on ROOT/containers/.lock.
// What a record says is checked against the kernel when it is read: a pid
// counts as the container's only with the start time recorded with it.
package store

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"golang.org/x/sys/unix"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/internal/atomicfile"
	"github.com/mydocker/mydocker/internal/flock"
)

// Record is what state.json holds: a container as its creator knows it.
type Record struct {
	ID         string    `json:"id"`
	Name       string    `json:"name"`
	Spec       core.Spec `json:"spec"`
	Created    time.Time `json:"created"`
	Detached   bool      `json:"detached,omitempty"`
	AutoRemove bool      `json:"autoRemove,omitempty"` // --rm
	// Pid and PidStart name its PID 1 once its command runs.
	Pid      int       `json:"pid,omitempty"`
	PidStart uint64    `json:"pidStart,omitempty"`
	Started  time.Time `json:"started,omitzero"`
	// Owner and OwnerStart name the mydocker process that created it,
	// which records its start.
	Owner      int    `json:"owner"`
	OwnerStart uint64 `json:"ownerStart"`
	// OCI is set for a container made through the OCI runtime command
	// line (package oci): its caller, not a monitor, reaps it.
	OCI *OCIRecord `json:"oci,omitempty"`
	// Monitor and MonitorStart name a detached container's monitor, which
	// records its exit.
	Monitor      int    `json:"monitor,omitempty"`
	MonitorStart uint64 `json:"monitorStart,omitempty"`
}

// Recorder reports whether the process that records c's exit (its monitor,
// or the mydocker running it in the foreground) is alive.
func (c *Container) Recorder() bool {
	if c.Detached {
		return alive(c.Monitor, c.MonitorStart)
	}
	return alive(c.Owner, c.OwnerStart)
}

// OCIRecord is what the OCI runtime command line keeps of a container.
type OCIRecord struct {
	ID          string            `json:"id"` // the caller's id (Record.ID is derived from it)
	Bundle      string            `json:"bundle"`
	Annotations map[string]string `json:"annotations,omitempty"`
	Fifo        string            `json:"fifo"` // exists until start
}

// Exit is what exit.json holds: how a container ended.
type Exit struct {
	ExitCode   int       `json:"exitCode"`
	Signal     int       `json:"signal,omitempty"`
	OOMKilled  bool      `json:"oomKilled,omitempty"`
	FinishedAt time.Time `json:"finishedAt"`
	// Error is why its start failed, if it did.
	Error string `json:"error,omitempty"`
}

// Status is a container's state as seen now.
type Status string

// The statuses: created (starting), running, exited.
const (
	Created Status = "created"
	Running Status = "running"
	Exited  Status = "exited"
)

// Container is a record read back, with what the kernel says of it.
type Container struct {
	Record
	Dir    string
	Exit   *Exit  // nil unless it ended and that was recorded
	Status Status // derived: see derive
	// Lost says why a container is exited without an exit record: the
	// process that was to record it was killed.
	Lost string
	// Broken is set when state.json cannot be read (only rm -f works then).
	Broken error
}

// Store is the container records under one root.
type Store struct{ dir string }

// DefaultRoot is where mydocker keeps its state: a tmpfs, so that a
// reboot forgets containers with their processes.
const DefaultRoot = "/run/mydocker"

// RootFromEnv is $MYDOCKER_ROOT if set, else DefaultRoot: the default of
// mydocker's --root.
func RootFromEnv() string {
	if dir := os.Getenv("MYDOCKER_ROOT"); dir != "" {
		return dir
	}
	return DefaultRoot
}

// New returns the store under root. Nothing is made until a container is
// created; reading a store that does not exist finds no containers.
func New(root string) *Store { return &Store{dir: filepath.Join(root, "containers")} }

// Dir is the directory of container id's files.
func (s *Store) Dir(id string) string { return filepath.Join(s.dir, id) }

// Errors of Resolve and Create, for errors.Is.
var (
	ErrNotFound  = errors.New("no such container")
	ErrAmbiguous = errors.New("ambiguous container")
	ErrNameInUse = errors.New("already in use")
)

// validName is docker's rule, [a-zA-Z0-9][a-zA-Z0-9_.-]*, checked by hand:
// a regexp compiled at package initialisation would cost every one-shot
// mydocker 0.13 ms.
func validName(name string) bool {
	for i := 0; i < len(name); i++ {
		c := name[i]
		alnum := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
		if !alnum && (i == 0 || c != '_' && c != '.' && c != '-') {
			return false
		}
	}
	return name != ""
}

// ValidateName checks a --name: docker's rule, at most 128 bytes.
func ValidateName(name string) error {
	if !validName(name) || len(name) > 128 {
		return core.Invalidf("invalid --name %q: want [a-zA-Z0-9][a-zA-Z0-9_.-]*, at most 128 bytes", name)
	}
	if isID(name) {
		return core.Invalidf("invalid --name %q: a container id, not a name", name)
	}
	return nil
}

// Create records a new container, giving it a generated name if it has
// none. Names are unique: each is a symlink ROOT/names/NAME -> ID, made
// atomically, so no reader or creator needs to read other records.
func (s *Store) Create(rec *Record) (retErr error) {
	if rec.Name != "" {
		if err := ValidateName(rec.Name); err != nil {
			return err
		}
	}
	for _, dir := range []string{s.dir, s.names()} {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("open the container store: %w", err)
		}
	}
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	if rec.Name == "" {
		rec.Name = generateName(func(name string) bool { return s.nameTaken(name) })
	} else if s.nameTaken(rec.Name) {
		return fmt.Errorf("the container name %q is %w by another container: remove it or choose another name", rec.Name, ErrNameInUse)
	}
	link := filepath.Join(s.names(), rec.Name)
	os.Remove(link) // a stale one (nameTaken said so)
	if err := os.Symlink(rec.ID, link); err != nil {
		return fmt.Errorf("record the container's name: %w", err)
	}
	dir := s.Dir(rec.ID)
	defer func() {
		if retErr != nil {
			os.Remove(link)
			os.RemoveAll(dir)
		}
	}()
	if err := os.Mkdir(dir, 0o700); err != nil {
		return fmt.Errorf("record the container: %w", err)
	}
	return s.Save(rec)
}

// names is the directory of the name links.
func (s *Store) names() string { return filepath.Join(filepath.Dir(s.dir), "names") }

// nameTaken reports whether a live container has name; a link to a
// container that is gone (a crash between its steps) does not count.
func (s *Store) nameTaken(name string) bool {
	id, err := os.Readlink(filepath.Join(s.names(), name))
	if err != nil {
		return false
	}
	_, err = os.Stat(s.Dir(id))
	return err == nil
}

// Save writes rec's state.json.
func (s *Store) Save(rec *Record) error {
	return writeJSON(filepath.Join(s.Dir(rec.ID), "state.json"), rec)
}

// SaveExit records how container id ended, unless that is recorded.
func (s *Store) SaveExit(id string, e Exit) error {
	if _, err := os.Stat(filepath.Join(s.Dir(id), core.ExitFile)); err == nil {
		return nil
	}
	return writeJSON(filepath.Join(s.Dir(id), core.ExitFile), e)
}

// Remove deletes container id's records and its name. The caller makes
// sure it is not running.
func (s *Store) Remove(id string) error {
	unlock, err := s.lock()
	if err != nil {
		return err
	}
	defer unlock()
	// Its name links (one; more only after a crash), found by target, so
	// that a container whose state is unreadable loses its name too.
	if links, err := os.ReadDir(s.names()); err == nil {
		for _, l := range links {
			if target, _ := os.Readlink(filepath.Join(s.names(), l.Name())); target == id {
				os.Remove(filepath.Join(s.names(), l.Name()))
			}
		}
	}
	if err := os.RemoveAll(s.Dir(id)); err != nil {
		return fmt.Errorf("remove the container's records: %w", err)
	}
	return nil
}

// lock takes the store's lock against other mydocker processes.
func (s *Store) lock() (func(), error) {
	release, err := flock.Lock(filepath.Join(s.dir, ".lock"), unix.LOCK_EX)
	if err != nil {
		return nil, fmt.Errorf("lock the container store: %w", err)
	}
	return release, nil
}

// writeJSON writes v to path whole: a temporary file renamed into place.
func writeJSON(path string, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode %s: %w", filepath.Base(path), err)
	}
	if err := atomicfile.Write(path, append(b, '\n')); err != nil {
		return fmt.Errorf("write %s: %w", filepath.Base(path), err)
	}
	return nil
}

// ShortID is how ids are shown.
func ShortID(id string) string { return core.ShortID(id) }

// isID reports whether s looks like a full container id.
func isID(s string) bool {
	return len(s) == 64 && strings.Trim(s, "0123456789abcdef") == ""
}
