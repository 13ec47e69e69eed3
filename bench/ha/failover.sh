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
out="$here/target"
mkdir -p "$out/classes"
if [ "${HAVEN_BENCH_NOBUILD:-0}" != 1 ] || [ ! -f "$out/classpath" ]; then
  # one reactor build: haven-it's class path names the modules' own jars, nothing is installed into ~/.m2
  mvn -B -ntp -q -pl haven-it -am package dependency:build-classpath -DskipTests -Djacoco.skip=true \
    -Dmdep.includeScope=test -Dmdep.outputFile="$out/classpath"
fi
# run from private copies: a jar replaced in ~/.m2 by a concurrent build must not break the running daemons
rm -rf "$out/lib"; mkdir -p "$out/lib"
cp -r "$root/haven-it/target/test-classes" "$out/lib/it-test-classes"
cp=""
i=0
for e in $(tr ':' ' ' < "$out/classpath"); do
  i=$((i + 1))
  copy="$out/lib/$i-$(basename "$e")"
  cp -r "$e" "$copy"
  cp="$cp:$copy"
done
cp="$out/lib/it-test-classes$cp"
"$JAVA_HOME/bin/javac" -d "$out/classes" -cp "$cp" "$here/HaFailoverBench.java"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "$out/classes:$cp" HaFailoverBench "${1:-both}" "${2:-1}" "${3:-other}" "${4:-power}"
