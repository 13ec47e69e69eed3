#!/usr/bin/env bash
# Firewall throughput, off vs on. Usage: bench/firewall/throughput.sh [seconds] [runs] [rules per guest]
# Needs root (network namespaces the benchmark creates and removes) and iperf3 (installed when missing).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bin/haven-env"
. "$root/bin/haven-packages"
haven_install_packages iperf3
cd "$root"
mvn -B -ntp -q -o -pl haven-firewall -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile="$root/haven-firewall/target/bench.classpath"
cp="haven-firewall/target/classes:$(cat haven-firewall/target/bench.classpath)"
java -cp "$cp" "$here/Throughput.java" "${1:-10}" "${2:-3}" "${3:-20}"
