#!/bin/sh
# The test kit's start-up: the first TestRegistry.start() in a fresh JVM (what the first test class
# of a build pays) and warm starts after it (what every later test pays). Each of RUNS fresh JVMs
# prints one line (FirstStartProbe): wall ms, process CPU ms, the starting thread's CPU ms and
# classes loaded for the first start, and the median of WARM later starts; a last line has the
# medians over the RUNS JVMs. Logging:
# the kit's test logback-test.xml (Jetty at WARN), as in a user's build; LOGGING=none runs without
# a backend (slf4j's no-op) to show what logging costs.
#
#   bench/testkit-startup.sh [RUNS] [WARM]        (defaults 10 and 50)
set -eu
RUNS=${1:-10}
WARM=${2:-50}
cd "$(dirname "$0")/.."
# -am: the classpath then has this checkout's modules (their target/classes), not the copies in ~/.m2
mvn -B -ntp -q -o -pl registry-testkit -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt >/dev/null
cd registry-testkit
CP="target/test-classes:target/classes:$(cat target/test-classpath.txt)"
if [ "${LOGGING:-logback}" = none ]; then
  CP=$(echo "$CP" | tr ':' '\n' | grep -v logback | paste -sd: -)
fi
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(java -version 2>&1 | head -1), load: $(cut -d' ' -f1-3 /proc/loadavg), logging: ${LOGGING:-logback}"
LINES=$(mktemp)
trap 'rm -f "$LINES"' EXIT
i=0
while [ "$i" -lt "$RUNS" ]; do
  java -cp "$CP" io.wharf.testkit.bench.FirstStartProbe --warm "$WARM" 2>/dev/null | grep '^first_ms=' | tee -a "$LINES"
  i=$((i + 1))
done
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
# the median of each column over the fresh JVMs
for key in first_ms first_cpu_ms first_main_cpu_ms first_classes warm_median_ms; do
  printf '%s ' "median_$key=$(sed -n "s/.*$key=\([0-9][0-9.]*\).*/\1/p" "$LINES" | sort -n \
    | awk '{v[NR] = $1} END {print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2}')"
done
echo
