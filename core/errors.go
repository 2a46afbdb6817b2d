package core

import (
	"errors"
	"fmt"
)

// Sentinel errors, for callers that test with errors.Is. Each maps to an
// exit status (see ExitCode), following docker's conventions.
var (
	// ErrInvalid marks bad user input: a flag, a hostname, an env entry.
	ErrInvalid = errors.New("invalid argument")
	// ErrNotATerminal means -t was asked for but stdin is not a terminal.
	ErrNotATerminal = errors.New("the input device is not a TTY")
	// ErrCommandNotFound means the command does not exist in the container.
	ErrCommandNotFound = errors.New("command not found")
	// ErrCommandNotExecutable means the command exists but cannot be executed.
	ErrCommandNotExecutable = errors.New("command cannot be executed")
	// ErrMemoryLimit accompanies status 137 when the kernel killed the
	// container for reaching its memory limit.
	ErrMemoryLimit = errors.New("the container was killed: it reached its memory limit")
	// ErrInterrupted accompanies status 137 when the container ignored ^C
	// and was killed at the third.
	ErrInterrupted = errors.New("the container ignored ^C: killed it at the third")
	// ErrHangup means the caller's terminal went away while the container
	// ran; it was stopped (SIGTERM, then SIGKILL).
	ErrHangup = errors.New("the terminal went away: stopped the container")
	// ErrCancelled means a signal (^C) ended a start while hooks ran; the
	// status is 128+N.
	ErrCancelled = errors.New("cancelled")
	// ErrNotRoot means a container was asked for without root.
	ErrNotRoot = errors.New("containers need root (run it with sudo)")
	// ErrHelp means `run --help` was asked for: not an error to report.
	ErrHelp = errors.New("help requested")
)

// Exit statuses for failures of mydocker itself rather than of the command.
const (
	ExitRuntimeError  = 125 // mydocker failed: bad flag, a setup step failed
	ExitNotExecutable = 126 // the command was found but could not be executed
	ExitNotFound      = 127 // the command was not found
)

// ExitCode is the exit status that a run failing with err should end with.
func ExitCode(err error) int {
	switch {
	case err == nil:
		return 0
	case errors.Is(err, ErrCommandNotFound):
		return ExitNotFound
	case errors.Is(err, ErrCommandNotExecutable):
		return ExitNotExecutable
	default:
		return ExitRuntimeError
	}
}

// InitError is a step of the container's init that failed inside the
// container, as reported back over the sync socket.
type InitError struct {
	Step string // what the step does, e.g. `mount proc on /proc`
	Err  error  // the errno, possibly joined with a sentinel
}

// Error names the step and what went wrong.
func (e *InitError) Error() string { return fmt.Sprintf("%s: %v", e.Step, e.Err) }

// Unwrap exposes the errno and sentinel for errors.Is.
func (e *InitError) Unwrap() error { return e.Err }

// kindError classifies err with a sentinel without adding to its text, so
// messages stay one short line while errors.Is still sees the kind.
type kindError struct{ err, kind error }

func (e *kindError) Error() string   { return e.err.Error() }
func (e *kindError) Unwrap() []error { return []error{e.err, e.kind} }

// invalidf formats a bad-input error that matches ErrInvalid.
func invalidf(format string, a ...any) error {
	return &kindError{fmt.Errorf(format, a...), ErrInvalid}
}

// Invalidf is invalidf for front ends (package cli): a bad-input error
// whose text is the message alone, matching ErrInvalid (status 125).
func Invalidf(format string, a ...any) error { return invalidf(format, a...) }
