package repl

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// runScript runs a script through a REPL over buffers.
func runScript(t *testing.T, script string) (status int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	status = New(Options{In: strings.NewReader(script), Out: &out, Err: &errb}).Run(context.Background())
	return status, out.String(), errb.String()
}

// scriptCase is a script and everything it must produce.
type scriptCase struct {
	name, script   string
	status         int
	stdout, stderr string
}

func checkScripts(t *testing.T, tests []scriptCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, stdout, stderr := runScript(t, tc.script)
			if status != tc.status || stdout != tc.stdout || stderr != tc.stderr {
				t.Errorf("got status %d stdout %q stderr %q\nwant status %d stdout %q stderr %q", status, stdout, stderr, tc.status, tc.stdout, tc.stderr)
			}
		})
	}
}

func TestScriptWithoutContainers(t *testing.T) {
	tests := []scriptCase{
		{"empty input", "", 0, "", ""},
		{"blank lines and comments", "\n   \n# nothing\n", 0, "", ""},
		{"exit N", "exit 7\nhelp\n", 7, "", ""},
		{"exit with too many args goes on", "exit 1 2\n", 2, "", "mydocker: line 1: exit: too many arguments (usage: exit [N])\n"},
		{"exit out of range", "exit 300\n", 2, "", "mydocker: line 1: exit: \"300\" is not a status from 0 to 255\n"},
		{"unknown command and go on", "bogus\nexit 0\n", 0, "", "mydocker: line 1: unknown command \"bogus\": type `help` for the commands\n"},
		{"unbalanced quote", "run echo 'x\n", 2, "", "mydocker: line 1: unexpected end of input: a quote or a trailing \\ is not finished\n"},
		{"last status is the exit status", "bogus\n", 127, "", "mydocker: line 1: unknown command \"bogus\": type `help` for the commands\n"},
		{"help of a missing command", "help nope\n", 2, "", "mydocker: line 1: help: no such command \"nope\" (commands: run, ps, exec, logs, stop, kill, rm, wait, inspect, top, pull, images, rmi, tag, image, login, logout, network, exit, plugins, clear, help)\n"},
		{"plugins without a host", "plugins\n", 0, "no plugins loaded\n", ""},
		{"plugins takes no arguments", "plugins x\n", 2, "", "mydocker: line 1: plugins: takes no arguments\n"},
		{"no newline at the end", "exit 4", 4, "", ""},
		{"bad run flag", "run --nope true\n", 125, "", "mydocker: line 1: run: unknown flag: --nope\n"},
		{"-t without a terminal", "run -t true\n", 125, "", "mydocker: line 1: run: -t needs a terminal on stdin: the input device is not a TTY\n"},
	}
	checkScripts(t, tests)
}

func TestScriptHelp(t *testing.T) {
	status, stdout, _ := runScript(t, "help\nhelp run\n")
	for _, want := range []string{"run ", "exit ", "help ", "--hostname", "-i, --interactive", "127 if it was not found"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("help does not mention %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "init") || strings.Contains(stdout, "\x1b[") || status != 0 {
		t.Errorf("help lists init, has colours, or failed (%d):\n%s", status, stdout)
	}
}

func TestScriptRunsContainers(t *testing.T) {
	requireRoot(t)
	tests := []scriptCase{
		{"lines run in order", "run echo one\nrun echo two\n", 0, "one\ntwo\n", ""},
		{"quoting reaches the container", `run printf "[%s]" "a b" '' 'c"d'` + "\n", 0, `[a b][][c"d]`, ""},
		{"errors do not stop the script", "run /no-such-cmd\nrun echo after\n", 0, "after\n", "mydocker: line 1: run: exec \"/no-such-cmd\": no such file or directory\n"},
		{"status of the last command", "run sh -c 'exit 3'\n", 3, "", ""},
		{"exit without N keeps the last status", "run sh -c 'exit 5'\nexit\nrun echo never\n", 5, "", ""},
		{"run -i reads the rest of the script", "run echo before\nrun -i cat\nthese lines\nare data\n", 0, "before\nthese lines\nare data\n", ""},
		{"without -i the script is not read", "run cat\nrun echo next\n", 0, "next\n", ""},
		{"a trailing backslash goes on", "run echo joined \\\nline\n", 0, "joined line\n", ""},
		{"an open quote goes on", "run echo 'two\nlines'\n", 0, "two\nlines\n", ""},
		{"a backslash in single quotes does not", "run echo 'a\\'\n", 0, "a\\\n", ""},
		{"errors name the command's first line", "run echo \\\n'x\ny' \\\nz\nbogus\n", 127, "x\ny z\n", "mydocker: line 5: unknown command \"bogus\": type `help` for the commands\n"},
	}
	checkScripts(t, tests)
}

type fakeReport string

func (f fakeReport) Report(w io.Writer) { io.WriteString(w, string(f)) }

func TestPluginsCommandReports(t *testing.T) {
	var out bytes.Buffer
	r := New(Options{In: strings.NewReader("plugins\n"), Out: &out, Err: &out, Plugins: fakeReport("the table\n")})
	if status := r.Run(context.Background()); status != 0 || out.String() != "the table\n" {
		t.Errorf("status %d output %q", status, out.String())
	}
}
