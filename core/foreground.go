package core

import (
	"os"
	"os/exec"
	"os/signal"
	"syscall"

	"golang.org/x/sys/unix"
)

// foreground hands the caller's terminal to a container run without -t:
// the container gets its own process group, made the terminal's foreground
// group, so the terminal's ^C and ^Z go to the container and never to the
// caller (an interactive REPL, whose prompt library would exit on a stray
// SIGINT). reclaim gives the terminal back. Safe on nil (nothing handed).
type foreground struct {
	tty  *os.File
	pgrp int // the caller's process group, to restore
}

// handTerminal prepares cmd to take tty's foreground, if the caller holds it
// now; otherwise (not our controlling terminal, or we run in the
// background) it leaves cmd alone and returns nil.
func handTerminal(cmd *exec.Cmd, tty *os.File) *foreground {
	if tty == nil {
		return nil
	}
	fgPgrp, err := unix.IoctlGetInt(int(tty.Fd()), unix.TIOCGPGRP)
	if err != nil || fgPgrp != unix.Getpgrp() {
		return nil
	}
	cmd.SysProcAttr.Setpgid = true
	cmd.SysProcAttr.Foreground = true
	cmd.SysProcAttr.Ctty = int(tty.Fd()) // with Foreground: the parent's fd number
	return &foreground{tty: tty, pgrp: fgPgrp}
}

// reclaim makes the caller's process group the foreground group again.
func (f *foreground) reclaim() {
	if f == nil {
		return
	}
	// tcsetpgrp from a background group raises SIGTTOU unless it is ignored.
	signal.Ignore(syscall.SIGTTOU)
	defer signal.Reset(syscall.SIGTTOU)
	_ = unix.IoctlSetPointerInt(int(f.tty.Fd()), unix.TIOCSPGRP, f.pgrp)
}
