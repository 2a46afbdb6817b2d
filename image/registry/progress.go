package registry

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/mydocker/mydocker/image"
)

// progress shows one line per layer, docker style ("3f4e5a6b7c8d:
// Downloading 1.2 MB/3.4 MB"). On a terminal the lines are redrawn in
// place every tenth of a second; otherwise each layer prints a line when
// it starts and when it is done, so a log or a script reads plainly.
type progress struct {
	mu     sync.Mutex
	out    io.Writer
	tty    bool
	layers []*layerProgress
	drawn  int // lines drawn so far, on a terminal
	stop   chan struct{}
	wg     sync.WaitGroup
}

type layerProgress struct {
	p      *progress
	id     string
	total  int64
	got    int64
	status string
}

func newProgress(out io.Writer, tty bool, layers []v1.Descriptor) *progress {
	p := &progress{out: out, tty: tty, stop: make(chan struct{})}
	for _, l := range layers {
		p.layers = append(p.layers, &layerProgress{p: p, id: l.Digest.Hex[:12], total: l.Size, status: "Waiting"})
	}
	if tty {
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			t := time.NewTicker(100 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-t.C:
					p.draw()
				}
			}
		}()
	}
	return p
}

func (p *progress) layer(i int) *layerProgress { return p.layers[i] }

// done draws the final state.
func (p *progress) done() {
	close(p.stop)
	p.wg.Wait()
	if p.tty {
		p.draw()
	}
}

func (p *progress) draw() {
	p.mu.Lock()
	defer p.mu.Unlock()
	var b strings.Builder
	if p.drawn > 0 {
		fmt.Fprintf(&b, "\x1b[%dA", p.drawn)
	}
	for _, l := range p.layers {
		fmt.Fprintf(&b, "\r\x1b[K%s\n", l.line())
	}
	p.drawn = len(p.layers)
	io.WriteString(p.out, b.String())
}

func (l *layerProgress) line() string {
	if l.status == "Downloading" {
		return fmt.Sprintf("%s: Downloading %s/%s", l.id, image.HumanSize(l.got), image.HumanSize(l.total))
	}
	return fmt.Sprintf("%s: %s", l.id, l.status)
}

// set changes the layer's status; without a terminal it prints it.
func (l *layerProgress) set(status string) {
	l.p.mu.Lock()
	defer l.p.mu.Unlock()
	l.status = status
	if !l.p.tty && status != "Downloading" {
		fmt.Fprintf(l.p.out, "%s: %s\n", l.id, status)
	}
}

// counter counts the compressed bytes as they arrive.
func (l *layerProgress) counter() io.Writer { return (*byteCounter)(l) }

type byteCounter layerProgress

func (c *byteCounter) Write(b []byte) (int, error) {
	c.p.mu.Lock()
	c.got += int64(len(b))
	c.p.mu.Unlock()
	return len(b), nil
}
