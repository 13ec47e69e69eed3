#!/usr/bin/env bash
# Storage benchmark: Haven's storage layer (StorageManager + plugins) next to the bare tools doing the same work
# (qemu-img, btrfs subvolume/snapshot/send/receive, lvcreate) on a dir storage and on loop devices.
# Usage (as root): bench/storage/run.sh [COUNT=50] [TRANSFER_MIB=256]
set -euo pipefail
cd "$(dirname "$0")/../.."
. bin/haven-env
[ "$(id -u)" = 0 ] || { echo "run as root (loop devices, mounts, LVM)" >&2; exit 1; }
work=$(mktemp -d /tmp/storage-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
mvn -B -q -ntp -pl haven-storage -am install -DskipTests
mvn -B -q -ntp -pl haven-storage test-compile
mvn -B -q -ntp -pl haven-storage dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null
CP="haven-storage/target/classes:haven-storage/target/test-classes:$(cat "$work/cp.txt")"
java --enable-native-access=ALL-UNNAMED -cp "$CP" org.haven.storage.bench.StorageBench "${1:-50}" "${2:-256}"
