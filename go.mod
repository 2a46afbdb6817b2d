module github.com/mydocker/mydocker

go 1.26.8

require (
	github.com/c-bata/go-prompt v0.2.7-0.20250812090649-d000795a4f93
	github.com/creack/pty v1.1.24
	github.com/fatih/color v1.19.0
	github.com/spf13/pflag v1.1.0
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
	mvdan.cc/sh/v3 v3.14.1
)

require (
	github.com/mattn/go-colorable v0.1.14 // indirect
	github.com/mattn/go-isatty v0.0.20 // indirect
	github.com/mattn/go-runewidth v0.0.9 // indirect
	github.com/mattn/go-tty v0.0.3 // indirect
	github.com/pkg/term v1.2.0-beta.2 // indirect
)
