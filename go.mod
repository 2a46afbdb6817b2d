module github.com/mydocker/mydocker

go 1.26.8

require (
	github.com/creack/pty v1.1.24
	github.com/spf13/pflag v1.1.0
	golang.org/x/sys v0.50.0
	golang.org/x/term v0.48.0
)
