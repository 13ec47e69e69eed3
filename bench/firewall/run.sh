#!/usr/bin/env bash
# Firewall benchmark: compile time and nft load time. Usage: bench/firewall/run.sh [guests] [rules per guest] [runs]
# Needs root (nft runs in a network namespace the benchmark creates and removes).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
. "$root/bin/haven-env"
cd "$root"
# one reactor build: the last module written is haven-firewall, whose class path then names the siblings' jars
mvn -B -ntp -q -o -pl haven-firewall -am package dependency:build-classpath -DskipTests \
  -Dmdep.outputFile="$root/haven-firewall/target/bench.classpath"
cp="haven-firewall/target/classes:$(cat haven-firewall/target/bench.classpath)"
java -cp "$cp" "$here/FirewallBench.java" "${1:-1000}" "${2:-20}" "${3:-5}"
