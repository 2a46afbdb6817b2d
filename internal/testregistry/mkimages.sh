#!/usr/bin/env bash
# Builds the test images from Debian's busybox-static with umoci, into the
# OCI layout DIR/oci:
#   bb   one layer: busybox, /etc/passwd with nobody, /etc/deleted.txt,
#        /data/old; Cmd /bin/sh
#   bb3  three layers: bb, then /data replaced by an opaque directory
#        holding only new.txt, then a whiteout of /etc/deleted.txt;
#        Entrypoint [/bin/echo ep], Cmd [default], Env FOO=bar,
#        WorkingDir /data, User nobody
set -euo pipefail
dir=$1
root=$dir/rootfs
mkdir -p "$root/bin" "$root/etc" "$root/data" "$root/tmp" "$dir/newdata"
cp /bin/busybox "$root/bin/busybox"
for cmd in $("$root/bin/busybox" --list); do
	[ -e "$root/bin/$cmd" ] || ln -s busybox "$root/bin/$cmd"
done
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/sh\n' >"$root/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
echo deleted >"$root/etc/deleted.txt"
echo old >"$root/data/old"
echo new >"$dir/newdata/new.txt"
cd "$dir"
umoci init --layout oci
umoci new --image oci:bb
umoci insert --no-history --image oci:bb rootfs /
umoci config --no-history --image oci:bb --config.cmd /bin/sh --config.env PATH=/usr/sbin:/usr/bin:/sbin:/bin
umoci tag --image oci:bb bb3
umoci insert --no-history --image oci:bb3 --opaque newdata /data
umoci insert --no-history --image oci:bb3 --whiteout /etc/deleted.txt
umoci config --no-history --image oci:bb3 --config.entrypoint /bin/echo --config.entrypoint ep \
	--config.cmd default --config.env FOO=bar --config.workingdir /data --config.user nobody
