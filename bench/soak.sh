#!/usr/bin/env bash
# soak.sh - a long run of mixed traffic against ./wharf at -Xmx128m, to see that nothing grows
# without bound: every minute it records the server's RSS, heap after a full GC, open file
# descriptors and threads to a CSV, and at the end says, per measure, whether it kept growing.
#
#   bench/soak.sh [MINUTES] [OUT_DIR]     # defaults: 30, target/soak
#
# Knobs: CLIENTS (default 4) parallel clients, each looping: a skopeo push of a small image
# (a fresh 64 KiB layer on a shared 1 MiB base, so both uploads and "blob exists" happen), two
# skopeo pulls and a curl manifest + blob GET of an image some client pushed, a tag list and the
# catalog. PORT (default 5090), WHARF_HEAP (default -Xmx128m). Tags rotate over 20 per client,
# so the data directory grows by the new layers and manifests only. Needs skopeo, curl, jcmd.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
minutes=${1:-30}
out=$(mkdir -p "${2:-$here/target/soak}" && cd "${2:-$here/target/soak}" && pwd)
clients=${CLIENTS:-4} port=${PORT:-5090} heap=${WHARF_HEAP:--Xmx128m}
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-soak.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
registry=127.0.0.1:$port

cat >"$work/wharf.yaml" <<YAML
server: {bind: 127.0.0.1, port: $port, accessLog: false}
blobStores: {default: {type: file, path: $work/data}}
repositories: [{name: hosted}]
YAML
WHARF_JAVA_OPTS="$heap" "$here/wharf" serve --config "$work/wharf.yaml" >"$out/server.log" 2>&1 &
server=$!; pids+=("$server")
for _ in $(seq 1 240); do
  [ "$(curl -s -o /dev/null -w '%{http_code}' "http://$registry/v2/")" = 200 ] && break
  kill -0 "$server" 2>/dev/null || { echo "the server did not start; see $out/server.log" >&2; exit 1; }
  sleep 0.5
done

sha() { sha256sum "$1" | cut -d' ' -f1; }
blob() { # blob FILE LAYOUT -> stores FILE under LAYOUT/blobs/sha256, prints "digest size"
  local d; d=$(sha "$1"); cp "$1" "$2/blobs/sha256/$d"; echo "$d $(stat -c %s "$1")"
}
# image LAYOUT SEED: an OCI layout with the shared base layer and a fresh 64 KiB one
head -c $((1024 * 1024)) /dev/urandom | gzip -1 >"$work/base.gz"
image() {
  local dir=$1 seed=$2 b l c m
  rm -rf "$dir"; mkdir -p "$dir/blobs/sha256"
  echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
  head -c 65536 /dev/urandom | gzip -1 >"$dir/layer.gz"
  read -r b bs < <(blob "$work/base.gz" "$dir")
  read -r l ls < <(blob "$dir/layer.gz" "$dir")
  printf '{"architecture":"amd64","os":"linux","config":{"Labels":{"seed":"%s"}},"rootfs":{"type":"layers","diff_ids":["sha256:%s","sha256:%s"]}}' \
    "$seed" "$b" "$l" >"$dir/config.json"
  read -r c cs < <(blob "$dir/config.json" "$dir")
  printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s},{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
    "$c" "$cs" "$b" "$bs" "$l" "$ls" >"$dir/manifest.json"
  read -r m ms < <(blob "$dir/manifest.json" "$dir")
  printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s}]}' \
    "$m" "$ms" >"$dir/index.json"
  rm -f "$dir/layer.gz" "$dir/config.json" "$dir/manifest.json"
}

end=$(( $(date +%s) + minutes * 60 ))
client() { # client N: loops until the end; counts in $work/count.N
  local n=$1 i=0 ok=0 fail=0 tag ref
  local skopeo=(skopeo --insecure-policy --command-timeout 120s)
  while [ "$(date +%s)" -lt "$end" ]; do
    tag=t$((i % 20)); i=$((i + 1))
    image "$work/img.$n" "$n-$i"
    run() { if "$@" >/dev/null 2>>"$work/errors.$n"; then ok=$((ok + 1)); else fail=$((fail + 1)); fi; }
    run "${skopeo[@]}" copy --dest-tls-verify=false "oci:$work/img.$n" "docker://$registry/soak/c$n:$tag"
    ref=soak/c$(( (n + i) % clients )):t$(( (i / 2) % 20 ))
    for _ in 1 2; do
      rm -rf "$work/pull.$n"
      run "${skopeo[@]}" copy --src-tls-verify=false "docker://$registry/$ref" "oci:$work/pull.$n" || true
    done
    run curl -sf -o /dev/null -H 'Accept: application/vnd.oci.image.manifest.v1+json' "http://$registry/v2/soak/c$n/manifests/$tag"
    run curl -sf -o /dev/null "http://$registry/v2/soak/c$n/tags/list"
    run curl -sf -o /dev/null "http://$registry/v2/_catalog"
    echo "$ok $fail" >"$work/count.$n"
  done
}
for n in $(seq 0 $((clients - 1))); do client "$n" & pids+=($!); done

csv=$out/soak.csv
echo "minute,utc,rss_kib,heap_after_gc_kib,fds,threads,requests_ok,requests_failed" >"$csv"
sample() { # sample MINUTE
  local rss heap fds threads ok=0 fail=0 a b
  rss=$(awk '/^VmRSS:/ {print $2}' "/proc/$server/status")
  threads=$(awk '/^Threads:/ {print $2}' "/proc/$server/status")
  fds=$(ls "/proc/$server/fd" | wc -l)
  jcmd "$server" GC.run >/dev/null
  heap=$(jcmd "$server" GC.heap_info | grep -o 'used [0-9]*K' | head -1 | tr -dc 0-9)
  for f in "$work"/count.*; do [ -f "$f" ] && read -r a b <"$f" && ok=$((ok + a)) && fail=$((fail + b)); done
  echo "$1,$(date -u +%H:%M:%S),$rss,$heap,$fds,$threads,$ok,$fail" | tee -a "$csv"
}
sample 0
for m in $(seq 1 "$minutes"); do
  sleep $(( end - minutes * 60 + m * 60 - $(date +%s) > 0 ? end - minutes * 60 + m * 60 - $(date +%s) : 0 ))
  sample "$m"
done
wait "${pids[@]:1}" 2>/dev/null || true
cat "$work"/errors.* 2>/dev/null | sort | uniq -c | sort -rn | head -5 >"$out/client-errors.txt" || true

# Growth: after two minutes of warm-up, the median of the second half against the first half's
# largest value plus a margin (RSS 16 MiB, heap 8 MiB, 8 fds, 8 threads). A leak keeps climbing
# past its earlier peak; a stable server wobbles below it.
awk -F, 'NR > 1 && $1 >= 2 { n++; for (c = 3; c <= 6; c++) v[c, n] = $c }
  END {
    if (n < 4) { print "too few samples after the warm-up to judge growth"; exit }
    split("rss_kib heap_after_gc_kib fds threads", name, " "); split("16384 8192 8 8", margin, " ")
    h = int(n / 2); verdict = "nothing grew without bound"
    for (c = 3; c <= 6; c++) {
      peak = 0; for (i = 1; i <= h; i++) if (v[c, i] + 0 > peak) peak = v[c, i] + 0
      m = 0; for (i = h + 1; i <= n; i++) s[++m] = v[c, i] + 0
      for (i = 2; i <= m; i++) { x = s[i]; for (j = i - 1; j >= 1 && s[j] > x; j--) s[j + 1] = s[j]; s[j + 1] = x }
      med = (m % 2) ? s[(m + 1) / 2] : (s[m / 2] + s[m / 2 + 1]) / 2
      grew = med > peak + margin[c - 2]
      printf "%-18s first-half peak %10d  second-half median %10d  %s\n", name[c - 2], peak, med, grew ? "GROWING" : "stable"
      if (grew) verdict = "something grew: see above"
    }
    print verdict
  }' "$csv" | tee "$out/verdict.txt"
echo "CSV: $csv"
