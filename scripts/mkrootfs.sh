#!/usr/bin/env bash
# Builds a small root filesystem for `run --rootfs`: Debian's statically
# linked busybox (package busybox-static, installed when missing) with its
# applets as links in /bin and /sbin, and a minimal /etc.
#
#   scripts/mkrootfs.sh DIR      then: ./mydocker run -ti --rootfs DIR /bin/sh
set -euo pipefail
dir=${1:?usage: mkrootfs.sh DIR}
busybox=/bin/busybox
if ! [ -x "$busybox" ] || ldd "$busybox" >/dev/null 2>&1; then # missing or dynamically linked
	apt-get update -qq
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq busybox-static >/dev/null
fi
mkdir -p "$dir"
cd "$dir"
mkdir -p bin sbin usr/bin usr/sbin etc proc sys dev tmp root var/tmp
chmod 1777 tmp var/tmp
cp "$busybox" bin/busybox
# --install from inside the new root, so that the links point at
# /bin/busybox there and not at a host path.
chroot . /bin/busybox --install -s
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >etc/passwd
printf 'root:x:0:\ntty:x:5:\nnogroup:x:65534:\n' >etc/group
echo "built $dir: $(find bin sbin usr -type l | wc -l) busybox applets"
