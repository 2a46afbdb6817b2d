#!/usr/bin/env bash
# Builds ./mydocker: a static binary (cgo for the container init, glibc
# linked in), because a static binary starts measurably faster and every
# container start executes it once more as the init. Installs the C
# toolchain and libseccomp (which compiles the seccomp profile, linked
# statically) from Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v pkg-config >/dev/null || need+=(pkg-config)
ls /usr/lib/*/libc.a >/dev/null 2>&1 || need+=(libc6-dev)
ls /usr/lib/*/libseccomp.a >/dev/null 2>&1 || need+=(libseccomp-dev)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
export PATH=$PATH:/usr/local/go/bin
CGO_ENABLED=1 go build -trimpath -tags netgo,osusergo \
	-ldflags '-s -w -linkmode external -extldflags -static' -o mydocker .
# The plugin host: started by mydocker only when plugins are asked for, so
# that mydocker itself does not link go-plugin, gRPC and protobuf.
CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o mydocker-plugins ./plugins/cmd/mydocker-plugins
# The image helper (pull, login, tag): started by mydocker only for those,
# so that mydocker itself does not link go-containerregistry, net/http and
# TLS.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o mydocker-images ./image/cmd/mydocker-images
# The bundled network plugin (--network bridge and cni:NAME), loaded by
# mydocker when a run asks for it.
CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o mydocker-net ./plugins/cmd/mydocker-net
