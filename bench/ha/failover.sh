#!/usr/bin/env bash
# HA failover time with real daemons.
# Usage: bench/ha/failover.sh [pve|fast|fence|both|all] [runs] [other|master|any] [power|hang]
#   Starts three havend processes per run (temporary directories, loopback ports; with fence, one ipmi_sim BMC per
#   node), kills the guest's node (or, with hang and fence, freezes its daemon and watchdog supervisor) and reports the time from power-off to the guest running on a surviving node.
#   HAVEN_BENCH_NOBUILD=1 skips the maven build and reuses the class path of the last run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bin/haven-env"
cd "$root"
. "$root/bench/it-classpath.sh"
"$JAVA_HOME/bin/javac" -d "$out/classes" -cp "$cp" "$here/HaFailoverBench.java"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "$out/classes:$cp" HaFailoverBench "${1:-both}" "${2:-1}" "${3:-other}" "${4:-power}"
