#!/usr/bin/env bash
# run-search.sh - the search/browse benchmark (issue 15, item 5): writes 100,000 tags in 10,000
# images with gen-search.py (unless DATA already holds them), serves them with wharf.jar, and
# measures with search-latency.py.
#
#   bench/run-search.sh [DATA_DIR]        # default: ${TMPDIR:-/tmp}/wharf-search
#
# Knobs: IMAGES (10000), TAGS (10), WHARF_HEAP (-Xmx512m), WHARF_PORT (5000).
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
data=${1:-${TMPDIR:-/tmp}/wharf-search}
images=${IMAGES:-10000} tags=${TAGS:-10}
port=${WHARF_PORT:-5000} heap=${WHARF_HEAP:--Xmx512m}
jar=$here/registry-server/target/wharf.jar
[ -f "$jar" ] || { echo "no $jar: run mvn -B -DskipTests package" >&2; exit 2; }
if [ ! -d "$data/docker/registry/v2/repositories" ]; then
  "$here/bench/gen-search.py" --data "$data" --images "$images" --tags "$tags"
fi
jvm_options=$(grep -v '^#' "$here/jvm.options")
log=$(mktemp "${TMPDIR:-/tmp}/wharf-search.XXXXXX.log")
java $jvm_options $heap -jar "$jar" serve --bind 127.0.0.1 --port "$port" --data "$data" >"$log" 2>&1 &
pid=$!
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do [ "$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/v2/")" = 200 ] && break; sleep 0.5; done
repo=$(curl -s "http://127.0.0.1:$port/service/rest/v1/repositories" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["name"])')
"$here/bench/search-latency.py" --url "http://127.0.0.1:$port" --repo "$repo" --images "$images" --tags "$tags"
echo "server RSS: $(ps -o rss= -p $pid | awk '{printf "%.0f MiB", $1/1024}')"
