#!/usr/bin/env bash
# Write throughput and latency of the replicated cfs (Apache Ratis, 3 nodes on loopback) next to an
# etcd 3.4 cluster (3 members on loopback) under the same load, plus node-count and store-size scaling.
# Usage: bench/cfs/run.sh            (CLIENTS=16 OPS=20000 SIZE=1024 PRELOAD=20000 by default)
set -euo pipefail
cd "$(dirname "$0")/../.."
. bin/haven-env
CLIENTS=${CLIENTS:-16}
OPS=${OPS:-20000}
SIZE=${SIZE:-1024}
PRELOAD=${PRELOAD:-20000}
command -v etcd >/dev/null || { echo "etcd is missing: apt-get install --no-install-recommends etcd-server" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl is missing" >&2; exit 1; }

work=$(mktemp -d /tmp/cfs-bench.XXXXXX)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$work"
}
trap cleanup EXIT

mvn -B -q -ntp -pl haven-cfs -am install -DskipTests
mvn -B -q -ntp -pl haven-cfs dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/cp.txt" >/dev/null
CP="haven-cfs/target/classes:haven-cfs/target/test-classes:$(cat "$work/cp.txt")"
bench() { java --enable-native-access=ALL-UNNAMED --sun-misc-unsafe-memory-access=allow -Xms3g -Xmx3g -cp "$CP" org.haven.cfs.bench.CfsBench "$@"; }

# etcd: three members on loopback
cluster=""
for i in 1 2 3; do cluster="$cluster${cluster:+,}e$i=http://127.0.0.1:2380$i"; done
for i in 1 2 3; do
  etcd --name "e$i" --data-dir "$work/e$i" \
    --listen-client-urls "http://127.0.0.1:2379$i" --advertise-client-urls "http://127.0.0.1:2379$i" \
    --listen-peer-urls "http://127.0.0.1:2380$i" --initial-advertise-peer-urls "http://127.0.0.1:2380$i" \
    --initial-cluster "$cluster" --initial-cluster-state new --initial-cluster-token cfs-bench \
    --log-level error >"$work/e$i.log" 2>&1 &
  pids+=($!)
done
for _ in $(seq 1 100); do
  curl -sf http://127.0.0.1:23791/health | grep -q true && break
  sleep 0.2
done
eps="http://127.0.0.1:23791,http://127.0.0.1:23792,http://127.0.0.1:23793"

echo "== 1 KiB config writes, $CLIENTS clients spread over the nodes, $OPS writes"
bench etcd --endpoints "$eps" --clients "$CLIENTS" --ops "$OPS" --size "$SIZE"
bench haven --nodes 3 --clients "$CLIENTS" --ops "$OPS" --size "$SIZE"
echo "== node-count scaling (haven)"
for n in 1 5; do bench haven --nodes "$n" --clients "$CLIENTS" --ops "$OPS" --size "$SIZE"; done
echo "== store-size scaling: $PRELOAD configs already stored"
bench etcd --endpoints "$eps" --clients "$CLIENTS" --ops "$OPS" --size "$SIZE" --preload "$PRELOAD"
bench haven --nodes 3 --clients "$CLIENTS" --ops "$OPS" --size "$SIZE" --preload "$PRELOAD"
