package prompt

import (
	"bytes"
	"errors"
	"syscall"
	"time"

	"github.com/c-bata/go-prompt/internal/debug"
)

// Executor is called when user input something text.
type Executor func(string)

// ExitChecker is called after user input to check if prompt must stop and exit go-prompt Run loop.
// User input means: selecting/typing an entry, then, if said entry content matches the ExitChecker function criteria:
// - immediate exit (if breakline is false) without executor called
// - exit after typing <return> (meaning breakline is true), and the executor is called first, before exit.
// Exit means exit go-prompt (not the overall Go program)
type ExitChecker func(in string, breakline bool) bool

// Completer should return the suggest item from Document.
type Completer func(Document) []Suggest

// Prompt is core struct of go-prompt.
type Prompt struct {
	in                ConsoleParser
	buf               *Buffer
	renderer          *Render
	executor          Executor
	history           *History
	completion        *CompletionManager
	keyBindings       []KeyBind
	ASCIICodeBindings []ASCIICodeBind
	keyBindMode       KeyBindMode
	completionOnDown  bool
	exitChecker       ExitChecker
	skipTearDown      bool

	keyParser       *KeyParser
	inputBuffer     []byte
	sequenceTimeout time.Duration

	stopSignal int   // mydocker patch: see Stopped
	stopErr    error // mydocker patch: see Stopped
}

// Exec is the struct contains user input context.
type Exec struct {
	input string
}

// Run starts prompt.
func (p *Prompt) Run() {
	p.skipTearDown = false
	p.stopSignal, p.stopErr = 0, nil
	defer debug.Teardown()
	debug.Log("start prompt")
	p.setUp()
	defer p.tearDown()

	if p.completion.showAtStart {
		p.completion.Update(*p.buf.Document())
	}

	p.renderer.Render(p.buf, p.completion)

	if p.keyParser == nil {
		p.keyParser = NewKeyParser()
	}
	// mydocker patch: a blocking reader that is stopped (not polled) while
	// a command runs, and a main loop that waits instead of spinning.
	r := p.startReader()

	// mydocker patch: buffered, so that the signal goroutine never blocks
	// on a send while Run is stopping it.
	exitCh := make(chan int, 1)
	winSizeCh := make(chan *WinSize, 1)
	stopHandleSignalCh := make(chan struct{})
	go p.handleSignals(exitCh, winSizeCh, stopHandleSignalCh)

	// mydocker patch: bytes read but not fed yet. feed stops after the
	// first Enter; what follows (the rest of a paste, or keys typed
	// ahead) waits here for the command to run, and is fed after it.
	var pending []byte
	for {
		var b []byte
		if len(pending) > 0 {
			b, pending = pending, nil
		} else {
			select {
			case b = <-r.bufCh:
			case err := <-r.errCh:
				// The terminal went away (EOF, EIO): nothing can be read
				// or shown any more.
				p.stopErr = err
				p.skipTearDown = true
				r.stop(p.in)
				stopHandleSignalCh <- struct{}{}
				return
			case w := <-winSizeCh:
				p.renderer.UpdateWinSize(w)
				p.renderer.Render(p.buf, p.completion)
				continue
			case code := <-exitCh:
				p.stopSignal = code
				p.renderer.BreakLine(p.buf)
				pending = append(pending, r.stop(p.in)...)
				stopHandleSignalCh <- struct{}{}
				return
			}
		}
		shouldExit, e, rest := p.feed(b)
		pending = append(rest, pending...)
		if shouldExit {
			p.renderer.BreakLine(p.buf)
			r.stop(p.in)
			stopHandleSignalCh <- struct{}{}
			return
		} else if e != nil {
			// Stop reading before the command runs: a container with -i
			// reads the terminal itself. Bytes already read stay ours.
			pending = append(pending, r.stop(p.in)...)
			stopHandleSignalCh <- struct{}{}

			// Unset raw mode
			debug.AssertNoError(p.in.TearDown())
			p.executor(e.input)

			p.completion.Update(*p.buf.Document())

			// mydocker patch: raw mode before the prompt shows, not after:
			// keys typed as soon as it shows were the terminal's own line
			// editing's (echoed by it, a Backspace erasing one byte of a
			// wide character).
			exiting := p.exitChecker != nil && p.exitChecker(e.input, true)
			if !exiting {
				debug.AssertNoError(p.in.Setup())
			}
			p.renderer.Render(p.buf, p.completion)
			if exiting {
				p.skipTearDown = true
				return
			}
			r = p.startReader()
			go p.handleSignals(exitCh, winSizeCh, stopHandleSignalCh)
		} else {
			p.completion.Update(*p.buf.Document())
			p.renderer.Render(p.buf, p.completion)
		}
	}
}

// Stopped tells why Run returned other than by Ctrl-D or the exit checker
// (mydocker patch): a signal's exit code (1 for SIGTERM, 129 for SIGHUP),
// or the error that ended reading the terminal.
func (p *Prompt) Stopped() (code int, err error) { return p.stopSignal, p.stopErr }

// Interrupter is a ConsoleParser whose blocking Read can be woken (mydocker
// patch): Interrupt makes a Read in progress, or the next one, return
// ErrInterrupted.
type Interrupter interface {
	Interrupt()
}

// ErrInterrupted is what a Read woken by Interrupt returns.
var ErrInterrupted = errors.New("read interrupted")

// reader is one run of the input goroutine.
type reader struct {
	bufCh chan []byte
	errCh chan error
	quit  chan struct{}
	done  chan struct{}
}

func (p *Prompt) startReader() *reader {
	r := &reader{bufCh: make(chan []byte, 128), errCh: make(chan error, 1), quit: make(chan struct{}), done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			b, err := p.in.Read()
			select {
			case <-r.quit:
				if len(b) > 0 {
					r.bufCh <- b
				}
				return
			default:
			}
			switch {
			case errors.Is(err, ErrInterrupted):
				continue
			case err != nil && !errors.Is(err, syscall.EAGAIN):
				r.errCh <- err
				return
			case len(b) > 0 && !(len(b) == 1 && b[0] == 0):
				r.bufCh <- b
			default:
				time.Sleep(10 * time.Millisecond) // a non-blocking parser
			}
		}
	}()
	return r
}

// stop ends the input goroutine and returns what it read but nobody fed.
func (r *reader) stop(in ConsoleParser) []byte {
	close(r.quit)
	if i, ok := in.(Interrupter); ok {
		i.Interrupt()
	}
	<-r.done
	var rest []byte
	for {
		select {
		case b := <-r.bufCh:
			rest = append(rest, b...)
		default:
			return rest
		}
	}
}

func (p *Prompt) feed(b []byte) (shouldExit bool, exec *Exec, rest []byte) {
	events := p.keyParser.Feed(b)
	// mydocker patch: after an Enter, the keys that follow are returned
	// unfed, to be fed after the line has run.
	restFrom := func(i int) []byte {
		var r []byte
		for _, ev := range events[i:] {
			r = append(r, ev.RawBytes...)
		}
		return r
	}
	for i, event := range events {
		key := event.Key
		p.buf.lastKeyStroke = key
		completing := p.completion.Completing()
		p.handleCompletionKeyBinding(key, completing)

		switch key {
		case Enter, ControlJ, ControlM:
			p.renderer.BreakLine(p.buf)
			exec = &Exec{input: p.buf.Text()}
			p.buf = NewBuffer()
			if exec.input != "" {
				p.history.Add(exec.input)
			}
			return false, exec, restFrom(i + 1)
		case BracketedPaste:
			// mydocker patch: a paste is keys as any other.
			inner := event.RawBytes[6 : len(event.RawBytes)-6]
			return false, nil, append(append([]byte{}, inner...), restFrom(i+1)...)
		case ControlC:
			p.renderer.BreakLine(p.buf)
			p.buf = NewBuffer()
			p.history.Clear()
		case Up, ControlP:
			if !completing {
				if newBuf, changed := p.history.Older(p.buf); changed {
					p.buf = newBuf
				}
			}
		case Down, ControlN:
			if !completing {
				if newBuf, changed := p.history.Newer(p.buf); changed {
					p.buf = newBuf
				}
				continue // mydocker patch: the keys after it are not dropped
			}
		case ControlD:
			if p.buf.Text() == "" {
				return true, nil, nil
			}
		case NotDefined:
			if p.handleASCIICodeBinding(event.RawBytes) {
				continue // mydocker patch: the keys after it are not dropped
			}
			if event.Text != "" {
				p.buf.InsertText(event.Text, false, true)
			} else {
				p.buf.InsertText(string(event.RawBytes), false, true)
			}
		}

		if p.handleKeyBinding(key) {
			return true, nil, nil
		}
	}
	return false, nil, nil
}

func (p *Prompt) handleCompletionKeyBinding(key Key, completing bool) {
	switch key {
	case Down:
		if completing || p.completionOnDown {
			p.completion.Next()
		}
	case Tab, ControlI:
		p.completion.Next()
	case Up:
		if completing {
			p.completion.Previous()
		}
	case BackTab:
		p.completion.Previous()
	default:
		if s, ok := p.completion.GetSelectedSuggestion(); ok {
			w := p.buf.Document().GetWordBeforeCursorUntilSeparator(p.completion.wordSeparator)
			if w != "" {
				p.buf.DeleteBeforeCursor(len([]rune(w)))
			}
			p.buf.InsertText(s.Text, false, true)
		}
		p.completion.Reset()
	}
}

func (p *Prompt) handleKeyBinding(key Key) bool {
	shouldExit := false
	for i := range commonKeyBindings {
		kb := commonKeyBindings[i]
		if kb.Key == key {
			kb.Fn(p.buf)
		}
	}

	if p.keyBindMode == EmacsKeyBind {
		for i := range emacsKeyBindings {
			kb := emacsKeyBindings[i]
			if kb.Key == key {
				kb.Fn(p.buf)
			}
		}
	}

	// Custom key bindings
	for i := range p.keyBindings {
		kb := p.keyBindings[i]
		if kb.Key == key {
			kb.Fn(p.buf)
		}
	}
	if p.exitChecker != nil && p.exitChecker(p.buf.Text(), false) {
		shouldExit = true
	}
	return shouldExit
}

func (p *Prompt) handleASCIICodeBinding(b []byte) bool {
	checked := false
	for _, kb := range p.ASCIICodeBindings {
		if bytes.Equal(kb.ASCIICode, b) {
			kb.Fn(p.buf)
			checked = true
		}
	}
	return checked
}

// Input just returns user input text.
func (p *Prompt) Input() string {
	defer debug.Teardown()
	debug.Log("start prompt")
	p.setUp()
	defer p.tearDown()

	if p.keyParser == nil {
		p.keyParser = NewKeyParser()
	}
	if p.sequenceTimeout == 0 {
		p.sequenceTimeout = 50 * time.Millisecond // default timeout
	}
	p.inputBuffer = nil

	if p.completion.showAtStart {
		p.completion.Update(*p.buf.Document())
	}

	p.renderer.Render(p.buf, p.completion)
	bufCh := make(chan []byte, 128)
	stopReadBufCh := make(chan struct{})
	go p.readBuffer(bufCh, stopReadBufCh)

	for {
		select {
		case b := <-bufCh:
			if shouldExit, e, _ := p.feed(b); shouldExit {
				p.renderer.BreakLine(p.buf)
				stopReadBufCh <- struct{}{}
				return ""
			} else if e != nil {
				// Stop goroutine to run readBuffer function
				stopReadBufCh <- struct{}{}
				return e.input
			} else {
				p.completion.Update(*p.buf.Document())
				p.renderer.Render(p.buf, p.completion)
			}
		default:
			time.Sleep(10 * time.Millisecond)
		}
	}
}

func (p *Prompt) readBuffer(bufCh chan []byte, stopCh chan struct{}) {
	debug.Log("start reading buffer")
	ticker := time.NewTicker(p.sequenceTimeout)
	defer ticker.Stop()
	for {
		select {
		case <-stopCh:
			debug.Log("stop reading buffer")
			return
		case <-ticker.C:
			// Timeout: process buffer if not empty
			if len(p.inputBuffer) > 0 {
				bufCh <- p.inputBuffer
				p.inputBuffer = nil
			}
		default:
			if b, err := p.in.Read(); err == nil && !(len(b) == 1 && b[0] == 0) {
				p.inputBuffer = append(p.inputBuffer, b...)
				// Try to parse if buffer is likely complete (single byte or known prefix)
				if len(b) == 1 || len(p.inputBuffer) > 4 {
					bufCh <- p.inputBuffer
					p.inputBuffer = nil
				}
			}
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (p *Prompt) setUp() {
	debug.AssertNoError(p.in.Setup())
	p.renderer.Setup()
	p.renderer.UpdateWinSize(p.in.GetWinSize())
}

func (p *Prompt) tearDown() {
	if !p.skipTearDown {
		debug.AssertNoError(p.in.TearDown())
	}
	p.renderer.TearDown()
}
