package core

import (
	"crypto/sha256"
	"fmt"
	"io"
	"os"
	"strings"
	"sync"

	"github.com/moby/profiles/seccomp"
	"github.com/opencontainers/runtime-spec/specs-go"
	libseccomp "github.com/seccomp/libseccomp-golang"
	"golang.org/x/sys/unix"
)

// A container's seccomp filter comes from docker's default profile (moby's
// own Go package, not a copy) or from a profile file in docker's format.
// Which rules apply depends on the capabilities (docker opens syscalls such
// as mount only with CAP_SYS_ADMIN). The profile is compiled to a BPF
// program by libseccomp, which also covers the other ABIs of this CPU (x32
// and i386 on amd64), and the program is cached for the life of the
// process: a REPL session compiles each profile once. The init loads the
// bytes; it never links libseccomp's logic.

var seccompCache = struct {
	sync.Mutex
	programs map[[32]byte][]byte
}{programs: map[[32]byte][]byte{}}

// seccompProgram returns the BPF program for profile ("" for docker's
// default, else a file) under the capability set caps.
func seccompProgram(profile string, caps []string) ([]byte, error) {
	var body []byte
	if profile != "" {
		b, err := os.ReadFile(profile)
		if err != nil {
			return nil, invalidf("invalid --security-opt seccomp=%s: %v", profile, unwrapPathError(err))
		}
		body = b
	}
	key := sha256.Sum256([]byte(string(body) + "\x00" + strings.Join(caps, ",")))
	seccompCache.Lock()
	defer seccompCache.Unlock()
	if prog, ok := seccompCache.programs[key]; ok {
		return prog, nil
	}
	rs := &specs.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{Bounding: caps}}}
	var cfg *specs.LinuxSeccomp
	var err error
	if body == nil {
		cfg, err = seccomp.GetDefaultProfile(rs)
	} else {
		cfg, err = seccomp.LoadProfile(string(body), rs)
	}
	if err != nil {
		return nil, invalidf("invalid --security-opt seccomp=%s: %v", profile, err)
	}
	prog, err := compileSeccomp(cfg)
	if err != nil {
		if profile == "" {
			return nil, fmt.Errorf("compile docker's seccomp profile: %w", err)
		}
		return nil, invalidf("invalid --security-opt seccomp=%s: %v", profile, err)
	}
	seccompCache.programs[key] = prog
	return prog, nil
}

// compileSeccomp turns a runtime-spec seccomp configuration into a BPF
// program. A syscall this libseccomp does not know is left to the default
// action, as runc does; rules on the same argument are alternatives (one
// rule each), rules on different arguments all apply (one rule).
func compileSeccomp(cfg *specs.LinuxSeccomp) (prog []byte, retErr error) {
	if cfg == nil {
		return nil, nil
	}
	defAction, err := seccompAction(cfg.DefaultAction, cfg.DefaultErrnoRet)
	if err != nil {
		return nil, err
	}
	filter, err := libseccomp.NewFilter(defAction)
	if err != nil {
		return nil, fmt.Errorf("create filter: %w", err)
	}
	defer filter.Release()
	// The init sets no-new-privileges itself, when asked to.
	if err := filter.SetNoNewPrivsBit(false); err != nil {
		return nil, fmt.Errorf("clear the filter's no-new-privileges bit: %w", err)
	}
	for _, a := range cfg.Architectures {
		arch, err := libseccomp.GetArchFromString(strings.TrimPrefix(strings.ToLower(string(a)), "scmp_arch_"))
		if err != nil {
			return nil, fmt.Errorf("architecture %s: %w", a, err)
		}
		if err := filter.AddArch(arch); err != nil {
			return nil, fmt.Errorf("add architecture %s: %w", a, err)
		}
	}
	for _, sc := range cfg.Syscalls {
		action, err := seccompAction(sc.Action, sc.ErrnoRet)
		if err != nil {
			return nil, err
		}
		if action == defAction {
			continue // libseccomp refuses a rule that repeats the default
		}
		for _, name := range sc.Names {
			nr, err := libseccomp.GetSyscallFromName(name)
			if err != nil {
				continue // unknown here: the default action applies
			}
			if err := addSeccompRule(filter, nr, action, sc.Args); err != nil {
				return nil, fmt.Errorf("syscall %s: %w", name, err)
			}
		}
	}
	return exportBPF(filter)
}

func addSeccompRule(filter *libseccomp.ScmpFilter, nr libseccomp.ScmpSyscall, action libseccomp.ScmpAction, args []specs.LinuxSeccompArg) error {
	if len(args) == 0 {
		return filter.AddRule(nr, action)
	}
	perIndex := map[uint]int{}
	for _, a := range args {
		perIndex[a.Index]++
	}
	var all []libseccomp.ScmpCondition
	for _, a := range args {
		op, ok := seccompOps[a.Op]
		if !ok {
			return fmt.Errorf("unknown operator %q", a.Op)
		}
		var cond libseccomp.ScmpCondition
		var err error
		if a.Op == specs.OpMaskedEqual {
			cond, err = libseccomp.MakeCondition(a.Index, op, a.Value, a.ValueTwo)
		} else {
			cond, err = libseccomp.MakeCondition(a.Index, op, a.Value)
		}
		if err != nil {
			return err
		}
		if perIndex[a.Index] > 1 {
			if err := filter.AddRuleConditional(nr, action, []libseccomp.ScmpCondition{cond}); err != nil {
				return err
			}
			continue
		}
		all = append(all, cond)
	}
	if len(all) == 0 {
		return nil
	}
	return filter.AddRuleConditional(nr, action, all)
}

var seccompOps = map[specs.LinuxSeccompOperator]libseccomp.ScmpCompareOp{
	specs.OpNotEqual: libseccomp.CompareNotEqual, specs.OpLessThan: libseccomp.CompareLess,
	specs.OpLessEqual: libseccomp.CompareLessOrEqual, specs.OpEqualTo: libseccomp.CompareEqual,
	specs.OpGreaterEqual: libseccomp.CompareGreaterEqual, specs.OpGreaterThan: libseccomp.CompareGreater,
	specs.OpMaskedEqual: libseccomp.CompareMaskedEqual,
}

// seccompAction maps a profile action to libseccomp's; errno defaults to
// EPERM, as in runc.
func seccompAction(a specs.LinuxSeccompAction, errnoRet *uint) (libseccomp.ScmpAction, error) {
	errno := int16(unix.EPERM)
	if errnoRet != nil {
		errno = int16(*errnoRet)
	}
	switch a {
	case specs.ActKill, specs.ActKillThread:
		return libseccomp.ActKillThread, nil
	case specs.ActKillProcess:
		return libseccomp.ActKillProcess, nil
	case specs.ActTrap:
		return libseccomp.ActTrap, nil
	case specs.ActErrno:
		return libseccomp.ActErrno.SetReturnCode(errno), nil
	case specs.ActTrace:
		return libseccomp.ActTrace.SetReturnCode(errno), nil
	case specs.ActAllow:
		return libseccomp.ActAllow, nil
	case specs.ActLog:
		return libseccomp.ActLog, nil
	}
	return libseccomp.ActInvalid, fmt.Errorf("unsupported seccomp action %q", a)
}

// exportBPF writes the filter's program to a memory file and reads it back
// (libseccomp 2.5 exports only to a descriptor).
func exportBPF(filter *libseccomp.ScmpFilter) ([]byte, error) {
	fd, err := unix.MemfdCreate("mydocker-seccomp", unix.MFD_CLOEXEC)
	if err != nil {
		return nil, fmt.Errorf("export filter: %w", err)
	}
	f := os.NewFile(uintptr(fd), "seccomp-bpf")
	defer f.Close()
	if err := filter.ExportBPF(f); err != nil {
		return nil, fmt.Errorf("export filter: %w", err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return nil, fmt.Errorf("export filter: %w", err)
	}
	return io.ReadAll(f)
}
