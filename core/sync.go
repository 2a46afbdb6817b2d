package core

// The parent and the container init talk over one AF_UNIX SOCK_SEQPACKET
// socketpair, so every message keeps its boundaries. The init's end is fd 3
// (named by _MYDOCKER_INITFD) and is close-on-exec, so a successful execve of
// the user's command closes it: the parent reads EOF exactly then.
//
// Every control message is a fixed 12-byte syncMsg {type, arg, errno}.
//
//	  parent (Start)                      init (init.c, before the Go runtime)
//	  --------------                      ------------------------------------
//	  clone child in new namespaces  -->  constructor sees argv[1]=="init"
//	  msgConfig{arg: len}            -->  reads header
//	  config bytes, <=32 KiB packets -->  reads the step list
//	                                      replays steps in order:
//	                                        mount, sethostname, ...
//	                                 <--  msgConsole + SCM_RIGHTS(pty master)
//	  relays the pty to the user          (stepConsole only: -t with --rootfs;
//	                                       no answer awaited)
//	                                 <--  msgReady{arg: step}   (stepSync only)
//	  runs post-mount hooks               goes on with its security steps
//	                                        (syncLater), then waits at opAwait
//	  msgContinue                    -->  goes on
//	    or, if a hook fails: kill         (dies with SIGKILL)
//	                                      execve(command)
//	                                 <--  EOF (exec succeeded)
//	                                 <--  msgError{arg: step, errno}, exit 125
//	  formats the error for that step     (on any failed step, including exec)
//
// Failures of the channel itself (a short read, a bad header) cannot be
// reported over it: the init then writes one line to its stderr and exits 125.

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"syscall"

	"golang.org/x/sys/unix"
)

// syncMsg is one control message on the sync socket.
type syncMsg struct {
	Type  uint32
	Arg   uint32
	Errno syscall.Errno
}

// syncSocket is the parent's end of the socketpair.
type syncSocket struct{ f *os.File }

// newSyncPair returns the parent's end and the child's end. Both are
// close-on-exec; os/exec dups the child's end to fd 3 without the flag.
func newSyncPair() (*syncSocket, *os.File, error) {
	fds, err := unix.Socketpair(unix.AF_UNIX, unix.SOCK_SEQPACKET|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return nil, nil, fmt.Errorf("create sync socketpair: %w", err)
	}
	return &syncSocket{os.NewFile(uintptr(fds[0]), "sync-parent")}, os.NewFile(uintptr(fds[1]), "sync-init"), nil
}

func (s *syncSocket) send(m syncMsg) error {
	var b [syncMsgSize]byte
	binary.NativeEndian.PutUint32(b[0:], m.Type)
	binary.NativeEndian.PutUint32(b[4:], m.Arg)
	binary.NativeEndian.PutUint32(b[8:], uint32(m.Errno))
	_, err := s.f.Write(b[:])
	return err
}

// sendConfig sends the encoded step list: a header, then bounded packets.
func (s *syncSocket) sendConfig(cfg []byte) error {
	if err := s.send(syncMsg{Type: msgConfig, Arg: uint32(len(cfg))}); err != nil {
		return err
	}
	for len(cfg) > 0 {
		n := min(len(cfg), chunkSize)
		if _, err := s.f.Write(cfg[:n]); err != nil {
			return err
		}
		cfg = cfg[n:]
	}
	return nil
}

// sendConfigEarly sends cfg before the init's clone when it fits one
// packet and the caller says it may (the init may run its steps at once):
// the init then finds its steps waiting instead of waiting for this
// process to be scheduled again after the clone. It reports whether it
// sent them; if not, the caller sends them with sendConfig once the init
// may have them.
func (s *syncSocket) sendConfigEarly(cfg []byte, may bool) (bool, error) {
	if !may || len(cfg) > chunkSize {
		return false, nil
	}
	return true, s.sendConfig(cfg)
}

// errEOF means the init closed its end: its execve succeeded (or it died).
var errEOF = errors.New("sync socket closed")

// recv reads one message, or returns errEOF. A file passed with it
// (msgConsole's pty master) is returned too, close-on-exec.
func (s *syncSocket) recv() (syncMsg, *os.File, error) {
	var b [syncMsgSize]byte
	oob := make([]byte, unix.CmsgSpace(4))
	var n, oobn int
	var err error
	for {
		n, oobn, _, _, err = unix.Recvmsg(int(s.f.Fd()), b[:], oob, unix.MSG_CMSG_CLOEXEC)
		if err != unix.EINTR {
			break
		}
	}
	switch {
	case err != nil:
		return syncMsg{}, nil, err
	case n == 0:
		return syncMsg{}, nil, errEOF
	}
	file, ferr := receivedFile(oob[:oobn])
	if n != syncMsgSize || ferr != nil {
		if file != nil {
			file.Close()
		}
		return syncMsg{}, nil, errors.Join(fmt.Errorf("malformed sync message (%d bytes)", n), ferr)
	}
	return decodeMsg(b[:]), file, nil
}

// decodeMsg reads a syncMsg from its syncMsgSize bytes (the monitor's
// answers have the same form).
func decodeMsg(b []byte) syncMsg {
	return syncMsg{
		Type:  binary.NativeEndian.Uint32(b[0:]),
		Arg:   binary.NativeEndian.Uint32(b[4:]),
		Errno: syscall.Errno(binary.NativeEndian.Uint32(b[8:])),
	}
}

// receivedFile returns the one descriptor passed with SCM_RIGHTS, if any.
func receivedFile(oob []byte) (*os.File, error) {
	if len(oob) == 0 {
		return nil, nil
	}
	cmsgs, err := unix.ParseSocketControlMessage(oob)
	if err != nil || len(cmsgs) != 1 {
		return nil, fmt.Errorf("parse control message: %v", err)
	}
	fds, err := unix.ParseUnixRights(&cmsgs[0])
	if err != nil || len(fds) != 1 {
		for _, fd := range fds {
			unix.Close(fd)
		}
		return nil, fmt.Errorf("parse passed descriptors: %v", err)
	}
	return os.NewFile(uintptr(fds[0]), "console"), nil
}

func (s *syncSocket) Close() error { return s.f.Close() }
