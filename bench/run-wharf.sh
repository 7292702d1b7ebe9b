#!/usr/bin/env bash
# run-wharf.sh - the side-by-side benchmark of Wharf, with ../shared/bench/bench.sh (the harness
# the reference numbers in ../shared/bench/results/ were taken with).
#
#   bench/run-wharf.sh [OUT_DIR]         # default OUT_DIR: target/bench
#
# 0. sync and a minute's pause (see below; QUIET_START), and another between the halves (QUIET_BETWEEN).
# 1. W1-W6 against a Wharf hosted repository (java <jvm.options> -Xmx128m -jar wharf.jar serve,
#    empty data dir).
# 2. W7 against a Wharf proxy repository (-Xmx128m, empty cache) of a Debian docker-registry
#    upstream whose access log counts the upstream GETs, as run-anchor.sh does for distribution.
# Then prints the comparison with the anchor numbers. Needs: install-tools.sh from the harness,
# and the jar (mvn -B -DskipTests package). Knobs of bench.sh (REPS, BIG_MB, ...) pass through.
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
harness=${HARNESS:-$here/../shared/bench}
out=$(mkdir -p "${1:-$here/target/bench}" && cd "${1:-$here/target/bench}" && pwd)
jar=$here/registry-server/target/wharf.jar
heap=${WHARF_HEAP:--Xmx128m}
jvm_options=$(grep -v '^#' "$here/jvm.options") # the launcher's options, as ./wharf uses them
port=${WHARF_PORT:-5000} up_port=${UP_PORT:-15000} px_port=${PX_PORT:-15001}
export BENCH_DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/wharf-bench}
[ -f "$jar" ] || { echo "no $jar: run mvn -B -DskipTests package" >&2; exit 2; }
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-bench-run.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_up() { for _ in $(seq 1 60); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$1/v2/")" = 200 ] && return 0; sleep 0.5; done; echo "nothing answers on :$1" >&2; return 1; }

# On ext4 without a journal, files deleted in the last minute (a previous run's cleanup, a
# build) slow every file creation in their block group; W4 creates thousands. Write them out
# and let that minute pass first (QUIET_START=0 skips the wait).
sync; sleep "${QUIET_START:-60}"

# --- W1-W6: hosted (PARTS=proxy skips it; PARTS=hosted skips W7)
parts=${PARTS:-hosted,proxy}
if [[ ",$parts," == *,hosted,* ]]; then
java $jvm_options $heap -jar "$jar" serve --bind 127.0.0.1 --port "$port" --data "$work/hosted" >"$work/hosted.out" 2>"$work/hosted.log" &
hosted_pid=$!; pids+=("$hosted_pid"); wait_up "$port"
"$harness/bench.sh" --url "http://127.0.0.1:$port" --pid "$hosted_pid" --label wharf-hosted --out "$out/wharf.json" || true
kill "$hosted_pid"; wait "$hosted_pid" 2>/dev/null || true
python3 "$harness/benchutil.py" compare "$harness/results/distribution.json" "$out/wharf.json" | tee "$out/compare-hosted.txt"
python3 "$harness/benchutil.py" compare "$harness/results/nginx-baseline.json" "$out/wharf.json" | tee "$out/compare-nginx.txt"
fi
[[ ",$parts," == *,proxy,* ]] || exit 0
# The hosted half's store (over 3 GiB) is of no further use: delete it, so that its pages leave
# the page cache, and let its dirty pages reach the disk. Otherwise the proxy half runs with the
# machine's free memory used up and pays for page reclaim on every write (a full run measured
# cold pulls of 160-178 MB/s and 14.9 s of proxy CPU, against 279 MB/s and 9.6 s in a proxy-only
# run). The anchor's W7 ran against the same registry that served W1-W6, holding the data once.
# Then a minute's quiet (QUIET_BETWEEN seconds): the disk is mounted with discard, and with 10 s
# the third cold pull of two full runs ran at 168-179 MB/s, which no proxy-only run ever did.
if [[ ",$parts," == *,hosted,* ]]; then rm -rf "$work/hosted"; sync; sleep "${QUIET_BETWEEN:-60}"; fi

# --- W7: proxy of a distribution upstream
mkdir -p "$work/upstream"
cat >"$work/upstream.yml" <<YML
version: 0.1
log: {level: warn, formatter: text, accesslog: {disabled: false}}
storage: {filesystem: {rootdirectory: $work/upstream}, delete: {enabled: true}, cache: {blobdescriptor: inmemory}, maintenance: {uploadpurging: {enabled: false}}}
http: {addr: "127.0.0.1:$up_port", secret: bench-not-secret}
YML
/usr/bin/docker-registry serve "$work/upstream.yml" >"$work/upstream.access.log" 2>"$work/upstream.err.log" &
up_pid=$!; pids+=("$up_pid"); wait_up "$up_port"
cat >"$work/proxy.yaml" <<YML
server: {bind: 127.0.0.1, port: $px_port}
blobStores: {default: {type: file, path: $work/proxy-cache}}
repositories:
  - {name: upstream-cache, type: proxy, remoteUrl: "http://127.0.0.1:$up_port"}
YML
java $jvm_options $heap -jar "$jar" serve --config "$work/proxy.yaml" >"$work/proxy.out" 2>"$work/proxy.log" &
px_pid=$!; pids+=("$px_pid"); wait_up "$px_port"
"$harness/bench.sh" --url "http://127.0.0.1:$up_port" --pid "$up_pid" --proxy-url "http://127.0.0.1:$px_port" \
  --proxy-pid "$px_pid" --upstream-log "$work/upstream.access.log" --only W7 --label wharf-proxy \
  --out "$out/wharf-proxy.json" || true

python3 "$harness/benchutil.py" compare "$harness/results/distribution.json" "$out/wharf-proxy.json" | tee "$out/compare-proxy.txt"
