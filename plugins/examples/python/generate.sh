#!/usr/bin/env bash
# Regenerates the Python stubs from mydocker's hooks.proto, the gRPC health
# service and go-plugin's controller, with Debian's protoc (the messages)
# and python3-grpc-tools (the services). The generated files are committed.
# python3-grpc-tools carries an older protoc that refuses proto3 `optional`:
# it only generates the service stubs, which do not depend on it.
set -euo pipefail
cd "$(dirname "$0")"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
protoc -I../../proto -I. --python_out=. hooks.proto health.proto controller.proto
sed 's/^\(\s*\)optional /\1/' ../../proto/hooks.proto >"$tmp/hooks.proto"
cp health.proto controller.proto "$tmp/"
/usr/bin/python3 -m grpc_tools.protoc -I"$tmp" --grpc_python_out=. "$tmp"/hooks.proto "$tmp"/health.proto "$tmp"/controller.proto
