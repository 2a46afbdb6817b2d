package bridge

import (
	"context"
	"errors"
	"testing"
	"time"
)

// A setup begun at post-clone is taken once, by post-mount or else by
// post-stop, also when post-mount gave up waiting for it.
func TestSetupTakenOnce(t *testing.T) {
	failed := errors.New("no bridge")
	cancelled, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name    string
		begin   bool
		slow    bool            // the setup ends only when released
		ctx     context.Context // post-mount's
		wantOK  bool
		wantErr error
	}{
		{name: "none begun", ctx: context.Background()},
		{name: "done", begin: true, ctx: context.Background(), wantOK: true, wantErr: failed},
		{name: "slow", begin: true, slow: true, ctx: context.Background(), wantOK: true, wantErr: failed},
		{name: "post-mount cancelled", begin: true, slow: true, ctx: cancelled, wantOK: true, wantErr: context.Canceled},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &Hooks{running: map[string]chan setupResult{}}
			release := make(chan struct{})
			if tc.begin {
				s.begin("c1", func() setupResult {
					if tc.slow {
						<-release
					}
					return setupResult{err: failed}
				})
			}
			if tc.slow && tc.ctx.Err() == nil {
				time.AfterFunc(10*time.Millisecond, func() { close(release) })
			}
			r, ok := s.wait(tc.ctx, "c1")
			if ok != tc.wantOK || !errors.Is(r.err, tc.wantErr) {
				t.Fatalf("wait: %v %v, want %v %v", r.err, ok, tc.wantErr, tc.wantOK)
			}
			if tc.ctx.Err() != nil {
				close(release) // post-stop's wait gets the setup's own result
				if r, ok := s.wait(context.Background(), "c1"); !ok || !errors.Is(r.err, failed) {
					t.Fatalf("post-stop's wait: %v %v", r.err, ok)
				}
			}
			if _, ok := s.wait(context.Background(), "c1"); ok {
				t.Fatal("a result taken twice")
			}
		})
	}
}
