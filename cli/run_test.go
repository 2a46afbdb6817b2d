package cli

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/mydocker/mydocker/core"
)

func TestParseRun(t *testing.T) {
	tests := []struct {
		words            []string
		args             []string
		tty, interactive bool
		host             string
	}{
		{[]string{"sh"}, []string{"sh"}, false, false, ""},
		{[]string{"-ti", "sh"}, []string{"sh"}, true, true, ""},
		{[]string{"-it", "sh"}, []string{"sh"}, true, true, ""},
		{[]string{"-i", "-t", "sh"}, []string{"sh"}, true, true, ""},
		{[]string{"-t", "--hostname", "h1", "sh"}, []string{"sh"}, true, false, "h1"},
		{[]string{"--hostname=h2", "ls", "-l", "--color"}, []string{"ls", "-l", "--color"}, false, false, "h2"},
		{[]string{"--", "-weird-command", "-i"}, []string{"-weird-command", "-i"}, false, false, ""},
		{[]string{"-i", "--", "sh", "--", "x"}, []string{"sh", "--", "x"}, false, true, ""},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.words, " "), func(t *testing.T) {
			s, err := ParseRun(tc.words)
			if err != nil {
				t.Fatal(err)
			}
			host := tc.host
			if host == "" {
				host = core.ShortID(s.ID)
			}
			if !slices.Equal(s.Args, tc.args) || s.TTY != tc.tty || s.Interactive != tc.interactive || s.Hostname != host {
				t.Errorf("got args %q tty %v i %v host %q", s.Args, s.TTY, s.Interactive, s.Hostname)
			}
			if tc.tty != slices.Contains(s.Env, "TERM=xterm") {
				t.Errorf("TERM=xterm set is %v with -t %v", !tc.tty, tc.tty)
			}
		})
	}
}

func TestParseRunRejects(t *testing.T) {
	tests := map[string]struct {
		words []string
		says  string
	}{
		"no command":        {nil, "no image or command given"},
		"only flags":        {[]string{"-ti"}, "no image or command given"},
		"unknown flag":      {[]string{"-x", "sh"}, "unknown shorthand flag: 'x'"},
		"unknown long flag": {[]string{"--bogus", "sh"}, "unknown flag: --bogus"},
		"missing value":     {[]string{"--hostname"}, "flag needs an argument"},
		"bad hostname":      {[]string{"--hostname", "a_b", "sh"}, `invalid hostname "a_b"`},
		"long hostname":     {[]string{"--hostname", strings.Repeat("a", 65), "sh"}, "longer than 64 bytes"},
		"empty env key":     {[]string{"-e", "=v", "sh"}, `invalid -e "=v"`},
		"empty env":         {[]string{"-e", "", "sh"}, `invalid -e ""`},
		"NUL in env":        {[]string{"-e", "A=\x00", "sh"}, "NUL"},
		"memory word":       {[]string{"-m", "lots", "sh"}, `invalid --memory "lots": want a size such as 64m, 512k or 1g`},
		"memory too small":  {[]string{"-m", "1k", "sh"}, "below 6m"},
		"negative cpus":     {[]string{"--cpus", "-1", "sh"}, "invalid --cpus -1: must be more than 0"},
		"too many cpus":     {[]string{"--cpus", "1000", "sh"}, "invalid --cpus 1000: this host has"},
		"zero pids":         {[]string{"--pids-limit", "0", "sh"}, "invalid --pids-limit 0: must be at least 1"},
		"missing rootfs":    {[]string{"--rootfs", "/no/such/dir", "sh"}, `invalid --rootfs "/no/such/dir": no such file or directory`},
		"rootfs a file":     {[]string{"--rootfs", "/etc/hostname", "sh"}, `invalid --rootfs "/etc/hostname": not a directory`},
		"volume no rootfs":  {[]string{"-v", "/tmp:/x", "sh"}, "-v needs --rootfs"},
		"volume shape":      {[]string{"--rootfs", "/", "-v", "/tmp", "sh"}, `invalid -v "/tmp": want HOST:CONTAINER`},
		"volume relative":   {[]string{"--rootfs", "/", "-v", "/tmp:x", "sh"}, "the container path must be absolute"},
		"volume dotdot":     {[]string{"--rootfs", "/", "-v", "/tmp:/a/../b", "sh"}, "must be clean"},
		"volume host gone":  {[]string{"--rootfs", "/", "-v", "/no/such:/x", "sh"}, "host path: no such file or directory"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := ParseRun(tc.words)
			if !errors.Is(err, core.ErrInvalid) || !strings.Contains(err.Error(), tc.says) {
				t.Errorf("err %v, want core.ErrInvalid saying %q", err, tc.says)
			}
			if core.ExitCode(err) != core.ExitRuntimeError {
				t.Errorf("exit code %d, want 125", core.ExitCode(err))
			}
		})
	}
}
