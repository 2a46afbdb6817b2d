#!/usr/bin/env bash
# Images, side by side with the reference tools in one run, as ratios
# (issue: images):
#   pull:  a cold `mydocker pull` vs `skopeo copy` + `umoci unpack` of the
#          same image vs `podman pull` (its own --root), from a local
#          docker-registry, for a 1-layer busybox image and a 100 MB,
#          12k-file layer (hyperfine; caches dropped by deleting the stores)
#   run:   warm, from the prompt: 200 `run --rm IMAGE /bin/true` vs 200
#          `run --rm --rootfs DIR /bin/true` on the same busybox files
#   init:  one-shot `mydocker help` vs the same for the last commit without
#          the image store (IMAGES_BASE, default e3ee90c), and the summed
#          package initialisation of both (GODEBUG=inittrace=1)
# Everything lives in a temp dir; the registry listens on 127.0.0.1 only
# and is stopped by pid. Needs root. Usage: bench/images.sh [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${1:-10}
base=${IMAGES_BASE:-e3ee90c}
need=()
for tool in hyperfine:hyperfine docker-registry:docker-registry umoci:umoci skopeo:skopeo podman:podman bc:bc; do
	command -v "${tool%%:*}" >/dev/null || need+=("${tool#*:}")
done
[ ${#need[@]} -eq 0 ] || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null; }
./build.sh
out=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
reg=127.0.0.1:$port
new=()
for d in /run/libpod /run/containers /var/lib/containers; do [ -e "$d" ] || new+=("$d"); done
cleanup() {
	for d in "${new[@]}"; do rm -rf "$d"; done # in case podman made them anyway
	[ -f "$out/registry.pid" ] && kill "$(cat "$out/registry.pid")" 2>/dev/null && wait "$(cat "$out/registry.pid")" 2>/dev/null || true
	umount -R "$out/pm/root/overlay" 2>/dev/null || true
	git worktree remove --force "$out/base" 2>/dev/null || true
	rm -rf "$out"
}
trap cleanup EXIT
cat >"$out/registry.yml" <<YML
version: 0.1
log: {level: error}
storage:
  filesystem: {rootdirectory: $out/storage}
  delete: {enabled: true}
http: {addr: $reg}
YML
docker-registry serve "$out/registry.yml" >"$out/registry.log" 2>&1 &
echo $! >"$out/registry.pid"
for _ in $(seq 100); do curl -sf "http://$reg/v2/" >/dev/null && break; sleep 0.05; done

# The images: busybox (internal/testregistry/mkimages.sh) and big: busybox
# plus 12,000 files of 2-14 kB of base64 text (about 100 MB, 74 MB gzipped).
internal/testregistry/mkimages.sh "$out/img" >/dev/null 2>&1
python3 - "$out/img/rootfs/data" <<'PY'
import base64, os, random, sys
random.seed(1)
for d in range(120):
    dp = os.path.join(sys.argv[1], "d%03d" % d)
    os.makedirs(dp)
    for f in range(100):
        size = random.randint(2000, 14000)
        with open(os.path.join(dp, "f%03d" % f), "wb") as fh:
            fh.write(base64.b64encode(random.randbytes(size * 3 // 4))[:size])
PY
(cd "$out/img" && umoci new --image oci:big && umoci insert --no-history --image oci:big rootfs / &&
	umoci config --no-history --image oci:big --config.cmd /bin/sh) >/dev/null 2>&1
for t in bb big; do
	skopeo copy -q --dest-tls-verify=false "oci:$out/img/oci:$t" "docker://$reg/$t:latest"
done

# podman keeps everything under $out/pm (its defaults would create
# /run/libpod and /run/containers).
pm="podman --root $out/pm/root --runroot $out/pm/run --tmpdir $out/pm/tmp --network-config-dir $out/pm/net --storage-driver overlay"
for t in bb big; do
	r=$runs
	[ $t = big ] && r=$(( (runs + 1) / 2 ))
	hyperfine -N -w 1 -r "$r" --export-json "$out/pull-$t.json" \
		--prepare "rm -rf $out/md" "env MYDOCKER_REGISTRY=$reg ./mydocker --root $out/md pull -q $t" \
		--prepare "rm -rf $out/sk" "sh -c 'skopeo copy -q --src-tls-verify=false docker://$reg/$t:latest oci:$out/sk:$t && umoci unpack --image $out/sk:$t $out/sk/bundle >/dev/null 2>&1'" \
		--prepare "sh -c 'umount -R $out/pm/root/overlay 2>/dev/null; rm -rf $out/pm'" "$pm pull -q --tls-verify=false $reg/$t:latest" >>"$out/hyperfine.txt"
done

# Warm runs from the prompt, on the same files.
MYDOCKER_REGISTRY=$reg ./mydocker --root "$out/md" pull -q bb >/dev/null
for i in $(seq 200); do echo "run --rm bb /bin/true"; done >"$out/image200"
for i in $(seq 200); do echo "run --rm --rootfs $out/img/rootfs /bin/true"; done >"$out/rootfs200"
rm -rf "$out/img/rootfs/data" # only busybox, as in the image
export MYDOCKER_REGISTRY=$reg
./mydocker --root "$out/md" <"$out/image200" >/dev/null # warm up
for round in $(seq 10); do # interleaved, so drift on a noisy machine hits both
	for mode in image rootfs; do
		t0=$(date +%s%N)
		./mydocker --root "$out/md" <"$out/${mode}200" >/dev/null
		echo "$mode $(( $(date +%s%N) - t0 ))" >>"$out/run.txt"
	done
done

# What linking the image store costs a one-shot mydocker.
git worktree add -q "$out/base" "$base"
(cd "$out/base" && CGO_ENABLED=1 go build -trimpath -tags netgo,osusergo \
	-ldflags '-s -w -linkmode external -extldflags -static' -o "$out/mydocker-base" .)
hyperfine -N -w 20 -r 500 --export-json "$out/init.json" "$out/mydocker-base help" "./mydocker help" >>"$out/hyperfine.txt"
# Package initialisation (GODEBUG=inittrace=1): the total of each binary,
# and in mydocker the packages the base does not link (what the store adds).
for _ in $(seq 200); do
	GODEBUG=inittrace=1 "$out/mydocker-base" help 2>&1 >/dev/null | awk '/^init/ {print "base", $2, $5}'
	GODEBUG=inittrace=1 ./mydocker help 2>&1 >/dev/null | awk '/^init/ {print "new", $2, $5}'
done >"$out/inits.txt"

python3 - "$out" <<'PY'
import json, statistics, sys
out = sys.argv[1]
def med(name):
    return [statistics.median(x["times"]) for x in json.load(open(f"{out}/{name}.json"))["results"]]
for t, what in (("bb", "1-layer busybox    "), ("big", "100 MB, 12k files  ")):
    md, sk, pm = med(f"pull-{t}")
    print(f"pull      {what} mydocker {md:6.2f} s   skopeo+umoci {sk:6.2f} s   podman {pm:6.2f} s   "
          f"ratios {md/sk:.2f}x, {md/pm:.2f}x (targets <= 1.0x, < 1x)")
t = {}
for line in open(f"{out}/run.txt"):
    mode, ns = line.split()
    t.setdefault(mode, []).append(int(ns) / 200 / 1e6)
img, rootfs = (statistics.median(t[k]) for k in ("image", "rootfs"))
print(f"run       200 x run IMAGE           {img:6.2f} ms   run --rootfs {rootfs:6.2f} ms   ratio {img/rootfs:.2f}x per container (target <= 1.1x)")
b, m = (x * 1e3 for x in med("init"))
runs, pkgs = {"base": [], "new": []}, {"base": set(), "new": set()}
for line in open(f"{out}/inits.txt"):
    who, pkg, ms = line.split()
    pkgs[who].add(pkg)
    if pkg == "internal/bytealg":  # the first package of a run
        runs[who].append({})
    runs[who][-1][pkg] = float(ms)
added = pkgs["new"] - pkgs["base"]
total = {w: statistics.median(sum(r.values()) for r in runs[w]) for w in runs}
extra = statistics.median(sum(v for p, v in r.items() if p in added) for r in runs["new"])
print(f"init      one-shot mydocker help    {m:6.2f} ms   without images {b:6.2f} ms   {m-b:+.2f} ms")
print(f"init      packages the store adds   {extra:6.3f} ms   ({', '.join(sorted(added))}; target <= 0.5 ms); all packages {total['new']:.2f} vs {total['base']:.2f} ms")
PY
