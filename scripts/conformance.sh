#!/usr/bin/env bash
# Runs the opencontainers/runtime-tools validation suite (v0.9.0) against
# ./mydocker and runc side by side and prints both pass lists.
#
# v0.9.0 has no go.mod (it used Godeps): a pinned one is written here, then
# runtimetest and the validation programs are built. Each validation/*/*.t
# is a TAP producer run with RUNTIME=...; a test passes when it exits 0
# with no "not ok" line. Needs root.
# Usage: scripts/conformance.sh [TEST...]   (default: all; CONFORMANCE_DIR
# keeps the built suite there for the next run)
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH=$PATH:/usr/local/go/bin
command -v runc >/dev/null || { apt-get update -qq && apt-get install -y -qq runc >/dev/null; }
[ -x ./mydocker ] || ./build.sh
mydocker=$PWD/mydocker
work=${CONFORMANCE_DIR:-}
if [ -z "$work" ]; then
	work=$(mktemp -d)
	trap 'rm -rf "$work"' EXIT
fi
mkdir -p "$work"
if ! [ -x "$work/rt/runtimetest" ]; then
rm -rf "$work/rt"
go mod download -json github.com/opencontainers/runtime-tools@v0.9.0 >"$work/mod.json"
src=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["Dir"])' "$work/mod.json")
cp -r "$src" "$work/rt" && chmod -R u+w "$work/rt"
cd "$work/rt"
printf 'module github.com/opencontainers/runtime-tools\n\ngo 1.16\n' >go.mod
go get github.com/opencontainers/runtime-spec@v1.0.2 github.com/satori/go.uuid@v1.1.0 github.com/urfave/cli@v1.19.1 \
	github.com/blang/semver@v3.5.0+incompatible github.com/mndrix/tap-go@v0.0.0-20171203230836-629fa407e90b \
	github.com/xeipuuv/gojsonschema@v1.2.0 github.com/opencontainers/selinux@v1.9.1 github.com/sirupsen/logrus@v1.8.1 \
	github.com/hashicorp/go-multierror@v1.1.1 github.com/mrunalp/fileutils@v0.5.0 \
	github.com/syndtr/gocapability@v0.0.0-20200815063812-42c35b437635 github.com/stretchr/testify@v1.3.0 golang.org/x/sys@latest >/dev/null 2>&1
go mod tidy >/dev/null 2>&1
make runtimetest >/dev/null
make -j2 validation-executables >/dev/null
fi
cd "$work/rt"
mkdir -p "$work/tmp"
only=("$@")
# Mounts a test leaves on the host are reported (as "leak NAME") and
# removed, so that the next tests and the clean-up still work.
leaks() { grep -c " $work/tmp/" /proc/self/mountinfo || true; }
run() { # runtime name
	for t in validation/*/*.t validation/*.t; do
		[ -e "$t" ] || continue
		name=${t#validation/}
		name=${name%.t}
		name=${name%/*}
		if [ ${#only[@]} -gt 0 ] && ! [[ " ${only[*]} " == *" $name "* ]]; then
			continue
		fi
		if out=$(TMPDIR=$work/tmp RUNTIME=$1 timeout 120 "./$t" 2>&1) && ! grep -q '^not ok' <<<"$out"; then
			echo "pass $name"
		else
			echo "fail $name"
			[ -z "${VERBOSE:-}" ] || printf '%s\n' "$out" | grep -B2 -A8 '^not ok' >&2
		fi
		if [ "$(leaks)" != 0 ]; then
			echo "leak $name"
			grep " $work/tmp/" /proc/self/mountinfo | awk '{print $5}' | sort -r | xargs -r -n1 umount -l
		fi
	done
}
# mydocker's state goes to the work directory; what the suite leaves
# created or stopped (it does not always delete) is deleted after it.
export MYDOCKER_ROOT=$work/state
run "$mydocker" | sort -u >"$work/mydocker.txt"
for id in $("$mydocker" list -q); do "$mydocker" delete --force "$id"; done
# The suite leaves its containers' inits to the host's PID 1 to reap; one
# that reaps late keeps a zombie in its cgroup past delete: sweep them.
sleep 2
for d in /sys/fs/cgroup/*/mydocker/*/ /sys/fs/cgroup/*/mydocker; do
	[ -d "$d" ] || continue
	if [ -z "$(cat "$d/cgroup.procs" 2>/dev/null)" ] && rmdir "$d" 2>/dev/null; then
		[[ $d == */mydocker ]] || echo "swept $d" >&2
	fi
done
had_run_runc=$([ -e /run/runc ] && echo yes || echo no)
run "$(command -v runc)" | sort -u >"$work/runc.txt"
[ "$had_run_runc" = yes ] || rm -rf /run/runc # runc's default --root
echo "== runc passes $(grep -c '^pass' "$work/runc.txt"), mydocker passes $(grep -c '^pass' "$work/mydocker.txt") of $(grep -c '^[pf]' "$work/runc.txt")"
echo "== passed by runc, failed by mydocker:"
comm -12 <(sed -n 's/^pass //p' "$work/runc.txt") <(sed -n 's/^fail //p' "$work/mydocker.txt") | sed 's/^/   /'
echo "== passed by mydocker, failed by runc:"
comm -12 <(sed -n 's/^fail //p' "$work/runc.txt") <(sed -n 's/^pass //p' "$work/mydocker.txt") | sed 's/^/   /'
echo "== tests after which mounts were left on the host: runc: $(sed -n 's/^leak //p' "$work/runc.txt" | tr '\n' ' ')mydocker: $(sed -n 's/^leak //p' "$work/mydocker.txt" | tr '\n' ' ')"
echo "== mydocker passes:"
sed -n 's/^pass //p' "$work/mydocker.txt" | tr '\n' ' '
echo
