// Package core starts containers: it is mydocker's runtime library.
//
// A container start re-executes the running binary as "/proc/self/exe init"
// in new UTS, PID, mount, network and IPC namespaces. The init does its work
// in a C constructor (init.c) before the Go runtime starts, replaying a short
// list of steps that the parent prepared in Go (initsteps.go), and then
// execve's the user's command, which becomes PID 1 of the container. The
// parent and the init wait for each other over a socketpair (sync.go), which
// is where post-mount hooks run.
//
// Any program that links this package can start containers, because the
// constructor is part of every binary that imports core. The package imports
// neither the REPL nor the plugin host: callers adapt to its Hooks interface.
package core
