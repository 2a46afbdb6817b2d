// Command testplugin is the plugin the host's tests load under several
// names (symlinks); the name picks the behaviour, so one build serves every
// case:
//
//	edit-X      pre-clone appends X to the value of CHAIN=
//	veto        pre-clone refuses
//	crash-pre   pre-clone exits the process (status 3)
//	crash-once  like crash-pre the first time ever ($TESTPLUGIN_DIR marks it)
//	panic-post  post-mount panics
//	hang-post   post-mount never answers
//	mark        post-mount writes $TESTPLUGIN_DIR/mark: what it saw of the pid (and the image)
//	write-root  post-mount writes /etc/from-plugin into the container's root
//	log         logs at info and debug, and writes to stdout and stderr
//	noop        does nothing, in both hooks (benchmarks)
//	pre-only    does nothing in pre-clone; post-mount is not implemented
//	post-only   does nothing in post-mount; pre-clone is not implemented
//	deny-perm   pre-clone refuses with gRPC status PERMISSION_DENIED
//	noisy-veto  pre-clone refuses with a 5 MB message full of newlines and escapes
//	after-serve writes $TESTPLUGIN_DIR/after-serve once Serve returns (graceful shutdown)
//	patient     pre-clone waits for its context to end and returns its error
//	clear-all   pre-clone answers with every field empty (as a plugin sending only what it changed)
//	bad-host    pre-clone sets an invalid hostname
//	poststop-X  post-stop appends "X reason status signal detail labels memory" to $TESTPLUGIN_DIR/poststop
package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"google.golang.org/grpc/codes"
	"google.golang.org/grpc/status"

	"github.com/mydocker/mydocker/plugins/sdk"
)

type hooks struct{ name string }

func (h hooks) PreClone(ctx context.Context, s *sdk.Spec) error {
	switch {
	case strings.HasPrefix(h.name, "edit-"):
		for i, kv := range s.Env {
			if strings.HasPrefix(kv, "CHAIN=") {
				s.Env[i] = kv + strings.TrimPrefix(h.name, "edit-")
			}
		}
	case h.name == "post-only":
		return sdk.ErrNotImplemented
	case h.name == "veto":
		return errors.New("vetoed by the test policy")
	case h.name == "patient":
		<-ctx.Done()
		return ctx.Err()
	case h.name == "clear-all":
		*s = sdk.Spec{ID: s.ID}
	case h.name == "bad-host":
		s.Hostname = "bad_host"
	case h.name == "deny-perm":
		return status.Error(codes.PermissionDenied, "denied with PERMISSION_DENIED")
	case h.name == "noisy-veto":
		return errors.New("first line\nsecond line \x1b[31mred\x1b[0m " + strings.Repeat("x", 5<<20))
	case h.name == "crash-pre":
		os.Exit(3)
	case h.name == "crash-once":
		mark := filepath.Join(os.Getenv("TESTPLUGIN_DIR"), "crashed-once")
		if _, err := os.Stat(mark); err != nil {
			os.WriteFile(mark, nil, 0o644)
			os.Exit(3)
		}
	case h.name == "log":
		sdk.Log.Info("pre-clone seen", "container", s.ID)
		sdk.Log.Debug("debug detail", "args", len(s.Args))
		fmt.Println("raw stdout line")
		fmt.Fprintln(os.Stderr, "raw stderr line")
	}
	return nil
}

func (h hooks) PostMount(ctx context.Context, st *sdk.State) error {
	switch h.name {
	case "pre-only":
		return sdk.ErrNotImplemented
	case "panic-post":
		panic("test panic in post-mount")
	case "hang-post":
		select {} // ignores ctx on purpose: the host must not wait
	case "write-root":
		if st.Spec.Rootfs == "" {
			return errors.New("no Rootfs in the post-mount state")
		}
		root, err := sdk.InRoot(st.Spec.Rootfs)
		if err != nil {
			return err
		}
		return root.WriteFile("/etc/from-plugin", []byte("written at post-mount\n"), 0o644)
	case "mark":
		cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", st.Pid))
		pidns, _ := os.Readlink(fmt.Sprintf("/proc/%d/ns/pid", st.Pid))
		hostns, _ := os.Readlink("/proc/self/ns/pid")
		mark := fmt.Sprintf("cmdline=%s sameNS=%v id=%s", strings.ReplaceAll(string(cmdline), "\x00", " "), pidns == hostns, st.ID)
		if st.Spec.Image != "" {
			mark += fmt.Sprintf(" image=%s@%s", st.Spec.Image, st.Spec.ImageDigest)
		}
		mark += "\n"
		return os.WriteFile(filepath.Join(os.Getenv("TESTPLUGIN_DIR"), "mark"), []byte(mark), 0o644)
	}
	return nil
}

func (h hooks) PostStop(_ context.Context, st *sdk.StopState) error {
	tag, ok := strings.CutPrefix(h.name, "poststop-")
	if !ok {
		return sdk.ErrNotImplemented
	}
	f, err := os.OpenFile(filepath.Join(os.Getenv("TESTPLUGIN_DIR"), "poststop"), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o644)
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = fmt.Fprintf(f, "%s %s %d %d %q %v %d\n", tag, st.Reason, st.Status, st.Signal, st.Detail, st.Spec.Labels, st.Spec.Limits.MemoryBytes)
	return err
}

func main() {
	name := filepath.Base(os.Args[0])
	sdk.Serve(hooks{name: name})
	if name == "after-serve" { // mydocker shut the plugin down gracefully
		os.WriteFile(filepath.Join(os.Getenv("TESTPLUGIN_DIR"), "after-serve"), nil, 0o644)
	}
}
