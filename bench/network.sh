#!/usr/bin/env bash
# The bridge network side by side, in one run, inside a network namespace
# made for the benchmark (unshare --net): nothing touches the machine's own.
#   prompt:   100 `run --rm --network bridge --rootfs R /bin/true` piped to
#             mydocker vs the same with --network none, 5 interleaved rounds
#   one-shot: `mydocker run --rm --network bridge` vs `podman run --rm
#             --network bridge` (runc, netavark) of the same busybox root
# State, podman's storage and its networks under a temporary directory.
# Needs root. Usage: bench/network.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
./build.sh
out=$(mktemp -d)
new_run_dirs=()
for d in /run/containers /run/libpod /run/runc /run/netns; do [ -e "$d" ] || new_run_dirs+=("$d"); done
cleanup() {
	for d in "${new_run_dirs[@]}"; do # podman's, runc's and netavark's, despite the flags
		umount "$d" 2>/dev/null || true # netavark bind-mounts /run/netns
		rm -rf "$d"
	done
	umount -R "$out/proot/overlay" 2>/dev/null || true
	rm -rf "$out"
	for d in /sys/fs/cgroup/*/libpod_parent; do rmdir "$d"/conmon "$d" 2>/dev/null || true; done
}
trap cleanup EXIT
scripts/mkrootfs.sh "$out/rootfs" >/dev/null
export OUT=$out MD=$PWD/mydocker RUNS=$runs
unshare --net bash -s <<'INNER'
set -euo pipefail
ip link set lo up
export MYDOCKER_ROOT=$OUT/state MYDOCKER_BRIDGE_STATE=$OUT/bridge
for m in bridge none; do
	for i in $(seq 100); do echo "run --rm --network $m --rootfs $OUT/rootfs /bin/true"; done >"$OUT/$m.txt"
done
"$MD" <"$OUT/bridge.txt" >/dev/null 2>&1 # warm up; makes the bridge
for round in 1 2 3 4 5; do
	for m in bridge none; do
		t0=$(date +%s%N)
		"$MD" <"$OUT/$m.txt" >/dev/null
		echo "$m $(( $(date +%s%N) - t0 ))" >>"$OUT/prompt.txt"
	done
done
cat >"$OUT/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
CONF
export CONTAINERS_CONF=$OUT/containers.conf
P="podman --root $OUT/proot --runroot $OUT/prunroot --tmpdir $OUT/ptmp --network-config-dir $OUT/pnet --cgroup-manager cgroupfs --events-backend file"
tar -C "$OUT/rootfs" -c . | $P import - localhost/busybox >/dev/null
hyperfine -N -w 3 -r "$RUNS" --export-json "$OUT/oneshot.json" \
	"$MD run --rm --network bridge --rootfs $OUT/rootfs /bin/true" \
	"$P run --rm --network bridge localhost/busybox /bin/true" >"$OUT/hyperfine.txt"
$P rmi -af >/dev/null 2>&1 || true
"$MD" network prune >/dev/null
INNER
python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
t = {}
for line in open(f"{out}/prompt.txt"):
    m, ns = line.split()
    t.setdefault(m, []).append(int(ns) / 100 / 1e6)
b, n = statistics.median(t["bridge"]), statistics.median(t["none"])
print(f"prompt    100 x run --network bridge  {b:6.2f} ms   --network none {n:6.2f} ms   +{b-n:.2f} ms a container (target <= +2 ms)")
md, pm = (statistics.median(x["times"]) * 1e3 for x in json.load(open(f"{out}/oneshot.json"))["results"])
print(f"one-shot  run --rm --network bridge   {md:6.1f} ms   podman {pm:6.1f} ms   podman is {pm/md:.1f}x slower (target >= 10x)")
PY
