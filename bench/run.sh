#!/usr/bin/env bash
# Container start-up, side by side with util-linux unshare (same namespaces,
# a fresh /proc) in one run, as ratios:
#   one-shot: `mydocker run /bin/true` vs `unshare ... /bin/true` (hyperfine)
#   warm:     a container started from a running mydocker process (the path
#             of every REPL `run`) vs unshare started from the same process
#             (go test -bench in core)
#   script:   a REPL script of 200 `run /bin/true` lines piped to mydocker vs
#             a shell loop of 200 unshare runs, per container (hyperfine)
#   plugins:  the same script with two trivial plugins loaded vs none,
#             interleaved round by round; and one hook call's latency
#   security: what each default protection costs a warm run: the seccomp
#             filter (vs seccomp=unconfined), the rest (vs --privileged:
#             device cgroup, masks, capability drop), and compiling docker's
#             profile once per process (cached in /run/mydocker/cache)
#   rootfs:   on the same busybox root (scripts/mkrootfs.sh): bubblewrap one-shot
#             (same namespaces, --bind ROOTFS / --proc /proc --dev /dev), runc
#             (a `runc spec` bundle), one-shot `mydocker run --rootfs`, and
#             200 `run --rootfs ... /bin/true` piped to mydocker, per container
# State goes to a temporary root. Needs root. Usage: bench/run.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-300}
need=()
for tool in hyperfine:hyperfine bwrap:bubblewrap runc:runc; do
	command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
[ ${#need[@]} -eq 0 ] || { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
./build.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
# Every container's record goes to a temporary root: thousands of runs
# would otherwise stay in the host's /run/mydocker.
export MYDOCKER_ROOT=$out/root
unshare_cmd='unshare --uts --pid --mount --net --ipc --fork --mount-proc /bin/true'

hyperfine -N -w 30 -r "$runs" --export-json "$out/oneshot.json" \
	"./mydocker run /bin/true" "$unshare_cmd" >"$out/hyperfine.txt"
for i in $(seq 200); do echo 'run /bin/true'; done >"$out/script200"
hyperfine -w 2 -r 15 -S none --export-json "$out/script.json" \
	"sh -c './mydocker < $out/script200'" \
	"sh -c 'i=0; while [ \$i -lt 200 ]; do $unshare_cmd; i=\$((i+1)); done'" >>"$out/hyperfine.txt"
scripts/mkrootfs.sh "$out/rootfs" >/dev/null
mkdir "$out/bundle" && (cd "$out/bundle" && runc spec)
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
c = json.load(open(f"{out}/bundle/config.json"))
c["process"]["terminal"], c["process"]["args"], c["root"]["path"] = False, ["/bin/true"], f"{out}/rootfs"
json.dump(c, open(f"{out}/bundle/config.json", "w"))
PY
for i in $(seq 200); do echo "run --rootfs $out/rootfs /bin/true"; done >"$out/rootfs200"
hyperfine -N -w 10 -r "$((runs / 2))" --export-json "$out/rootfs.json" \
	"bwrap --unshare-uts --unshare-pid --unshare-ipc --unshare-net --bind $out/rootfs / --proc /proc --dev /dev /bin/true" \
	"runc --root $out/runc run -b $out/bundle mydocker-bench" \
	"./mydocker run --rootfs $out/rootfs /bin/true" >>"$out/hyperfine.txt"
hyperfine -w 1 -r 10 -S none --export-json "$out/rootfs-script.json" "sh -c './mydocker < $out/rootfs200'" >>"$out/hyperfine.txt"
go test -run '^$' -bench 'Benchmark(RunTrue|UnshareTrue|RunTrueNoSeccomp|RunTruePrivileged|SeccompCompile)$' -count 5 ./core >"$out/bench.txt"
go test -run '^$' -bench 'BenchmarkHookCall$' -count 5 ./plugins >>"$out/bench.txt"

go build -o "$out/" ./plugins/internal/testplugin
for name in noop noop2 pre-only post-only; do ln -s testplugin "$out/$name"; done
for round in $(seq 10); do # interleaved, so drift on a noisy machine hits all
	for mode in none two one-hook-each; do
		case $mode in
		none) flags="" ;;
		two) flags="--plugin $out/noop --plugin $out/noop2" ;;
		one-hook-each) flags="--plugin $out/pre-only --plugin $out/post-only" ;;
		esac
		t0=$(date +%s%N)
		./mydocker $flags <"$out/script200" >/dev/null
		echo "$mode $(( $(date +%s%N) - t0 ))" >>"$out/plugins.txt"
	done
done

python3 - "$out" <<'PY'
import json, re, statistics, sys
out = sys.argv[1]
r = json.load(open(f"{out}/oneshot.json"))["results"]
md, un = (statistics.median(x["times"]) * 1e3 for x in r)
print(f"one-shot  mydocker run /bin/true   {md:6.2f} ms   unshare {un:6.2f} ms   ratio {md/un:.2f}x (target <= 3x with go-plugin linked)")
ns = {}
for line in open(f"{out}/bench.txt"):
    m = re.match(r"Benchmark(\w+?)-\d+\s+\d+\s+(\d+) ns/op", line)
    if m:
        ns.setdefault(m[1], []).append(int(m[2]))
w, u = (statistics.median(ns[k]) / 1e6 for k in ("RunTrue", "UnshareTrue"))
print(f"warm      run from running process {w:6.2f} ms   unshare {u:6.2f} ms   ratio {w/u:.2f}x (target <= 1.0x)")
nosec, priv = (statistics.median(ns[k]) / 1e6 for k in ("RunTrueNoSeccomp", "RunTruePrivileged"))
print(f"security  seccomp filter load      {(w-nosec)*1e3:6.0f} us   device cgroup, masks, capabilities {(nosec-priv)*1e3:6.0f} us   (warm run {w:.2f} ms, --privileged {priv:.2f} ms)")
print(f"security  compile docker's profile {statistics.median(ns['SeccompCompile'])/1e6:6.2f} ms   (once per process; then from /run/mydocker/cache)")
r = json.load(open(f"{out}/script.json"))["results"]
md, un = (statistics.median(x["times"]) * 1e3 / 200 for x in r)
print(f"script    200 x run /bin/true      {md:6.2f} ms   unshare {un:6.2f} ms   ratio {md/un:.2f}x per container (target <= 1.2x)")
t = {}
for line in open(f"{out}/plugins.txt"):
    mode, ns_ = line.split()
    t.setdefault(mode, []).append(int(ns_) / 200 / 1e6)
two, one, none = (statistics.median(t[k]) for k in ("two", "one-hook-each", "none"))
print(f"plugins   200 x run, 2 plugins     {two:6.2f} ms   none    {none:6.2f} ms   ratio {two/none:.2f}x per container (target <= 1.4x; both hook both points: 4 calls a run)")
print(f"plugins   200 x run, 2 plugins     {one:6.2f} ms   none    {none:6.2f} ms   ratio {one/none:.2f}x per container (each hooks one point: 2 calls a run)")
print(f"hook      one call to a plugin     {statistics.median(ns['HookCall'])/1e3:6.0f} us")
bw, rc, one = (statistics.median(x["times"]) * 1e3 for x in json.load(open(f"{out}/rootfs.json"))["results"])
warm = statistics.median(json.load(open(f"{out}/rootfs-script.json"))["results"][0]["times"]) * 1e3 / 200
print(f"rootfs    200 x run --rootfs        {warm:6.2f} ms   bwrap   {bw:6.2f} ms   ratio {warm/bw:.2f}x per container (target <= 1.0x)")
print(f"rootfs    one-shot run --rootfs     {one:6.2f} ms   runc    {rc:6.2f} ms   runc is {rc/one:.2f}x slower (target >= 3x)")
PY
