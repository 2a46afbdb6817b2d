package core

import (
	"encoding/binary"
	"fmt"
	"os"
	"runtime"
	"unsafe"

	"golang.org/x/sys/unix"
)

// On cgroup v2 there is no devices controller: a BPF_CGROUP_DEVICE program
// attached to the container's cgroup answers each mknod and open. The
// program is an allow list, a few eBPF instructions per device rule, made
// here without a BPF library (it is the only program mydocker loads).

// Registers and opcodes of the few eBPF instructions the filter uses.
const (
	bpfLdxW   = unix.BPF_LDX | unix.BPF_MEM | unix.BPF_W
	bpfMovReg = unix.BPF_ALU64 | unix.BPF_MOV | unix.BPF_X
	bpfMovImm = unix.BPF_ALU64 | unix.BPF_MOV | unix.BPF_K
	bpfAndImm = unix.BPF_ALU64 | unix.BPF_AND | unix.BPF_K
	bpfRshImm = unix.BPF_ALU64 | unix.BPF_RSH | unix.BPF_K
	bpfJneImm = unix.BPF_JMP | unix.BPF_JNE | unix.BPF_K
	bpfExit   = unix.BPF_JMP | unix.BPF_EXIT
)

type bpfInsn struct {
	op       uint8
	dst, src uint8
	off      int16
	imm      int32
}

// deviceFilter assembles the allow list: it loads the access type, major
// and minor from struct bpf_cgroup_dev_ctx, then tries each rule in turn;
// a rule allows when type and numbers match and every access asked for is
// in its permissions. Anything else is denied (returns 0).
func deviceFilter(nodes []deviceNode) []bpfInsn {
	prog := []bpfInsn{
		{op: bpfLdxW, dst: 2, src: 1, off: 0}, // r2 = access_type
		{op: bpfMovReg, dst: 3, src: 2},       // r3 = r2 & 0xffff: the device type
		{op: bpfAndImm, dst: 3, imm: 0xffff},
		{op: bpfRshImm, dst: 2, imm: 16},      // r2 = the access (mknod, read, write)
		{op: bpfLdxW, dst: 4, src: 1, off: 4}, // r4 = major
		{op: bpfLdxW, dst: 5, src: 1, off: 8}, // r5 = minor
	}
	for _, n := range nodes {
		typ := int32(unix.BPF_DEVCG_DEV_CHAR)
		if n.kind == 'b' {
			typ = unix.BPF_DEVCG_DEV_BLOCK
		}
		var access int32
		for _, p := range n.perms {
			access |= map[rune]int32{'m': unix.BPF_DEVCG_ACC_MKNOD, 'r': unix.BPF_DEVCG_ACC_READ, 'w': unix.BPF_DEVCG_ACC_WRITE}[p]
		}
		checks := []bpfInsn{{op: bpfJneImm, dst: 3, imm: typ}, {op: bpfJneImm, dst: 4, imm: int32(n.major)}}
		if n.minor != anyMinor {
			checks = append(checks, bpfInsn{op: bpfJneImm, dst: 5, imm: int32(n.minor)})
		}
		block := append(checks,
			bpfInsn{op: bpfMovReg, dst: 0, src: 2},
			bpfInsn{op: bpfAndImm, dst: 0, imm: ^access & 7}, // accesses the rule does not give
			bpfInsn{op: bpfJneImm, dst: 0, imm: 0},
			bpfInsn{op: bpfMovImm, dst: 0, imm: 1},
			bpfInsn{op: bpfExit})
		for i := range block { // every jump goes to the next rule
			if block[i].op == bpfJneImm {
				block[i].off = int16(len(block) - i - 1)
			}
		}
		prog = append(prog, block...)
	}
	return append(prog, bpfInsn{op: bpfMovImm, dst: 0, imm: 0}, bpfInsn{op: bpfExit})
}

func (p bpfInsn) encode(b []byte) []byte {
	b = append(b, p.op, p.src<<4|p.dst)
	b = binary.LittleEndian.AppendUint16(b, uint16(p.off))
	return binary.LittleEndian.AppendUint32(b, uint32(p.imm))
}

// attachDeviceFilter loads the filter and attaches it to the cgroup dir,
// composing with the programs of the cgroups above it (BPF_F_ALLOW_MULTI:
// all must allow). The attachment lives as long as the cgroup.
func attachDeviceFilter(dir string, nodes []deviceNode) error {
	var code []byte
	for _, insn := range deviceFilter(nodes) {
		code = insn.encode(code)
	}
	license := []byte("Apache-2.0\x00")
	load := struct {
		progType, insnCnt uint32
		insns, license    uint64
		logLevel, logSize uint32
		logBuf            uint64
		kernVersion       uint32
		progFlags         uint32
	}{progType: unix.BPF_PROG_TYPE_CGROUP_DEVICE, insnCnt: uint32(len(code) / 8),
		insns: uint64(uintptr(unsafe.Pointer(&code[0]))), license: uint64(uintptr(unsafe.Pointer(&license[0])))}
	progFd, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_LOAD, uintptr(unsafe.Pointer(&load)), unsafe.Sizeof(load))
	if errno != 0 {
		return fmt.Errorf("load the device filter: %w", errno)
	}
	runtime.KeepAlive(code)
	runtime.KeepAlive(license)
	defer unix.Close(int(progFd))
	cg, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer cg.Close()
	attach := struct{ targetFd, bpfFd, attachType, flags, replaceFd uint32 }{
		uint32(cg.Fd()), uint32(progFd), unix.BPF_CGROUP_DEVICE, unix.BPF_F_ALLOW_MULTI, 0}
	if _, _, errno := unix.Syscall(unix.SYS_BPF, unix.BPF_PROG_ATTACH, uintptr(unsafe.Pointer(&attach)), unsafe.Sizeof(attach)); errno != 0 {
		return fmt.Errorf("attach the device filter: %w", errno)
	}
	return nil
}
