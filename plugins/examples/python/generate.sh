#!/usr/bin/env bash
# Regenerates the Python stubs from mydocker's hooks.proto, the gRPC health
# service and go-plugin's controller, with Debian's protoc (the messages)
# and python3-grpc-tools (the services). The generated files are committed.
set -euo pipefail
cd "$(dirname "$0")"
cp ../../proto/hooks.proto .
protoc --python_out=. hooks.proto health.proto controller.proto
/usr/bin/python3 -m grpc_tools.protoc -I. --grpc_python_out=. hooks.proto health.proto controller.proto
rm hooks.proto
