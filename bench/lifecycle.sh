#!/usr/bin/env bash
# Containers as objects, side by side with the reference tools in one run,
# as ratios (issue: containers that outlive a command):
#   detach:  `run -d /bin/sleep 100` vs a foreground `run /bin/true`, both
#            one-shot (hyperfine) and from the prompt (a script of 100 lines,
#            10 interleaved rounds)
#   exec:    100 `exec box /bin/true` piped to mydocker vs a shell loop of
#            100 `nsenter --all -t PID /bin/true` (same namespaces; mydocker
#            also joins the cgroup and applies the container's security)
#   exec:    one-shot `mydocker exec` vs `runc exec` into a runc container
#            of the same busybox root (scripts/mkrootfs.sh)
#   ps:      one-shot `ps -a` with 200 containers in the store, beside
#            `mydocker help` (the Go program's start, the floor)
#   monitor: RSS of the monitors of 100 idle detached containers, and the
#            CPU time they use in 5 s
# State goes to a temporary --root. Needs root. Usage: bench/lifecycle.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-100}
need=()
for tool in hyperfine:hyperfine runc:runc nsenter:util-linux; do
	command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
[ ${#need[@]} -eq 0 ] || { apt-get update -qq && apt-get install -y -qq "${need[@]}" >/dev/null; }
./build.sh
out=$(mktemp -d)
root=$out/root
md() { ./mydocker --root "$root" "$@"; }
cleanup() {
	"$out/rmall" 2>/dev/null || true
	runc --root "$out/runc" delete -f mydocker-bench-exec >/dev/null 2>&1 || true
	rm -rf "$out"
}
trap cleanup EXIT
cat >"$out/rmall" <<SH
#!/bin/sh
ids=\$(./mydocker --root $root ps -aq)
[ -z "\$ids" ] || ./mydocker --root $root rm -f \$ids >/dev/null
SH
chmod +x "$out/rmall"

# detach
hyperfine -N -w 10 -r "$runs" --export-json "$out/detach.json" --cleanup "$out/rmall" \
	"./mydocker --root $root run -d /bin/sleep 100" "./mydocker --root $root run /bin/true" >"$out/hyperfine.txt"
for i in $(seq 100); do echo 'run -d /bin/sleep 100'; done >"$out/detach100"
for i in $(seq 100); do echo 'run --rm /bin/true'; done >"$out/true100"
./mydocker --root "$root" <"$out/detach100" >/dev/null # warm-up
for round in $(seq 10); do # interleaved, so drift on a noisy machine hits both
	"$out/rmall"
	t0=$(date +%s%N)
	./mydocker --root "$root" <"$out/detach100" >/dev/null
	t1=$(date +%s%N)
	"$out/rmall" # both with an empty store
	t2=$(date +%s%N)
	./mydocker --root "$root" <"$out/true100"
	echo "$((t1 - t0)) $(($(date +%s%N) - t2))" >>"$out/detach-script.txt"
done
"$out/rmall"

# exec, from the prompt vs nsenter
md run -d --name box /bin/sleep 100000 >/dev/null
pid=$(md inspect box | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["State"]["Pid"])')
for i in $(seq 100); do echo 'exec box /bin/true'; done >"$out/exec100"
hyperfine -w 2 -r 15 -S none --export-json "$out/exec-script.json" \
	"sh -c './mydocker --root $root < $out/exec100'" \
	"sh -c 'i=0; while [ \$i -lt 100 ]; do nsenter --all -t $pid /bin/true; i=\$((i+1)); done'" >>"$out/hyperfine.txt"

# exec, one-shot vs runc, on the same busybox root
scripts/mkrootfs.sh "$out/rootfs" >/dev/null
md run -d --name rbox --rootfs "$out/rootfs" /bin/sleep 100000 >/dev/null
mkdir "$out/bundle" && (cd "$out/bundle" && runc spec)
python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
c = json.load(open(f"{out}/bundle/config.json"))
c["process"]["terminal"], c["process"]["args"], c["root"]["path"] = False, ["/bin/sleep", "100000"], f"{out}/rootfs"
json.dump(c, open(f"{out}/bundle/config.json", "w"))
PY
runc --root "$out/runc" run -d -b "$out/bundle" mydocker-bench-exec </dev/null >/dev/null 2>&1
hyperfine -N -w 10 -r "$runs" --export-json "$out/exec-oneshot.json" \
	"./mydocker --root $root exec rbox /bin/true" "runc --root $out/runc exec mydocker-bench-exec /bin/true" >>"$out/hyperfine.txt"
runc --root "$out/runc" delete -f mydocker-bench-exec

# ps -a with 200 containers
"$out/rmall"
for i in $(seq 200); do echo "run --rootfs $out/rootfs /bin/true"; done | md >/dev/null
hyperfine -N -w 5 -r "$runs" --export-json "$out/ps.json" "./mydocker --root $root ps -a" "./mydocker help" >>"$out/hyperfine.txt"
"$out/rmall"

# 100 idle monitors
for i in $(seq 100); do echo "run -d /bin/sleep 100000"; done | md >/dev/null
pids=$(pgrep -f '^mydocker monitor$' | tr '\n' ',' | sed 's/,$//')
rss=$(ps -o rss= -p "$pids" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)], a[NR], NR}')
ticks() { for p in ${pids//,/ }; do awk '{print $14+$15}' /proc/$p/stat; done | awk '{s+=$1} END {print s}'; }
t0=$(ticks); sleep 5; t1=$(ticks)
echo "$rss $((t1 - t0))" >"$out/monitor.txt"
"$out/rmall"

python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
med = lambda f, div=1: [statistics.median(x["times"]) * 1e3 / div for x in json.load(open(f"{out}/{f}"))["results"]]
d, t = med("detach.json")
print(f"detach    one-shot run -d sleep     {d:6.2f} ms   run /bin/true  {t:6.2f} ms   ratio {d/t:.2f}x (target <= 1.5x)")
rounds = [line.split() for line in open(f"{out}/detach-script.txt")]
d, t = (statistics.median(int(r[i]) for r in rounds) / 100 / 1e6 for i in (0, 1))
print(f"detach    100 x run -d sleep        {d:6.2f} ms   run --rm true  {t:6.2f} ms   ratio {d/t:.2f}x per container (target <= 1.5x)")
e, n = med("exec-script.json", 100)
print(f"exec      100 x exec /bin/true      {e:6.2f} ms   nsenter --all  {n:6.2f} ms   ratio {e/n:.2f}x per exec (target <= 1.2x)")
e, r = med("exec-oneshot.json")
print(f"exec      one-shot exec /bin/true   {e:6.2f} ms   runc exec      {r:6.2f} ms   runc is {r/e:.2f}x slower (target >= 3x)")
p, h = med("ps.json")
print(f"ps        one-shot ps -a, 200       {p:6.2f} ms   mydocker help  {h:6.2f} ms   (target < 20 ms)")
med_rss, max_rss, n, ticks = open(f"{out}/monitor.txt").read().split()
print(f"monitor   RSS of {n} idle monitors  median {int(med_rss)/1024:.1f} MiB, max {int(max_rss)/1024:.1f} MiB (target <= 3 MiB); CPU in 5 s: {ticks} ticks (target 0)")
PY
