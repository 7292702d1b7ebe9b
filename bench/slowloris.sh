#!/usr/bin/env bash
# slowloris.sh - pull latency of ./wharf, quiet and under a slowloris attack (not a unit test;
# SlowClientsTest shows the same without timing). Wharf runs with MAX_CONNECTIONS (default 1000)
# and HEADER_TIMEOUT (default 30s), Wharf's defaults; the attack holds ATTACK (default 400)
# connections that each send one header byte a second, reopening any the server drops. A "pull"
# is a manifest GET plus a 256 KiB blob GET, each on a new connection (curl), PULLS (default 50)
# of them in a row, quiet then attacked.
#
#   bench/slowloris.sh [OUT_DIR]        # default target/slowloris; PORT (5092), WHARF_HEAP (-Xmx128m)
#   MAX_CONNECTIONS=200 HEADER_TIMEOUT=10s PULLS=10 bench/slowloris.sh   # an attack over the cap
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
out=$(mkdir -p "${1:-$here/target/slowloris}" && cd "${1:-$here/target/slowloris}" && pwd)
port=${PORT:-5092} attack_n=${ATTACK:-400} pulls=${PULLS:-50} heap=${WHARF_HEAP:--Xmx128m}
max_connections=${MAX_CONNECTIONS:-1000} header_timeout=${HEADER_TIMEOUT:-30s}
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-slowloris.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
base=http://127.0.0.1:$port

cat >"$work/wharf.yaml" <<YAML
server: {bind: 127.0.0.1, port: $port, accessLog: false, maxConnections: $max_connections, headerTimeout: $header_timeout}
blobStores: {default: {type: memory}}
repositories: [{name: hosted}]
YAML
WHARF_JAVA_OPTS="$heap" "$here/wharf" serve --config "$work/wharf.yaml" >"$out/server.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 240); do [ "$(curl -s -o /dev/null -w '%{http_code}' "$base/v2/")" = 200 ] && break; sleep 0.5; done

# a small image: config, a 256 KiB layer, a manifest
head -c 262144 /dev/urandom >"$work/layer"; echo '{"os":"linux"}' >"$work/config"
up() { curl -sf -o /dev/null -X POST --data-binary "@$1" -H 'Content-Type: application/octet-stream' \
  "$base/v2/bench/app/blobs/uploads/?digest=sha256:$(sha256sum "$1" | cut -d' ' -f1)"; }
up "$work/config"; up "$work/layer"
layer=sha256:$(sha256sum "$work/layer" | cut -d' ' -f1)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"%s","size":262144}]}' \
  "$(sha256sum "$work/config" | cut -d' ' -f1)" "$(stat -c %s "$work/config")" "$layer" >"$work/manifest"
curl -sf -o /dev/null -X PUT --data-binary "@$work/manifest" -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
  "$base/v2/bench/app/manifests/1.0"

pull_round() { # pull_round LABEL -> one line per pull: seconds (manifest + blob), or FAIL
  for _ in $(seq 1 "$pulls"); do
    m=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 120 \
      -H 'Accept: application/vnd.oci.image.manifest.v1+json' "$base/v2/bench/app/manifests/1.0" || echo "000 0")
    b=$(curl -s -o /dev/null -w '%{http_code} %{time_total}' --max-time 120 "$base/v2/bench/app/blobs/$layer" || echo "000 0")
    if [ "${m%% *}" = 200 ] && [ "${b%% *}" = 200 ]; then
      awk -v a="${m#* }" -v b="${b#* }" 'BEGIN { printf "%.4f\n", a + b }'
    else echo FAIL; fi
  done >"$out/$1.txt"
}
stats() { # stats LABEL
  local fails; fails=$(grep -c FAIL "$out/$1.txt" || true)
  grep -v FAIL "$out/$1.txt" | sort -n | awk -v label="$1" -v fails="$fails" '{ v[NR] = $1 * 1000 }
    END { printf "| %s | %d | %d | %.1f | %.1f | %.1f |\n", label, NR, fails, v[int(NR * 0.5) + (NR % 2)], v[int(NR * 0.9 + 0.5)], v[NR] }'
}

pull_round warm-up
pull_round quiet

cat >"$work/attack.py" <<'PY'
import socket, sys, time
host, port, n = "127.0.0.1", int(sys.argv[1]), int(sys.argv[2])
head = b"GET /v2/ HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "
socks, sent, opened, dropped = [None] * n, [0] * n, 0, 0
while True:
    tick = time.monotonic()
    for i in range(n):
        try:
            if socks[i] is None:
                s = socket.socket(); s.settimeout(0.5); s.connect((host, port)); socks[i], sent[i] = s, 0; opened += 1
            socks[i].send(head[sent[i]:sent[i] + 1] if sent[i] < len(head) else b"a"); sent[i] += 1
        except OSError:
            if socks[i] is not None: dropped += 1; socks[i].close()
            socks[i] = None
    print(f"open={sum(s is not None for s in socks)} opened={opened} dropped={dropped}", flush=True)
    time.sleep(max(0.0, 1.0 - (time.monotonic() - tick)))
PY
python3 "$work/attack.py" "$port" "$attack_n" >"$out/attack.log" 2>&1 &
pids+=($!)
sleep 30 # let the attack open its connections (and reach a cap below it)
pull_round slowloris
tail -1 "$out/attack.log" >"$out/attack-state.txt"

{
  echo "| run | pulls | failed | p50 ms | p90 ms | max ms |"
  echo "|---|---|---|---|---|---|"
  stats quiet; stats slowloris
  echo; echo "maxConnections $max_connections, headerTimeout $header_timeout, $attack_n attacking connections;"
  echo "attacker at the end: $(cat "$out/attack-state.txt")"
} | tee "$out/result.md"
