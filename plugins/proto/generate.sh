#!/usr/bin/env bash
# Regenerates hooks.pb.go and hooks_grpc.pb.go from hooks.proto. The
# generated code is committed, so building mydocker or a plugin needs none
# of these tools. Needs Debian's protobuf-compiler and the two Go plugins at
# the versions below (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")"
command -v protoc >/dev/null || { apt-get update -qq && apt-get install -y -qq protobuf-compiler >/dev/null; }
export PATH=$PATH:$(go env GOPATH)/bin
go install google.golang.org/protobuf/cmd/protoc-gen-go@v1.36.12
go install google.golang.org/grpc/cmd/protoc-gen-go-grpc@v1.6.2
protoc --go_out=. --go_opt=paths=source_relative \
	--go-grpc_out=. --go-grpc_opt=paths=source_relative hooks.proto
