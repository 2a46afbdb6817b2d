package core

import (
	"bytes"
	"encoding/binary"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
)

// FuzzInitConfig feeds step lists, well-formed or not, to the real init
// (init.c, in this test binary's constructor): it must always end with
// status 125 and one line saying why (on stderr, or as an error message
// over the socket), never a crash. The init runs in a new user namespace
// without id mappings, beside new mount, UTS, IPC, network and pid
// namespaces: whatever steps a mutation makes up, they cannot touch the
// host (mounts there do not propagate out, files cannot be created as an
// unmapped user). Lists that would exec a program or take over the
// terminal (exec, console) are skipped. `go test` runs the seed corpus;
// `go test -fuzz FuzzInitConfig ./core` explores.
func FuzzInitConfig(f *testing.F) {
	for _, seed := range initSeeds() {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, cfg []byte) {
		if len(cfg) > 1<<20 || runsSomething(cfg) {
			t.Skip()
		}
		status, stderr, sent := runInitWith(t, cfg)
		lines := strings.Count(stderr, "\n")
		switch {
		case status != ExitRuntimeError:
			t.Fatalf("init exited %d (stderr %q)", status, stderr)
		case sent == 0 && (lines != 1 || !strings.HasPrefix(stderr, "mydocker init: ")):
			t.Fatalf("no error message and stderr %q, want one line", stderr)
		case sent > 0 && stderr != "":
			t.Fatalf("an error message and stderr %q too", stderr)
		}
	})
}

// initSeeds are well-formed lists that fail, and malformed ones of every
// kind: truncated headers and operands, lengths past the end, missing
// NULs, counts too large, unknown ops, operand counts that do not fit.
func initSeeds() [][]byte {
	enc := func(steps ...step) []byte {
		b, err := encodeSteps(steps)
		if err != nil {
			panic(err)
		}
		return b
	}
	hostname := enc(step{op: opHostname, str: []string{"fuzz"}})
	mount := enc(mountStep("none", "/nonexistent", "tmpfs", 0, "", "mount"))
	raw := func(op, nstr uint32, flags uint64, tail ...byte) []byte {
		b := binary.NativeEndian.AppendUint32(nil, op)
		b = binary.NativeEndian.AppendUint32(b, nstr)
		b = binary.NativeEndian.AppendUint64(b, flags)
		return append(b, tail...)
	}
	u32 := func(v uint32) []byte { return binary.NativeEndian.AppendUint32(nil, v) }
	return [][]byte{
		{},                                  // no steps: no exec at the end
		hostname,                            // a list without exec
		mount,                               // a failing step
		hostname[:len(hostname)-1],          // operand without its NUL
		hostname[:10],                       // truncated header
		hostname[:18],                       // truncated operand length
		raw(opHostname, 1, 0, u32(1000)...), // operand longer than the rest
		raw(opHostname, 1, 0, append(u32(0), 'x')...), // zero length
		raw(opHostname, 0xffffffff, 0),                // absurd operand count
		raw(opHostname, 1<<20, 0, bytes.Repeat([]byte{1}, 64)...),
		raw(0xff, 0, 0), // unknown op
		raw(opMount, 1, 0, append(u32(2), 'x', 0)...),          // wrong operand count
		raw(opSeccomp, 1, 0, append(u32(4), 1, 2, 3, 0)...),    // a program of 3 bytes
		raw(opUser, 1, 0, append(u32(4), 'x', 'y', 'z', 0)...), // a gid that is no number
		enc(step{op: opSync}),                                  // wait for a parent that says go on
		append(hostname, raw(opHostname, 2, 0)...),
	}
}

// runsSomething reports whether a list, read as far as it is well-formed,
// has a step that would exec a program or make a terminal.
func runsSomething(cfg []byte) bool {
	ne := binary.NativeEndian
	for off := 0; len(cfg)-off >= 16; {
		op, nstr := ne.Uint32(cfg[off:]), ne.Uint32(cfg[off+4:])
		if o := op & opMask; o == opExec || o == opConsole {
			return true
		}
		off += 16
		for i := uint32(0); i < nstr; i++ {
			if len(cfg)-off < 4 {
				return false
			}
			l := int(ne.Uint32(cfg[off:]))
			off += 4
			if l == 0 || l > len(cfg)-off {
				return false
			}
			off += l
		}
	}
	return false
}

// runInitWith starts this binary as an init in harmless namespaces, sends
// cfg, answers its sync requests, and returns its exit status, its stderr
// and how many error messages it sent.
func runInitWith(t *testing.T, cfg []byte) (status int, stderr string, errors int) {
	sock, childEnd, err := newSyncPair()
	if err != nil {
		t.Fatal(err)
	}
	defer sock.Close()
	var errb bytes.Buffer
	cmd := &exec.Cmd{
		Path: "/proc/self/exe", Args: []string{"mydocker", "init"}, Env: []string{initFdEnv + "=3"},
		ExtraFiles: []*os.File{childEnd}, Stderr: &errb,
		SysProcAttr: &syscall.SysProcAttr{
			Cloneflags: unix.CLONE_NEWUSER | unix.CLONE_NEWNS | unix.CLONE_NEWUTS | unix.CLONE_NEWIPC | unix.CLONE_NEWNET | unix.CLONE_NEWPID,
			Pdeathsig:  syscall.SIGKILL,
		},
	}
	err = cmd.Start()
	childEnd.Close()
	if err != nil {
		t.Fatal(err)
	}
	timer := time.AfterFunc(30*time.Second, func() { cmd.Process.Kill() }) // only a hung init trips it
	defer timer.Stop()
	if err := sock.sendConfig(cfg); err == nil {
		for {
			m, file, err := sock.recv()
			if file != nil {
				file.Close()
			}
			if err != nil {
				break
			}
			switch m.Type {
			case msgError:
				errors++
			case msgReady:
				sock.send(syncMsg{Type: msgContinue})
			}
		}
	}
	cmd.Wait()
	ws := cmd.ProcessState.Sys().(syscall.WaitStatus)
	if ws.Signaled() {
		t.Fatalf("init killed by %v (stderr %q)", ws.Signal(), errb.String())
	}
	return ws.ExitStatus(), errb.String(), errors
}
