// Command mydocker-plugins is mydocker's plugin host: mydocker starts it
// (package proxy) when hook plugins are asked for, with its plugin flags,
// and talks to it on fd 3. It is a binary of its own so that mydocker does
// not link go-plugin, gRPC and protobuf, whose initialisation took half of
// every one-shot mydocker's start. build.sh builds it next to mydocker.
package main

import (
	"os"

	"github.com/mydocker/mydocker/plugins"
)

func main() {
	os.Exit(plugins.RunHelper("mydocker-plugins", os.Args[1:], nil))
}
