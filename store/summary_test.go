package store

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/mydocker/mydocker/core"
)

// The ended index must never make ps say something the records do not:
// each step changes the store, then Summaries (read twice: once maybe
// writing the index, once from it) must agree with List.
func TestSummariesAgreeWithRecords(t *testing.T) {
	root := t.TempDir()
	s := New(root)
	pid, start := self(t)
	created := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	add := func(prefix string, oci bool) string {
		created = created.Add(time.Second)
		r := Record{ID: id(prefix), Name: "c" + prefix, Created: created, Owner: pid, OwnerStart: start,
			Spec: core.Spec{Args: []string{"/bin/true", prefix}, Rootfs: "/r"}}
		if oci {
			r.OCI = &OCIRecord{ID: prefix}
		}
		if err := s.Create(&r); err != nil {
			t.Fatal(err)
		}
		return r.ID
	}
	end := func(id string, code int) {
		if err := s.SaveExit(id, Exit{ExitCode: code, FinishedAt: created}); err != nil {
			t.Fatal(err)
		}
	}
	index := filepath.Join(root, "containers", endedFile)
	steps := []struct {
		name   string
		change func()
		want   []string // ids in the index afterwards
	}{
		{"empty store", func() {}, nil},
		{"one created", func() { add("a1", false) }, nil},
		{"it ends", func() { end(id("a1"), 3) }, []string{id("a1")}},
		{"more end, one still created", func() {
			add("b2", false)
			end(add("c3", false), 0)
			end(add("d4", false), 137)
		}, []string{id("a1"), id("c3"), id("d4")}},
		{"an ended OCI container is not indexed", func() { end(add("e5", true), 0) }, []string{id("a1"), id("c3"), id("d4")}},
		{"rm", func() {
			if err := s.Remove(id("c3")); err != nil {
				t.Fatal(err)
			}
		}, []string{id("a1"), id("d4")}},
		{"a garbled index is rewritten", func() {
			if err := os.WriteFile(index, []byte(`[{"id":"x","exit":null}`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{id("a1"), id("d4")}},
		{"an entry without an exit is ignored", func() {
			if err := os.WriteFile(index, []byte(`[{"id":"`+id("b2")+`","name":"lie","exit":null}]`), 0o600); err != nil {
				t.Fatal(err)
			}
		}, []string{id("a1"), id("d4")}},
		{"rm of every ended container removes the index", func() {
			for _, i := range []string{id("a1"), id("d4")} {
				if err := s.Remove(i); err != nil {
					t.Fatal(err)
				}
			}
		}, nil},
	}
	for _, step := range steps {
		step.change()
		all, err := s.List()
		if err != nil {
			t.Fatal(err)
		}
		var want []Summary
		for _, c := range all {
			want = append(want, c.Summary())
		}
		for range 2 {
			got, err := s.Summaries()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(normal(got), normal(want)) {
				t.Fatalf("%s: Summaries() =\n%+v\nwant (from List)\n%+v", step.name, got, want)
			}
		}
		var indexedIDs []string
		for id := range readEnded(mustOpen(t, filepath.Dir(index))) {
			indexedIDs = append(indexedIDs, id)
		}
		if !sameSet(indexedIDs, step.want) {
			t.Errorf("%s: index holds %v, want %v", step.name, indexedIDs, step.want)
		}
		if _, err := os.Stat(index); (err == nil) != (len(step.want) > 0) {
			t.Errorf("%s: the index file: %v, want it there only when it holds a container", step.name, err)
		}
	}
}

// normal drops what JSON does not keep exactly (monotonic clock
// readings, nil against empty) so that summaries can be compared.
func normal(list []Summary) []Summary {
	out := make([]Summary, 0, len(list))
	for _, s := range list {
		s.Created = s.Created.Round(0).UTC()
		if s.Exit != nil {
			e := *s.Exit
			e.FinishedAt = e.FinishedAt.Round(0).UTC()
			s.Exit = &e
		}
		out = append(out, s)
	}
	return out
}

func mustOpen(t *testing.T, dir string) int {
	_, fd, err := New(filepath.Dir(dir)).ids()
	if err != nil {
		t.Fatal(err)
	}
	if fd >= 0 {
		t.Cleanup(func() { closeFd(fd) })
	}
	return fd // -1 before the store exists: readEnded finds nothing
}

func sameSet(a, b []string) bool {
	m := map[string]int{}
	for _, x := range a {
		m[x]++
	}
	for _, x := range b {
		m[x]--
	}
	for _, n := range m {
		if n != 0 {
			return false
		}
	}
	return true
}

func closeFd(fd int) { _ = os.NewFile(uintptr(fd), "").Close() }
