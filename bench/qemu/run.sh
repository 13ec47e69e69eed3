#!/usr/bin/env bash
# VM start benchmark: a fresh embedded node; API start -> QMP 'running' against the same command line
# started by hand, then N VMs started in parallel. Usage: bench/qemu/run.sh [ROUNDS] [PARALLEL]
set -euo pipefail
cd "$(dirname "$0")/../.."
export ROUNDS=${1:-5} PARALLEL=${2:-20}
[ -f haven-node/target/haven-node.jar ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
command -v qemu-system-x86_64 >/dev/null || { echo "qemu-system-x86 is missing" >&2; exit 1; }
data=$(mktemp -d /tmp/haven-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bin/havend --data-dir "$data" --node bench --port "$port" --bind 127.0.0.1 --foreground > "$data/havend.out" 2>&1 &
pid=$!
cleanup() {
  for p in "$data"/run/qemu-server/*.pid; do [ -f "$p" ] && kill -9 "$(cat "$p")" 2>/dev/null || true; done
  kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 1 120); do [ -S "$data/run/haven.sock" ] && break; sleep 0.5; done
sleep 1
url="https://127.0.0.1:$port/api2/json"
login=$(curl -sk --data-urlencode "username=admin@pve" --data-urlencode "password=$(cat "$data/admin-password")" "$url/access/ticket")
ticket=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["ticket"])')
csrf=$(echo "$login" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"]["CSRFPreventionToken"])')
echo "cores: $(nproc), kvm: $([ -w /dev/kvm ] && echo yes || echo no)"
python3 bench/qemu/bench.py "$url" "$ticket" "$csrf" bench "$data/run"
