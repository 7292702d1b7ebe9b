#!/usr/bin/env bash
# events-push.sh - what events cost a push: W4 (small-image pushes, ../shared/bench/bench.sh)
# against three Wharf servers on empty data, in alternating rounds:
#   off      events.audit.enabled: false, no endpoint: no event is written
#   audit    the default: each push, delete and mount recorded in the audit trail
#   hanging  the default plus a webhook endpoint whose receiver accepts and never answers
#            (timeout 60s): the deliveries wait, pushes must not
#
#   bench/events-push.sh [ROUNDS] [OUT_DIR]      # default 2 rounds, target/bench-events
# Needs the jar (mvn -B -DskipTests package) and the harness's tools (install-tools.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
harness=${HARNESS:-$here/../shared/bench}
rounds=${1:-2}
out=$(mkdir -p "${2:-$here/target/bench-events}" && cd "${2:-$here/target/bench-events}" && pwd)
jar=$here/registry-server/target/wharf.jar
jvm_options=$(grep -v '^#' "$here/jvm.options")
port=${WHARF_PORT:-5000} hook_port=${HOOK_PORT:-15080}
export BENCH_DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/wharf-bench}
[ -f "$jar" ] || { echo "no $jar: run mvn -B -DskipTests package" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-events-bench.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_up() { for _ in $(seq 1 60); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/")" = 200 ] && return 0; sleep 0.5; done; echo "nothing answers on :$1" >&2; return 1; }

# a receiver that reads each request and never answers
python3 - "$hook_port" <<'PY' &
import socket, sys, threading
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", int(sys.argv[1]))); s.listen(128)
held = []
while True:
    c, _ = s.accept(); held.append(c)
    threading.Thread(target=lambda c=c: c.recv(65536), daemon=True).start()
PY
pids+=($!)

cat >"$work/off.yaml" <<YML
events: {audit: {enabled: false}}
YML
cat >"$work/audit.yaml" <<YML
events: {audit: {enabled: true}}
YML
cat >"$work/hanging.yaml" <<YML
events:
  endpoints: [{name: hanging, url: "http://127.0.0.1:$hook_port/hook", timeout: 60s}]
YML

for round in $(seq 1 "$rounds"); do
  for mode in off audit hanging; do
    rm -rf "$work/data"; sync; sleep "${QUIET:-10}"
    java $jvm_options -Xmx128m -jar "$jar" serve --config "$work/$mode.yaml" --bind 127.0.0.1 --port "$port" \
      --data "$work/data" >"$work/$mode.out" 2>"$work/$mode.log" &
    pid=$!; pids+=("$pid"); wait_up "$port"
    "$harness/bench.sh" --url "http://127.0.0.1:$port" --pid "$pid" --only W4 --label "wharf-events-$mode" \
      --out "$out/$mode-$round.json" || true
    kill "$pid"; wait "$pid" 2>/dev/null || true
  done
done
python3 - "$out" <<'PY'
import json, sys, glob, os, statistics
out = sys.argv[1]
print("| mode | W4 images/s, each round | median | W4 server CPU s, each round |")
print("|---|---|---|---|")
for mode in ("off", "audit", "hanging"):
    rate, cpu = [], []
    for f in sorted(glob.glob(os.path.join(out, mode + "-*.json"))):
        m = json.load(open(f)).get("metrics", {})
        rate.append(m.get("W4.push_images_per_s", {}).get("median"))
        cpu.append(m.get("W4.server_cpu_s", {}).get("median"))
    nums = [v for v in rate if isinstance(v, (int, float))]
    print(f"| {mode} | {', '.join(str(v) for v in rate)} | {statistics.median(nums) if nums else '-'} | {', '.join(str(v) for v in cpu)} |")
PY
