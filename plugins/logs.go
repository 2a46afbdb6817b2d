package plugins

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/hashicorp/go-hclog"

	"github.com/mydocker/mydocker/plugins/sdk"
)

// logs routes what plugins say to mydocker's stderr, each line prefixed
// with the plugin's name: their hclog lines at their own level (debug only
// with --debug), their stray stdout and stderr as is. go-plugin's own
// chatter (starting, handshake, "plugin process exited") is debug-only, so
// a failed run still ends with exactly one error line.
type logs struct {
	mu    sync.Mutex // one line at a time on out
	out   io.Writer
	debug bool
	base  hclog.Logger
}

func newLogs(out io.Writer, debug bool) *logs {
	l := &logs{out: out, debug: debug}
	level := hclog.Info
	if debug {
		level = hclog.Debug
	}
	l.base = hclog.New(&hclog.LoggerOptions{
		Level:       level,
		Output:      out,
		Mutex:       &l.mu,
		DisableTime: true,
	})
	return l
}

// forGoPlugin is the logger handed to go-plugin: the plugin's own lines
// arrive through Named(pluginName) and pass; the rest is go-plugin's.
func (l *logs) forGoPlugin() hclog.Logger {
	return &goPluginLogger{Logger: l.base, debug: l.debug}
}

// debugEdit says, with --debug, which fields a plugin's pre-clone changed.
func (l *logs) debugEdit(name string, before, after sdk.Spec) {
	if !l.debug {
		return
	}
	var changed []string
	if !slices.Equal(before.Args, after.Args) {
		changed = append(changed, fmt.Sprintf("args %q -> %q", before.Args, after.Args))
	}
	if !slices.Equal(before.Env, after.Env) {
		changed = append(changed, fmt.Sprintf("env %q -> %q", before.Env, after.Env))
	}
	if before.Hostname != after.Hostname {
		changed = append(changed, fmt.Sprintf("hostname %q -> %q", before.Hostname, after.Hostname))
	}
	if before.Rootfs != after.Rootfs {
		changed = append(changed, fmt.Sprintf("rootfs %q -> %q", before.Rootfs, after.Rootfs))
	}
	if len(changed) > 0 {
		fmt.Fprintf(l.writer(name), "debug: pre-clone changed %s\n", strings.Join(changed, "; "))
	}
}

// writer prefixes each line written to it with the plugin's name.
func (l *logs) writer(name string) io.Writer {
	return &prefixWriter{l: l, prefix: name + ": "}
}

type goPluginLogger struct {
	hclog.Logger
	debug bool
}

func (g *goPluginLogger) Log(level hclog.Level, msg string, args ...interface{}) {
	if g.debug {
		g.Logger.Log(hclog.Debug, msg, args...)
	}
}
func (g *goPluginLogger) Trace(msg string, args ...interface{}) { g.Log(hclog.Trace, msg, args...) }
func (g *goPluginLogger) Debug(msg string, args ...interface{}) { g.Log(hclog.Debug, msg, args...) }
func (g *goPluginLogger) Info(msg string, args ...interface{})  { g.Log(hclog.Info, msg, args...) }
func (g *goPluginLogger) Warn(msg string, args ...interface{})  { g.Log(hclog.Warn, msg, args...) }
func (g *goPluginLogger) Error(msg string, args ...interface{}) { g.Log(hclog.Error, msg, args...) }

// Named is how go-plugin logs a plugin's own lines: those pass at their
// level, under the plugin's name.
func (g *goPluginLogger) Named(name string) hclog.Logger {
	return &pluginLogger{Logger: g.Logger.Named(name)}
}

// With keeps go-plugin's annotated loggers quiet too.
func (g *goPluginLogger) With(args ...interface{}) hclog.Logger {
	return &goPluginLogger{Logger: g.Logger.With(args...), debug: g.debug}
}

type prefixWriter struct {
	l       *logs
	prefix  string
	partial []byte
}

func (w *prefixWriter) Write(p []byte) (int, error) {
	w.l.mu.Lock()
	defer w.l.mu.Unlock()
	w.partial = append(w.partial, p...)
	for {
		i := bytes.IndexByte(w.partial, '\n')
		if i < 0 {
			return len(p), nil
		}
		line := append([]byte(w.prefix), w.partial[:i+1]...)
		w.partial = w.partial[i+1:]
		if _, err := w.l.out.Write(line); err != nil {
			return len(p), err
		}
	}
}

// pluginLogger re-emits a plugin's lines without the "timestamp" that
// go-plugin appends to each: mydocker's own lines carry no time either.
type pluginLogger struct{ hclog.Logger }

func (p *pluginLogger) Log(level hclog.Level, msg string, args ...interface{}) {
	if n := len(args); n >= 2 && args[n-2] == "timestamp" {
		args = args[:n-2]
	}
	p.Logger.Log(level, msg, args...)
}
func (p *pluginLogger) Trace(msg string, args ...interface{}) { p.Log(hclog.Trace, msg, args...) }
func (p *pluginLogger) Debug(msg string, args ...interface{}) { p.Log(hclog.Debug, msg, args...) }
func (p *pluginLogger) Info(msg string, args ...interface{})  { p.Log(hclog.Info, msg, args...) }
func (p *pluginLogger) Warn(msg string, args ...interface{})  { p.Log(hclog.Warn, msg, args...) }
func (p *pluginLogger) Error(msg string, args ...interface{}) { p.Log(hclog.Error, msg, args...) }
