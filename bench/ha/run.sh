#!/usr/bin/env bash
# HA benchmarks. Usage: bench/ha/run.sh [nodes] [services] [rounds] (failover time with real daemons: failover.sh)
#   CRM round cost in the simulator (default 1000 nodes, 10000 services, 50 rounds)
#   and the wall time of the 48 PVE HA regression scenarios.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bin/haven-env"
cd "$root"
if [ ! -s haven-ha/target/ha-tester.classpath ] || ! grep -q haven-cfs haven-ha/target/ha-tester.classpath; then
  mvn -B -ntp -q -pl haven-ha -am install -DskipTests
  mvn -B -ntp -q -pl haven-ha dependency:build-classpath -Dmdep.outputFile="$root/haven-ha/target/ha-tester.classpath"
fi
jar=$(ls haven-ha/target/haven-ha-*.jar | grep -v -- '-tests\|-sources' | head -1)
echo "== CRM round (simulator)"
java -Xmx4g -cp "$jar:$(cat haven-ha/target/ha-tester.classpath)" org.haven.ha.sim.CrmRoundBench "${1:-1000}" "${2:-10000}" "${3:-50}"
if [ -d "$root/../shared/conformance/ha" ]; then
  echo "== PVE HA scenarios"
  start=$(date +%s.%N)
  python3 "$root/../shared/conformance/ha/run" "$root" | tail -2
  echo "wall time: $(echo "$(date +%s.%N) - $start" | bc) s"
fi
