#!/usr/bin/env bash
# Live migration: downtime and total time against QEMU driven by hand, mirror throughput against qemu-img convert
# over NBD. Usage: bench/migration/run.sh [rounds] [disk MiB]   (defaults 6 and 1024)
#   HAVEN_BENCH_NOBUILD=1 skips the maven build and reuses the class path of the last run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bin/haven-env"
cd "$root"
for t in qemu-system-x86_64 qemu-img qemu-io qemu-nbd; do
  command -v $t >/dev/null || { echo "$t is missing (qemu-system-x86, qemu-utils)" >&2; exit 1; }
done
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
"$JAVA_HOME/bin/javac" -d "$out/classes" -cp "$cp" "$here/MigrationBench.java"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "$out/classes:$cp" MigrationBench "${1:-6}" "${2:-1024}"
