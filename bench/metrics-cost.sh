#!/usr/bin/env bash
# metrics-cost.sh - the cost of the Prometheus metrics on small GETs: W3 of ../shared/bench/bench.sh
# (32 connections, GET and HEAD of a small manifest) against Wharf with management.metrics.enabled
# true and false, alternating (ROUNDS x on, off) so that load from elsewhere on the machine falls on
# both. Each server: the launcher's jvm.options, -Xmx128m, empty file store, the default access log.
#
#   bench/metrics-cost.sh [OUT_DIR]      # default OUT_DIR: target/bench-metrics; knobs: ROUNDS=2 REPS=2 RATE_SECS=10
#
# Prints the median GET and HEAD rates and p99 per setting, and the cost (1 - off/on ...).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
harness=${HARNESS:-$here/../shared/bench}
out=$(mkdir -p "${1:-$here/target/bench-metrics}" && cd "${1:-$here/target/bench-metrics}" && pwd)
jar=$here/registry-server/target/wharf.jar
jvm_options=$(grep -v '^#' "$here/jvm.options")
port=${WHARF_PORT:-5000}
export REPS=${REPS:-2} BENCH_DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/wharf-bench}
[ -f "$jar" ] || { echo "no $jar: run mvn -B -DskipTests package" >&2; exit 2; }
[ -x "$harness/bench.sh" ] || { echo "no $harness/bench.sh: set HARNESS to the harness directory" >&2; exit 2; }
pid=
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-metrics-cost.XXXXXX")
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_up() { for _ in $(seq 1 60); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 200 ] && return 0; sleep 0.5; done; echo "nothing answers on :$port" >&2; return 1; }
for round in $(seq 1 "${ROUNDS:-2}"); do
  for mode in on off; do
    rm -rf "$work/data"; mkdir -p "$work/data"
    enabled=$([ "$mode" = on ] && echo true || echo false)
    printf 'server: {bind: 127.0.0.1, port: %s}\nblobStores: {default: {type: file, path: %s}}\nmanagement: {metrics: {enabled: %s}}\n' \
      "$port" "$work/data" "$enabled" >"$work/wharf.yaml"
    java $jvm_options -Xmx128m -jar "$jar" serve --config "$work/wharf.yaml" >"$work/out.log" 2>&1 &
    pid=$!; wait_up
    [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/metrics")" = "$([ "$mode" = on ] && echo 200 || echo 404)" ] \
      || { echo "metrics $mode: /metrics answers otherwise" >&2; exit 1; }
    echo "== round $round, metrics $mode, load $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$out/load.txt"
    "$harness/bench.sh" --url "http://127.0.0.1:$port" --pid "$pid" --only W3 --label "metrics-$mode-$round" \
      --out "$out/$mode-$round.json" >"$out/$mode-$round.txt" 2>&1 || echo "bench.sh failed, see $out/$mode-$round.txt" >&2
    kill "$pid"; wait "$pid" 2>/dev/null || true; pid=
  done
done
python3 - "$out" <<'PY'
import glob, json, statistics, sys
out = sys.argv[1]
keys = ["W3.get_rps", "W3.head_rps", "W3.get_p99_ms", "W3.head_p99_ms"]
vals = {m: {k: [] for k in keys} for m in ("on", "off")}
for f in sorted(glob.glob(out + "/*-*.json")):
    mode = f.rsplit("/", 1)[1].split("-")[0]
    for k in keys:
        for v in json.load(open(f))["metrics"].get(k, {}).get("values", []):
            vals[mode][k].append(v)
print("%-16s %12s %12s %8s" % ("", "metrics on", "metrics off", "on/off"))
for k in keys:
    on, off = vals["on"][k], vals["off"][k]
    if on and off:
        a, b = statistics.median(on), statistics.median(off)
        print("%-16s %12.1f %12.1f %8.3f   (on %s, off %s)" % (k, a, b, a / b, on, off))
PY
