package core

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
// process: a REPL session compiles each profile once. Compiling docker's
// profile takes libseccomp about 15 ms, more than a whole container start,
// so a Runtime with a CacheDir also keeps programs there (mydocker uses
// /run/mydocker/cache, a tmpfs), keyed by a digest of the exact rules and
// libseccomp's version: a one-shot `mydocker run` compiles only once per
// boot. It is also kept under a digest of its inputs and of the mydocker
// executable's identity, which a later process finds without generating
// the profile at all. The init loads the bytes; it never links
// libseccomp's logic.

var seccompCache = struct {
	sync.Mutex
	programs map[[32]byte][]byte
}{programs: map[[32]byte][]byte{}}

// seccompCompileOptions names how compileSeccomp builds a program; change
// it with the code, so that no cached program of another build is used.
const seccompCompileOptions = "optimize=2 nnp=0 v1"

// seccompProgram returns the BPF program for profile ("" for docker's
// default, else a file) under the capability set caps, from the process's
// cache, cacheDir's ("" for none), or compiled.
func seccompProgram(profile string, caps []string, cacheDir string) ([]byte, error) {
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
	// Found by its inputs, a program needs neither the profile generated
	// nor its rules digested (a millisecond of a one-shot exec).
	byInputs := inputsProgramPath(cacheDir, key)
	if prog, ok := readProgram(byInputs); ok {
		seccompCache.programs[key] = prog
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
	prog, err := compileCached(cfg, cacheDir)
	if err != nil {
		if profile == "" {
			return nil, fmt.Errorf("compile docker's seccomp profile: %w", err)
		}
		return nil, invalidf("invalid --security-opt seccomp=%s: %v", profile, err)
	}
	seccompCache.programs[key] = prog
	storeProgram(byInputs, prog)
	return prog, nil
}

// inputsProgramPath names the program that this very executable made from
// the inputs digested in key (profile and capabilities), in cacheDir; ""
// without a cacheDir. The executable is named by its file's identity, so
// a rebuilt mydocker (other profiles, other compile code, another
// libseccomp linked in) never finds another build's program here.
func inputsProgramPath(cacheDir string, key [32]byte) string {
	exe := executableIdentity()
	if cacheDir == "" || exe == "" {
		return ""
	}
	sum := sha256.Sum256(append(key[:], exe...))
	return filepath.Join(cacheDir, "seccomp-in-"+hex.EncodeToString(sum[:16])+".bpf")
}

// executableIdentity names this process's executable file: device, inode,
// size and change times ("" if it cannot be read).
var executableIdentity = sync.OnceValue(func() string {
	var st unix.Stat_t
	if err := unix.Stat("/proc/self/exe", &st); err != nil {
		return ""
	}
	return fmt.Sprintf("%d:%d:%d:%d.%d:%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
})

// compileCached compiles cfg, or reads it from cacheDir's cache (an OCI
// config's profile: podman and docker pass the same one every time).
func compileCached(cfg *specs.LinuxSeccomp, cacheDir string) ([]byte, error) {
	cached := cachedProgramPath(cacheDir, cfg)
	if prog, ok := readProgram(cached); ok {
		return prog, nil
	}
	prog, err := compileSeccomp(cfg)
	if err != nil {
		return nil, err
	}
	storeProgram(cached, prog)
	return prog, nil
}

// cachedProgramPath names a compiled program in cacheDir by a digest of
// the rules and libseccomp's version; "" without a cacheDir.
func cachedProgramPath(cacheDir string, cfg *specs.LinuxSeccomp) string {
	if cacheDir == "" {
		return ""
	}
	rules, err := json.Marshal(cfg)
	if err != nil {
		return ""
	}
	major, minor, micro := libseccomp.GetLibraryVersion()
	sum := sha256.Sum256(fmt.Appendf(rules, "\x00libseccomp %d.%d.%d, %s", major, minor, micro, seccompCompileOptions))
	return filepath.Join(cacheDir, "seccomp-"+hex.EncodeToString(sum[:16])+".bpf")
}

// readProgram reads a cached program; one that is not a whole number of
// BPF instructions (a damaged file) is not one.
func readProgram(path string) ([]byte, bool) {
	prog, err := os.ReadFile(path)
	return prog, err == nil && len(prog) > 0 && len(prog)%8 == 0
}

// storeProgram writes a program to the cache, atomically. The cache is
// only a shortcut: a failure to write it costs the next process a compile.
func storeProgram(path string, prog []byte) {
	if path == "" {
		return
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return
	}
	tmp, err := os.CreateTemp(dir, ".seccomp-*")
	if err != nil {
		return
	}
	_, werr := tmp.Write(prog)
	if cerr := tmp.Close(); werr != nil || cerr != nil || os.Rename(tmp.Name(), path) != nil {
		os.Remove(tmp.Name())
	}
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
	// A binary tree of syscall numbers instead of a list: every syscall of
	// the container runs fewer instructions, and the kernel, which runs the
	// filter over every syscall number when it is loaded (its action
	// cache), loads it several times faster.
	if err := filter.SetOptimize(2); err != nil {
		return nil, fmt.Errorf("optimize the filter: %w", err)
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
