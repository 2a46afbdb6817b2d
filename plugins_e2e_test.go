package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	examplesOnce sync.Once
	examplesDir  string
	examplesErr  error
)

// examplePlugin builds the example plugins once per test binary.
func examplePlugin(t *testing.T, name string) string {
	t.Helper()
	examplesOnce.Do(func() {
		examplesDir, examplesErr = os.MkdirTemp("", "mydocker-examples-")
		if examplesErr == nil {
			out, err := exec.Command("go", "build", "-o", examplesDir+"/", "./plugins/examples/...").CombinedOutput()
			if err != nil {
				examplesErr = err
				t.Logf("%s", out)
			}
		}
	})
	if examplesErr != nil {
		t.Fatal(examplesErr)
	}
	return filepath.Join(examplesDir, name)
}

func TestOneShotWithPlugins(t *testing.T) {
	requireRoot(t)
	cmd := mydocker("--plugin", examplePlugin(t, "naming"), "--plugin", examplePlugin(t, "policy"), "run", "hostname")
	cmd.Env = append(cmd.Env, "MYDOCKER_NAME_PREFIX=e2e")
	out, err := cmd.Output()
	if err != nil || !strings.HasPrefix(string(out), "e2e-") {
		t.Errorf("out %q err %v", out, err)
	}
	cmd = mydocker("--plugin", examplePlugin(t, "policy"), "run", "dd", "if=/dev/zero", "count=1")
	cmd.Env = append(cmd.Env, "MYDOCKER_POLICY_DENY=dd")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	_ = cmd.Run()
	if cmd.ProcessState.ExitCode() != 125 || stderr.String() != "mydocker: run: plugin policy: pre-clone: command \"dd\" is denied by policy (MYDOCKER_POLICY_DENY)\n" {
		t.Errorf("veto: status %d stderr %q", cmd.ProcessState.ExitCode(), stderr.String())
	}
}

func TestPluginsCommandAndDir(t *testing.T) {
	requireRoot(t)
	examplePlugin(t, "naming")
	cmd := mydocker("--plugin-dir", examplesDir)
	cmd.Stdin = strings.NewReader("run true\nrun true\nplugins\n")
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	for _, want := range []string{"NAME ", "naming           running            2          -      1", "netlo            running            -          2      1", "policy "} {
		if !strings.Contains(string(out), want) {
			t.Errorf("plugins output lacks %q:\n%s", want, out)
		}
	}
}

// pluginPids are the processes named name below pid.
func pluginPids(t *testing.T, pid int, name string) []int {
	var pids []int
	files, _ := filepath.Glob("/proc/" + strconv.Itoa(pid) + "/task/*/children")
	for _, f := range files {
		b, _ := os.ReadFile(f)
		for _, c := range strings.Fields(string(b)) {
			p, _ := strconv.Atoi(c)
			exe, _ := os.Readlink("/proc/" + c + "/exe")
			if filepath.Base(exe) == name {
				pids = append(pids, p)
			} else {
				pids = append(pids, pluginPids(t, p, name)...)
			}
		}
	}
	return pids
}

func TestPluginsDieWithMydocker(t *testing.T) {
	requireRoot(t)
	for _, sig := range []syscall.Signal{syscall.SIGKILL, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd := mydocker("--plugin", examplePlugin(t, "netlo"))
			stdin, _ := cmd.StdinPipe() // the REPL waits for commands
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			defer stdin.Close()
			var pids []int
			for deadline := time.Now().Add(10 * time.Second); len(pids) == 0 && time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
				pids = pluginPids(t, cmd.Process.Pid, "netlo")
			}
			if len(pids) != 1 {
				t.Fatalf("plugin process not found under mydocker")
			}
			stat, _ := os.ReadFile("/proc/" + strconv.Itoa(pids[0]) + "/stat")
			fields := strings.Fields(string(stat[bytes.LastIndexByte(stat, ')')+1:]))
			if pgrp := fields[2]; pgrp != strconv.Itoa(pids[0]) {
				t.Errorf("plugin shares a process group (%s): it would get the terminal's ^C", pgrp)
			}
			// The prompt is the plugins' host (mydocker-plugins, executed
			// in mydocker's place): no process between it and them.
			if ppid := fields[1]; ppid != strconv.Itoa(cmd.Process.Pid) {
				t.Errorf("plugin's parent %s, not the prompt %d", ppid, cmd.Process.Pid)
			}
			if exe, _ := os.Readlink("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/exe"); filepath.Base(exe) != "mydocker-plugins" {
				t.Errorf("the prompt runs %s, not mydocker-plugins", exe)
			}
			cmd.Process.Signal(sig)
			cmd.Wait()
			waitGone(t, pids[0])
		})
	}
}
