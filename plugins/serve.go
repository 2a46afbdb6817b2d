package plugins

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"github.com/mydocker/mydocker/core"
	"github.com/mydocker/mydocker/plugins/proxy"
)

// Serve answers mydocker's calls (package proxy's protocol) on conn with
// h's plugins until conn ends, then closes h. It runs in the
// mydocker-plugins helper, so that mydocker itself links no go-plugin.
func Serve(conn io.ReadWriter, h *Host) error {
	var wmu sync.Mutex
	send := func(m proxy.Message) {
		b, _ := json.Marshal(m)
		wmu.Lock()
		defer wmu.Unlock()
		_, _ = conn.Write(append(b, '\n'))
	}
	var mu sync.Mutex
	cancels := map[int]context.CancelFunc{}
	var calls sync.WaitGroup
	defer func() {
		calls.Wait()
		h.Close()
	}()
	in := bufio.NewReaderSize(conn, 64<<10)
	for {
		line, err := in.ReadBytes('\n')
		if err != nil {
			mu.Lock()
			for _, cancel := range cancels {
				cancel() // mydocker is gone: nothing waits for these
			}
			mu.Unlock()
			return nil
		}
		var m proxy.Message
		if err := json.Unmarshal(line, &m); err != nil {
			return err
		}
		switch m.Op {
		case "cancel":
			mu.Lock()
			if cancel, ok := cancels[m.ID]; ok {
				cancel()
			}
			mu.Unlock()
			continue
		case "postclone":
			// In order, before the post-mount call it precedes is read:
			// the builtins that take it begin their work in the background.
			if m.State != nil {
				h.PostClone(context.Background(), *m.State)
			}
			continue // mydocker awaits no answer
		case "poststop":
			// In order, before the next call is read: the host starts the
			// hooks in the background and makes the next pre-clone wait.
			if m.Stop != nil {
				h.PostStop(context.Background(), *m.Stop)
			}
			continue // mydocker awaits no answer
		}
		ctx, cancel := context.WithCancel(context.Background())
		mu.Lock()
		cancels[m.ID] = cancel
		mu.Unlock()
		calls.Add(1)
		go func() {
			defer calls.Done()
			r := serveOne(ctx, h, m)
			mu.Lock()
			delete(cancels, m.ID)
			mu.Unlock()
			cancel()
			r.ID = m.ID
			send(r)
		}()
	}
}

// serveOne runs one call on the host.
func serveOne(ctx context.Context, h *Host, m proxy.Message) proxy.Message {
	var r proxy.Message
	fail := func(err error) {
		r.Error, r.Invalid = err.Error(), errors.Is(err, core.ErrInvalid)
	}
	switch m.Op {
	case "preclone":
		if m.Spec == nil {
			fail(errors.New("pre-clone without a spec"))
			break
		}
		if err := h.PreClone(ctx, m.Spec); err != nil {
			fail(err)
		}
		r.Spec = m.Spec
	case "postmount":
		if m.State != nil {
			if err := h.PostMount(ctx, *m.State); err != nil {
				fail(err)
			}
		}
	case "report":
		var b bytes.Buffer
		h.Report(&b)
		r.Text = b.String()
	default:
		fail(errors.New("unknown call " + m.Op))
	}
	return r
}
