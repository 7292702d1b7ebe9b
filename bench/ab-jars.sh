#!/usr/bin/env bash
# ab-jars.sh - W3 (manifest GET) and W5 (4 KiB blob GET) of one wharf jar, to compare two builds
# in the same minutes: a fresh server (jvm.options, -Xmx128m, empty data), one small image pushed
# with curl, then W3_REPS (5) x 10 s of wrk on the manifest and W5_REPS (2) x 10 s on the blob
# (the first reps run before C2 has compiled the path: compare the last ones). Needs wrk.
#   bench/ab-jars.sh JAR [PORT] [EXTRA_SERVE_ARGS]
set -euo pipefail
jar=$1; port=${2:-5100}; extra=${3:-}
d=$(mktemp -d)
opts=$(grep -v '^#' "$(cd "$(dirname "$0")/.." && pwd)/jvm.options")
java $opts -Xmx128m -jar "$jar" serve --bind 127.0.0.1 --port $port --data $d/data $extra >$d/log 2>&1 &
pid=$!
for i in $(seq 1 60); do curl -s -o /dev/null http://127.0.0.1:$port/v2/ && break; sleep 0.5; done
cfg='{}'; cd=sha256:$(printf '%s' "$cfg" | sha256sum | cut -d' ' -f1)
curl -s -o /dev/null -X POST --data-binary "$cfg" -H 'Content-Type: application/octet-stream' "http://127.0.0.1:$port/v2/ab/app/blobs/uploads/?digest=$cd"
head -c 4096 /dev/urandom > $d/layer; ld=sha256:$(sha256sum $d/layer | cut -d' ' -f1)
curl -s -o /dev/null -X POST --data-binary @$d/layer -H 'Content-Type: application/octet-stream' "http://127.0.0.1:$port/v2/ab/app/blobs/uploads/?digest=$ld"
m='{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"'$cd'","size":2},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"'$ld'","size":4096}]}'
curl -s -o /dev/null -w "put %{http_code}\n" -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' --data-binary "$m" http://127.0.0.1:$port/v2/ab/app/manifests/1.0
for r in $(seq 1 ${W3_REPS:-5}); do
  wrk -t2 -c32 -d10s -H 'Accept: application/vnd.oci.image.manifest.v1+json' http://127.0.0.1:$port/v2/ab/app/manifests/1.0 | awk '/Requests\/sec/{printf "W3 rep %s: %s req/s\n", "'$r'", $2}'
done
for r in $(seq 1 ${W5_REPS:-2}); do
  wrk -t2 -c32 -d10s http://127.0.0.1:$port/v2/ab/app/blobs/$ld | awk '/Requests\/sec/{printf "W5 rep %s: %s req/s\n", "'$r'", $2}'
done
echo "server cpu: $(ps -o times= -p $pid) s"
kill $pid; wait $pid 2>/dev/null || true; rm -rf $d
