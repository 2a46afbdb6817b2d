package main

import (
	"context"
	"sync"
)

// setupResult is a bridge setup's outcome: the container's address and
// the network's /etc/hosts lines.
type setupResult struct {
	ip    string
	hosts []string
	err   error
}

// setups are the bridge setups begun at post-clone, by container id, until
// the post-mount (or, if the start failed before it, the post-stop) of
// that container takes their result.
type setups struct {
	mu      sync.Mutex
	running map[string]chan setupResult
}

// begin runs setup for container id in the background.
func (s *setups) begin(id string, setup func() setupResult) {
	done := make(chan setupResult, 1)
	s.mu.Lock()
	s.running[id] = done
	s.mu.Unlock()
	go func() { done <- setup() }()
}

// wait takes the result of the setup begun for id; ok is false if none
// was. If ctx ends first (the hook's deadline, ^C), the setup is left to
// finish and its result to the post-stop, which waits for it.
func (s *setups) wait(ctx context.Context, id string) (r setupResult, ok bool) {
	if s == nil {
		return r, false
	}
	s.mu.Lock()
	done, ok := s.running[id]
	s.mu.Unlock()
	if !ok {
		return r, false
	}
	select {
	case r = <-done:
	case <-ctx.Done():
		return setupResult{err: ctx.Err()}, true
	}
	s.mu.Lock()
	delete(s.running, id)
	s.mu.Unlock()
	return r, true
}
