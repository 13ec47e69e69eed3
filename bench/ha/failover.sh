#!/usr/bin/env bash
# HA failover time with real daemons. Usage: bench/ha/failover.sh [pve|fast|both] [runs] [other|master|any]
#   Starts three havend processes per run (temporary directories, loopback ports), kills the guest's node
#   and reports the time from power-off to the guest running on a surviving node.
#   HAVEN_BENCH_NOBUILD=1 skips the maven build of haven-it and its dependencies.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bin/haven-env"
cd "$root"
if [ "${HAVEN_BENCH_NOBUILD:-0}" != 1 ]; then
  mvn -B -ntp -q -pl haven-it -am install -DskipTests
fi
out="$here/target"
mkdir -p "$out/classes"
mvn -B -ntp -q -pl haven-it dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$out/classpath"
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
  -cp "$out/classes:$cp" HaFailoverBench "${1:-both}" "${2:-1}" "${3:-other}"
