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
. "$root/bench/it-classpath.sh"
"$JAVA_HOME/bin/javac" -d "$out/classes" -cp "$cp" "$here/MigrationBench.java"
exec "$JAVA_HOME/bin/java" --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow \
  -cp "$out/classes:$cp" MigrationBench "${1:-6}" "${2:-1024}"
