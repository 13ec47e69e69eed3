#!/usr/bin/env bash
# API benchmark: wrk over HTTPS against GET /version and GET /cluster/resources of a fresh embedded node,
# plus the daemon's idle RSS. Usage: bench/api/run.sh [DURATION_SECONDS] [CONNECTIONS]
set -euo pipefail
cd "$(dirname "$0")/../.."
dur=${1:-10}
conns=${2:-32}
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 1; }
[ -f haven-node/target/haven-node.jar ] || { echo "build first: mvn -DskipTests install" >&2; exit 1; }
data=$(mktemp -d /tmp/haven-bench.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bin/havend --data-dir "$data" --node bench --port "$port" --bind 127.0.0.1 --foreground > "$data/havend.out" 2>&1 &
pid=$!
cleanup() { kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"; }
trap cleanup EXIT
for _ in $(seq 1 120); do [ -S "$data/run/haven.sock" ] && break; sleep 0.5; done
sleep 1
jpid=$(cat "$data/run/havend.pid")
url="https://127.0.0.1:$port/api2/json"
ticket=$(curl -sk --data-urlencode "username=admin@pve" --data-urlencode "password=$(cat "$data/admin-password")" "$url/access/ticket" |
  python3 -c 'import json,sys,urllib.parse; print(urllib.parse.quote(json.load(sys.stdin)["data"]["ticket"], safe=""))')
rss() { awk '/VmRSS/ {print int($2/1024) " MB"}' "/proc/$jpid/status"; }
echo "idle RSS after start: $(rss)"
echo "cores: $(nproc), wrk -t2 -c$conns -d${dur}s"
curl -sk -o /dev/null -H "Cookie: PVEAuthCookie=$ticket" "$url/version"
# warm-up
wrk -t2 -c"$conns" -d3s -H "Cookie: PVEAuthCookie=$ticket" "$url/version" >/dev/null
for path in /version /cluster/resources; do
  echo "== GET $path"
  wrk -t2 -c"$conns" -d"${dur}s" --latency -H "Cookie: PVEAuthCookie=$ticket" "$url$path" | grep -E "Requests/sec|Latency|50%|99%|Non-2xx|Socket errors"
done
sleep 5
echo "RSS after load and 5 s idle: $(rss)"
