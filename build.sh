#!/usr/bin/env bash
# Builds mydocker and its helpers into DIR (default: this directory).
# Usage: build.sh [DIR]
#
# mydocker is a static binary linked with musl (cgo for the container init,
# libseccomp for the seccomp profile): every container start executes it
# once more as the init, so its start-up is paid per container, and a static
# musl binary starts faster than a static glibc one (glibc's start-up runs
# about a hundred CPUID instructions, each a trap to the hypervisor in a VM;
# README.md, "Start-up", has the numbers). Installs the C toolchain, musl
# and libseccomp from Debian's packages when they are missing.
set -euo pipefail
cd "$(dirname "$0")"
out=$(realpath -m "${1:-.}")
mkdir -p "$out"
need=()
command -v gcc >/dev/null || need+=(gcc)
command -v musl-gcc >/dev/null || need+=(musl-tools)
command -v pkg-config >/dev/null || need+=(pkg-config)
ls /usr/lib/*/libc.a >/dev/null 2>&1 || need+=(libc6-dev)
ls /usr/lib/*/libseccomp.a >/dev/null 2>&1 || need+=(libseccomp-dev)
if [ ${#need[@]} -gt 0 ]; then
	apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi
export PATH=$PATH:/usr/local/go/bin

# musl-gcc sees musl's headers only: the kernel's (linux/, asm/) and
# libseccomp's come from a directory holding just those, and the archive
# from one holding just libseccomp.a, so that glibc's libc.a, beside it in
# the multiarch directory, is never picked up. Debian's libseccomp.a is
# compiled against glibc; core/libc_compat.c gives it the one glibc symbol
# musl lacks.
multiarch=$(gcc -print-multiarch)
sysroot=$(mktemp -d)
trap 'rm -rf "$sysroot"' EXIT
mkdir -p "$sysroot/include" "$sysroot/lib"
ln -s /usr/include/linux /usr/include/asm-generic /usr/include/seccomp.h \
	/usr/include/seccomp-syscalls.h "$sysroot/include/"
ln -s "/usr/include/$multiarch/asm" "$sysroot/include/asm"
ln -s "/usr/lib/$multiarch/libseccomp.a" "$sysroot/lib/"
cat >"$sysroot/libseccomp.pc" <<EOF
Name: libseccomp
Description: libseccomp for musl-gcc (build.sh)
Version: $(pkg-config --modversion libseccomp 2>/dev/null || echo 2)
Cflags: -I$sysroot/include
Libs: -L$sysroot/lib -lseccomp
EOF
# muslbuild OUT PKG [TAG] builds a static musl binary: mydocker, and the helpers
# that link core (whose start-up is paid per one-shot command that needs
# them: mydocker-net starts in 20 ms so, in 30 ms dynamic with glibc).
muslbuild() {
	CC=musl-gcc CGO_ENABLED=1 CGO_CFLAGS="-O2 -I$sysroot/include" PKG_CONFIG_LIBDIR=$sysroot \
		go build -trimpath -tags "netgo,osusergo${3:+,$3}" \
		-ldflags '-s -w -linkmode external -extldflags -static' -o "$1" "$2"
}
muslbuild "$out/mydocker" .
# mydocker with the plugin host linked in (build tag plugins): mydocker
# executes it when plugins are asked for, so that mydocker itself does not
# link go-plugin, gRPC and protobuf (pluginhost.go).
muslbuild "$out/mydocker-plugins" . plugins
# The image helper (pull, login, tag): started by mydocker only for those,
# so that mydocker itself does not link go-containerregistry, net/http and
# TLS.
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$out/mydocker-images" ./image/cmd/mydocker-images
# The bundled network plugin (--network bridge and cni:NAME), loaded by
# mydocker when a run asks for it.
muslbuild "$out/mydocker-net" ./plugins/cmd/mydocker-net
