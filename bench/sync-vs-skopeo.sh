#!/usr/bin/env bash
# sync-vs-skopeo.sh - a pull rule's run against `skopeo sync`, between the same two registries:
# Debian's docker-registry as the source (SMALL small images and LARGE large ones, generated here)
# and a fresh Wharf as the destination (one for each, same jar, same heap, empty data dir).
#
#   bench/sync-vs-skopeo.sh [OUT_DIR]     # default OUT_DIR: target/bench-sync
#
# Knobs: SMALL (100) images of one SMALL_KB (64) KiB layer, LARGE (2) images of one LARGE_MB (256) MiB
# layer; WHARF_HEAP (-Xmx256m); CONCURRENCY (1): the rule's limits.concurrency. Prints wall time and bytes for both, and writes them to
# OUT_DIR/sync.txt. Needs the jar (mvn -B -DskipTests package), docker-registry, skopeo, python3.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$here/target/bench-sync}" && cd "${1:-$here/target/bench-sync}" && pwd)
jar=$here/registry-server/target/wharf.jar
heap=${WHARF_HEAP:--Xmx256m}
concurrency=${CONCURRENCY:-1}
small=${SMALL:-100} small_kb=${SMALL_KB:-64} large=${LARGE:-2} large_mb=${LARGE_MB:-256}
src_port=${SRC_PORT:-15100} w1_port=${W1_PORT:-15101} w2_port=${W2_PORT:-15102}
[ -f "$jar" ] || { echo "no $jar: run mvn -B -DskipTests package" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench-sync.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_up() { for _ in $(seq 1 120); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/")" = 200 ] && return 0; sleep 0.5; done; echo "nothing answers on :$1" >&2; return 1; }
now() { date +%s.%N; }

# --- the source, seeded over the distribution API
mkdir -p "$work/source"
cat >"$work/source.yml" <<YML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage: {filesystem: {rootdirectory: $work/source}, delete: {enabled: true}, maintenance: {uploadpurging: {enabled: false}}}
http: {addr: 127.0.0.1:$src_port}
YML
docker-registry serve "$work/source.yml" >"$work/source.log" 2>&1 & pids+=($!); wait_up "$src_port"
python3 - "$src_port" "$small" "$small_kb" "$large" "$large_mb" "$work/images.yaml" <<'PY'
import hashlib, http.client, json, os, sys
port, small, small_kb, large, large_mb, listing = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), sys.argv[6]
def req(method, path, body=b"", headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse(); data = r.read(); c.close()
    if r.status >= 300: raise SystemExit(f"{method} {path}: {r.status} {data[:200]}")
    return r
def blob(name, data):
    d = "sha256:" + hashlib.sha256(data).hexdigest()
    loc = req("POST", f"/v2/{name}/blobs/uploads/").getheader("Location")
    path = loc.split("127.0.0.1:%d" % port)[-1]
    req("PUT", path + ("&" if "?" in path else "?") + "digest=" + d, data, {"Content-Type": "application/octet-stream"})
    return d, len(data)
def image(name, layer):
    cfg = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}, "n": name}).encode()
    cd, cs = blob(name, cfg); ld, ls = blob(name, layer)
    m = json.dumps({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cd, "size": cs},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": ld, "size": ls}]}).encode()
    req("PUT", f"/v2/{name}/manifests/1.0", m, {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
names = [f"bench/small-{i}" for i in range(small)] + [f"bench/large-{i}" for i in range(large)]
for n in names:
    size = small_kb * 1024 if "small" in n else large_mb * 1024 * 1024
    image(n, os.urandom(size))
with open(listing, "w") as f:
    f.write(f"127.0.0.1:{port}:\n  tls-verify: false\n  images:\n")
    for n in names: f.write(f"    {n}: ['1.0']\n")
PY
bytes=$(du -sb "$work/source/docker/registry/v2/blobs" | cut -f1)

# --- a pull rule's run into a fresh Wharf
cat >"$work/wharf.yaml" <<YML
repositories:
  - name: mirror
    sync:
      - name: bench
        source: {url: "http://127.0.0.1:$src_port"}
        limits: {concurrency: $concurrency}
        content: [{names: ["bench/*"]}]
YML
java $heap -jar "$jar" serve --config "$work/wharf.yaml" --bind 127.0.0.1 --port "$w1_port" --data "$work/w1" >"$work/w1.log" 2>&1 &
w1_pid=$!; pids+=("$w1_pid"); wait_up "$w1_port"
start=$(now)
curl -sf -X POST "http://127.0.0.1:$w1_port/wharf/api/v1/repositories/mirror/sync/bench/run" >/dev/null
while :; do
  r=$(curl -sf "http://127.0.0.1:$w1_port/wharf/api/v1/repositories/mirror/sync/bench")
  python3 -c 'import json,sys; r=json.load(sys.stdin); sys.exit(0 if not r["running"] and r["last"] and r["last"]["finished"] else 1)' <<<"$r" && break
  sleep 0.2
done
wharf_s=$(python3 -c "print(round($(now) - $start, 2))")
echo "$r" >"$out/wharf-report.json"
kill "$w1_pid"; wait "$w1_pid" 2>/dev/null || true   # idle, but out of skopeo's way

# --- skopeo sync into another fresh Wharf
java $heap -jar "$jar" serve --bind 127.0.0.1 --port "$w2_port" --data "$work/w2" >"$work/w2.log" 2>&1 & pids+=($!); wait_up "$w2_port"
start=$(now)
skopeo sync --src yaml --dest docker --dest-tls-verify=false --preserve-digests "$work/images.yaml" "127.0.0.1:$w2_port" >"$work/skopeo.log" 2>&1
skopeo_s=$(python3 -c "print(round($(now) - $start, 2))")

{
  echo "source: docker-registry, $small x ${small_kb} KiB + $large x ${large_mb} MiB images, $bytes bytes of blobs"
  echo "wharf pull rule (concurrency $concurrency): ${wharf_s} s ($(python3 -c "print(round($bytes / $wharf_s / 1e6, 1))") MB/s)"
  echo "skopeo sync:     ${skopeo_s} s ($(python3 -c "print(round($bytes / $skopeo_s / 1e6, 1))") MB/s)"
} | tee "$out/sync.txt"
