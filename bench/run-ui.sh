#!/usr/bin/env bash
# run-ui.sh - the web UI's page times (issue 16) at 10,000 tags in one image and 100,000 overall:
# writes the data with gen-search.py (9,000 images of 10 tags, and big/org00/app00000 with 10,000),
# serves it with wharf.jar (an open server: every page, no login) and measures with ui-latency.py.
#
#   bench/run-ui.sh [DATA_DIR]        # default: ${TMPDIR:-/tmp}/wharf-ui
#
# Knobs: WHARF_HEAP (-Xmx512m), WHARF_PORT (5000), N (30 requests per page).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-${TMPDIR:-/tmp}/wharf-ui}
port=${WHARF_PORT:-5000} heap=${WHARF_HEAP:--Xmx512m}
jar=$here/registry-server/target/wharf.jar
[ -f "$jar" ] || { echo "no $jar: run mvn -B -DskipTests package" >&2; exit 2; }
if [ ! -d "$data/docker/registry/v2/repositories" ]; then
  "$here/bench/gen-search.py" --data "$data" --images 9000 --tags 10
  "$here/bench/gen-search.py" --data "$data" --images 1 --tags 10000 --namespace big
fi
jvm_options=$(grep -v '^#' "$here/jvm.options")
log=$(mktemp "${TMPDIR:-/tmp}/wharf-ui.XXXXXX.log")
java $jvm_options $heap -jar "$jar" serve --bind 127.0.0.1 --port "$port" --data "$data" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 200 ] && break; sleep 0.5; done
repo=$(curl -s "http://127.0.0.1:$port/service/rest/v1/repositories" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')
"$here/bench/ui-latency.py" --url "http://127.0.0.1:$port" --repo "$repo" --n "${N:-30}"
echo "server RSS: $(ps -o rss= -p $pid | awk '{printf "%.0f MiB", $1/1024}')"
