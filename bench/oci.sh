#!/usr/bin/env bash
# The OCI runtime side by side with runc, in one run, as ratios:
#   bundle:  `mydocker run --bundle B ID` vs `runc run --bundle B ID` of the
#            same busybox bundle (`runc spec`, /bin/true), one-shot, with
#            both runtimes' state on a tmpfs (as /run is), and on ext4
#   podman:  `podman run --rm IMAGE /bin/true` with --runtime mydocker vs runc
#   ctr:     `ctr run --rm IMAGE ID /bin/true` with --runc-binary mydocker vs runc
# State, images and daemons under a temporary directory. Needs root and the
# clients (.ci/run installs them). Usage: bench/oci.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-40}
command -v hyperfine >/dev/null || { apt-get update -qq && apt-get install -y -qq hyperfine >/dev/null; }
./build.sh
md=$PWD/mydocker
out=$(mktemp -d)
had_default_cgroup=$(ls -d /sys/fs/cgroup/*/default >/dev/null 2>&1 && echo yes || echo no)
new_run_dirs=()
for d in /run/runc /run/containers /run/containerd; do [ -e "$d" ] || new_run_dirs+=("$d"); done
cleanup() {
	for d in "${new_run_dirs[@]}"; do rm -rf "$d"; done # made by podman and runc without --root
	[ -f "$out/containerd.pid" ] && kill "$(cat "$out/containerd.pid")" 2>/dev/null && sleep 1
	umount "$out/run" 2>/dev/null || true
	rm -rf "$out"
	for d in /sys/fs/cgroup/*/libpod_parent; do rmdir "$d"/conmon "$d" 2>/dev/null || true; done
	[ "$had_default_cgroup" = yes ] || rmdir /sys/fs/cgroup/*/default 2>/dev/null || true # containerd's shim
}
trap cleanup EXIT
scripts/mkrootfs.sh "$out/bundle/rootfs" >/dev/null
(cd "$out/bundle" && runc spec && python3 - <<'PY'
import json
c = json.load(open("config.json"))
c["process"]["terminal"], c["process"]["args"] = False, ["/bin/true"]
json.dump(c, open("config.json", "w"))
PY
)
# The bundle runs keep both runtimes' state on a tmpfs, as on a real host
# (runc's /run/runc, mydocker's /run/mydocker, containerd's and podman's
# runc roots are all under /run); this VM's /run is ext4, where each write
# or removal of a state file costs 0.2-0.5 ms. The same on ext4 is
# measured beside it.
# Both pairs in 5 interleaved rounds of RUNS/5 each, so that the VM's
# drift within a minute hits both runtimes alike.
export MYDOCKER_ROOT=$out/state # (the seccomp cache)
mkdir "$out/run" && mount -t tmpfs -o size=64m mydocker-bench "$out/run"
: >"$out/hyperfine.txt"
for round in 1 2 3 4 5; do
	hyperfine -N -w 3 -r "$((runs / 5))" --export-json "$out/bundle-$round.json" \
		"$md --root $out/run/mydocker run --bundle $out/bundle b1" \
		"runc --root $out/run/runc run --bundle $out/bundle b1" >>"$out/hyperfine.txt"
	hyperfine -N -w 3 -r "$((runs / 5))" --export-json "$out/bundle-ext4-$round.json" \
		"$md --root $out/state run --bundle $out/bundle b1" \
		"runc --root $out/runc run --bundle $out/bundle b1" >>"$out/hyperfine.txt"
done
umount "$out/run"

cat >"$out/containers.conf" <<CONF
[containers]
netns = "none"
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=32768:32768"]
[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$out/events.log"
tmp_dir = "$out/tmp"
[network]
network_config_dir = "$out/networks"
CONF
printf '#!/bin/sh\nMYDOCKER_ROOT=%s exec %s "$@"\n' "$out/state" "$md" >"$out/mydocker-rt" && chmod +x "$out/mydocker-rt"
export CONTAINERS_CONF=$out/containers.conf
P="podman --root $out/proot --runroot $out/prunroot --storage-driver vfs"
tar -C "$out/bundle/rootfs" -c . | $P import - localhost/busybox >/dev/null
hyperfine -N -w 3 -r "$((runs / 2))" --export-json "$out/podman.json" \
	"$P --runtime $out/mydocker-rt run --rm localhost/busybox /bin/true" \
	"$P --runtime $(command -v runc) run --rm localhost/busybox /bin/true" >>"$out/hyperfine.txt"
$P save --format oci-archive -o "$out/busybox.tar" localhost/busybox >/dev/null
$P rmi -af >/dev/null

cat >"$out/config.toml" <<TOML
version = 2
root = "$out/croot"
state = "$out/cstate"
disabled_plugins = ["io.containerd.grpc.v1.cri"]
[grpc]
  address = "$out/containerd.sock"
[ttrpc]
  address = "$out/containerd.sock.ttrpc"
TOML
containerd --config "$out/config.toml" >"$out/containerd.log" 2>&1 &
echo $! >"$out/containerd.pid"
until [ -S "$out/containerd.sock" ]; do sleep 0.05; done
C="ctr -a $out/containerd.sock"
$C image import --base-name localhost/busybox "$out/busybox.tar" >/dev/null
hyperfine -N -w 3 -r "$((runs / 2))" --export-json "$out/ctr.json" \
	"$C run --rm --runc-binary $md --runc-root $out/cmd localhost/busybox:latest c1 /bin/true" \
	"$C run --rm --runc-binary $(command -v runc) --runc-root $out/crunc localhost/busybox:latest c1 /bin/true" >>"$out/hyperfine.txt"
kill "$(cat "$out/containerd.pid")"; rm "$out/containerd.pid"; sleep 1

python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
med = lambda f: [statistics.median(x["times"]) * 1e3 for x in json.load(open(f"{out}/{f}"))["results"]]
def rounds(name):  # the median of every run of the 5 rounds
    runs = [json.load(open(f"{out}/{name}-{i}.json"))["results"] for i in range(1, 6)]
    return [statistics.median([t for r in runs for t in r[k]["times"]]) * 1e3 for k in (0, 1)]
m, r = rounds("bundle")
print(f"bundle    run --bundle /bin/true        {m:7.2f} ms   runc run     {r:7.2f} ms   runc is {r/m:.2f}x slower (target >= 3x; state on a tmpfs)")
m, r = rounds("bundle-ext4")
print(f"bundle    the same, state on ext4       {m:7.2f} ms   runc run     {r:7.2f} ms   runc is {r/m:.2f}x slower")
m, r = med("podman.json")
print(f"podman    run --rm /bin/true            {m:7.2f} ms   with runc    {r:7.2f} ms   ratio {m/r:.2f}x (target < 1x)")
m, r = med("ctr.json")
print(f"ctr       run --rm /bin/true            {m:7.2f} ms   with runc    {r:7.2f} ms   ratio {m/r:.2f}x (target < 1x)")
PY
