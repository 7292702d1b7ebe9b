#!/usr/bin/env bash
# run-s3.sh - push and pull throughput (W1, W2 of ../shared/bench/bench.sh) of the harness's
# 1 GiB image on S3 storage: Wharf's S3 driver, Wharf's filesystem driver and Debian's
# docker-registry with its S3 driver, all against the same s3proxy on loopback; then the same
# with a large blob (BIG_MB, default 6144) through Wharf's S3 driver at -Xmx256m.
#
#   bench/run-s3.sh [OUT_DIR]       # needs target/s3proxy/s3proxy.jar: mvn -B package -pl registry-server -am
set -euo pipefail
here=$(cd "$(dirname "$0")/.." && pwd)
harness=${HARNESS:-$here/../shared/bench}
out=$(mkdir -p "${1:-$here/target/bench-s3}" && cd "${1:-$here/target/bench-s3}" && pwd)
jar=$here/registry-server/target/wharf.jar
s3jar=${S3PROXY_JAR:-$here/registry-server/target/s3proxy/s3proxy.jar}
export BENCH_DATA=${BENCH_DATA:-${TMPDIR:-/tmp}/wharf-bench}
key=wharf secret=wharf-bench-secret s3port=${S3_PORT:-19000} port=${WHARF_PORT:-5000}
work=$(mktemp -d "${TMPDIR:-/tmp}/wharf-s3.XXXXXX")
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
wait_http() { for _ in $(seq 1 120); do curl -s -o /dev/null "$1" && return 0; sleep 0.5; done; echo "nothing answers at $1" >&2; return 1; }

mkdir -p "$work/s3/blobs/registry"
cat >"$work/s3proxy.conf" <<CONF
s3proxy.endpoint=http://127.0.0.1:$s3port
s3proxy.authorization=aws-v2-or-v4
s3proxy.identity=$key
s3proxy.credential=$secret
s3proxy.ignore-unknown-headers=true
jclouds.provider=filesystem-nio2
jclouds.identity=local
jclouds.credential=local
jclouds.filesystem.basedir=$work/s3/blobs
CONF
java -Xmx512m -jar "$s3jar" --properties "$work/s3proxy.conf" >"$work/s3proxy.log" 2>&1 &
pids+=($!); wait_http "http://127.0.0.1:$s3port/"

run_wharf() { # run_wharf LABEL HEAP STORE-YAML [bench args...]
  local label=$1 heap=$2 store=$3; shift 3
  printf 'server: {bind: 127.0.0.1, port: %s}\nblobStores:\n  default: %s\nrepositories: [{name: hosted}]\n' \
    "$port" "$store" >"$work/$label.yaml"
  java "$heap" -jar "$jar" serve --config "$work/$label.yaml" >"$work/$label.out" 2>"$work/$label.log" &
  local pid=$!; pids+=("$pid"); wait_http "http://127.0.0.1:$port/v2/"
  "$harness/bench.sh" --url "http://127.0.0.1:$port" --pid "$pid" --label "$label" --out "$out/$label.json" "$@" || true
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
s3store="{type: s3, bucket: registry, prefix: PREFIX, region: us-east-1, endpoint: 'http://127.0.0.1:$s3port', pathStyle: true, accessKey: $key, secretKey: $secret}"

run_wharf wharf-s3 -Xmx128m "${s3store/PREFIX/wharf-1g}" --only W1,W2
run_wharf wharf-fs -Xmx128m "{type: file, path: $work/fs}" --only W1,W2

cat >"$work/distribution.yml" <<YML
version: 0.1
log: {level: warn, accesslog: {disabled: true}}
storage:
  s3: {accesskey: $key, secretkey: $secret, region: us-east-1, regionendpoint: "http://127.0.0.1:$s3port",
       bucket: registry, rootdirectory: /distribution, secure: false, v4auth: true}
  redirect: {disable: true}
  maintenance: {uploadpurging: {enabled: false}}
http: {addr: "127.0.0.1:$port", secret: bench}
YML
# distribution 2.8 panics when AWS_CA_BUNDLE is set and it does not build its own transport
env -u AWS_CA_BUNDLE /usr/bin/docker-registry serve "$work/distribution.yml" >"$work/distribution.log" 2>&1 &
dpid=$!; pids+=("$dpid"); wait_http "http://127.0.0.1:$port/v2/"
"$harness/bench.sh" --url "http://127.0.0.1:$port" --pid "$dpid" --label distribution-s3 --out "$out/distribution-s3.json" --only W1,W2 || true
kill "$dpid"; wait "$dpid" 2>/dev/null || true

python3 "$harness/benchutil.py" compare "$out/distribution-s3.json" "$out/wharf-s3.json" | tee "$out/compare-s3.txt"
python3 "$harness/benchutil.py" compare "$out/wharf-fs.json" "$out/wharf-s3.json" | tee "$out/compare-s3-vs-fs.txt"

# a blob over 5 GiB through the S3 driver, the server at -Xmx256m
(export REPS=1 BIG_MB=${BIG_MB_LARGE:-6144} SKOPEO_TIMEOUT=1800
 run_wharf wharf-s3-large -Xmx256m "${s3store/PREFIX/wharf-large}" --only W1,W2)
python3 "$harness/benchutil.py" compare "$out/wharf-s3.json" "$out/wharf-s3-large.json" | tee "$out/compare-large.txt"
