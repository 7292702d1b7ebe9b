#!/bin/sh
# The test kit's start-up: the first TestRegistry.start() in a fresh JVM (what the first test class
# of a build pays) and warm starts after it (what every later test pays). Each of RUNS fresh JVMs
# prints one line (FirstStartProbe): wall ms, process CPU ms and classes loaded for the first start,
# and the median of WARM later starts. Logging: the kit's test logback-test.xml (Jetty at WARN), as
# in a user's build; LOGGING=none runs without a backend (slf4j's no-op) to show what logging costs.
#
#   bench/testkit-startup.sh [RUNS] [WARM]        (defaults 10 and 50)
set -eu
RUNS=${1:-10}
WARM=${2:-50}
cd "$(dirname "$0")/../registry-testkit"
mvn -B -ntp -q -o test-compile dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test-classpath.txt >/dev/null
CP="target/test-classes:target/classes:$(cat target/test-classpath.txt)"
if [ "${LOGGING:-logback}" = none ]; then
  CP=$(echo "$CP" | tr ':' '\n' | grep -v logback | paste -sd: -)
fi
echo "# $(date -u +%FT%TZ) $(nproc) cores, $(java -version 2>&1 | head -1), load: $(cut -d' ' -f1-3 /proc/loadavg), logging: ${LOGGING:-logback}"
i=0
while [ "$i" -lt "$RUNS" ]; do
  java -cp "$CP" io.wharf.testkit.bench.FirstStartProbe --warm "$WARM" 2>/dev/null | grep '^first_ms='
  i=$((i + 1))
done
echo "# load at end: $(cut -d' ' -f1-3 /proc/loadavg)"
