#!/usr/bin/env bash
# Backup benchmark: a fresh embedded node backs up a VM disk and a container to a dir storage with vzdump in each
# compression and restores them (qmrestore, pct restore), next to the bare tools doing the same reading, compressing
# and writing. Usage (as root): bench/backup/run.sh [DISK_GIB=4] [CT_DATA_MIB=512]
set -euo pipefail
cd "$(dirname "$0")/../.."
DISK_GIB=${1:-4} CT_MIB=${2:-512}
[ "$(id -u)" = 0 ] || { echo "run as root (containers, mounts)" >&2; exit 1; }
[ -f haven-node/target/haven-node.jar ] || { echo "build first: mvn -DskipTests package" >&2; exit 1; }
for t in qemu-img zstd gzip lxc-start busybox bc; do command -v $t >/dev/null || { echo "$t is missing" >&2; exit 1; }; done
COMPRESSIONS="0 gzip zstd"
if command -v lzop >/dev/null; then COMPRESSIONS="0 lzo gzip zstd"; else echo "lzop is missing: lzo is left out"; fi
data=$(mktemp -d /tmp/haven-backup-bench.XXXXXX)
export HAVEN_DATA_DIR="$data"
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bin/havend --data-dir "$data" --node bench --port "$port" --bind 127.0.0.1 --foreground > "$data/havend.out" 2>&1 &
pid=$!
cleanup() {
  for v in 900 901 910 911; do bin/qm destroy $v >/dev/null 2>&1 || bin/pct destroy $v >/dev/null 2>&1 || true; done
  kill -TERM $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$data"
}
trap cleanup EXIT
for _ in $(seq 1 120); do [ -S "$data/run/haven.sock" ] && break; sleep 0.5; done
sleep 1

# time CMD...: runs it, prints the seconds it took
secs() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
rate() { printf '%.1f' "$(echo "$1 / 1048576 / $2" | bc -l)"; }
ratio() { printf '%.2f' "$(echo "$1 / $2" | bc -l)"; }
compressor() { case $1 in 0) cat ;; lzo) lzop -c ;; gzip) gzip -c --rsyncable ;; zstd) zstd -q -c --threads=1 ;; esac; }
decompressor() { case $1 in 0) cat ;; lzo) lzop -d -c ;; gzip) gzip -d -c ;; zstd) zstd -q -d -c ;; esac; }
suffix() { case $1 in 0) echo "" ;; lzo) echo .lzo ;; gzip) echo .gz ;; zstd) echo .zst ;; esac; }
row() { printf '%-26s %10s %10s %10s %8s\n' "$@"; }

bin/pvesm add dir bk --path "$data/bk" --content backup --prune-backups keep-all=1 >/dev/null
echo "cores: $(nproc), disk: ${DISK_GIB} GiB, container data: ${CT_MIB} MiB"

# --- a VM disk: mostly data (random, so that compression has work), a tenth zeros ---
bin/qm create 900 --name bench-vm --memory 128 --virtio0 "local:$DISK_GIB,format=raw" >/dev/null
disk=$(bin/pvesm path "$(bin/qm config 900 | sed -n 's/^virtio0: \([^,]*\).*/\1/p')")
total=$((DISK_GIB * 1024))
dd if=/dev/urandom of="$disk" bs=1M count=$((total * 9 / 10)) conv=notrunc status=none
size=$(stat -c %s "$disk")

echo
echo "VM disk backup (vzdump --mode stop) vs bare read+compress of the same disk"
row case haven-MiB/s bare-MiB/s ratio ""
for c in $COMPRESSIONS; do
  h=$(secs bin/vzdump 900 --storage bk --compress $c --mode stop)
  if [ $c = 0 ]; then b=$(secs qemu-img convert -f raw -O raw "$disk" "$data/bare.raw"); else b=$(secs sh -c "$(declare -f compressor); compressor $c < '$disk' > '$data/bare'"); fi
  rm -f "$data/bare.raw" "$data/bare"
  row "vm backup compress=$c" "$(rate $size $h)" "$(rate $size $b)" "$(ratio $b $h)" ""
done

echo
echo "VM restore (qmrestore) vs bare decompress+write+sync of the same archive"
row case haven-MiB/s bare-MiB/s ratio ""
for c in $COMPRESSIONS; do
  a=$(ls "$data"/bk/dump/vzdump-qemu-900-*.vma$(suffix $c) | tail -1)
  bin/qm destroy 901 >/dev/null 2>&1 || true # a restore to a new VM, as most are (replacing one checks the archive first)
  h=$(secs bin/qmrestore "$a" 901 --storage local)
  b=$(secs sh -c "$(declare -f decompressor); decompressor $c < '$a' > '$data/bare' && sync '$data/bare'")
  rm -f "$data/bare"
  row "vm restore compress=$c" "$(rate $size $h)" "$(rate $size $b)" "$(ratio $b $h)" ""
done

# --- a container: a busybox root with CT_MIB of data files ---
root="$data/ctroot"
mkdir -p "$root"/{bin,sbin,etc,proc,sys,dev,tmp,root,run,data}
cp /bin/busybox "$root/bin/busybox"
for a in $(busybox --list); do [ "$a" = busybox ] || ln -sf busybox "$root/bin/$a"; done
ln -sf ../bin/busybox "$root/sbin/init"
for i in $(seq 1 $((CT_MIB / 64))); do dd if=/dev/urandom of="$root/data/blob$i" bs=1M count=64 status=none; done
tmpl_dir="$(bin/pvesh get /storage/local --output-format json | python3 -c 'import json,sys; print(json.load(sys.stdin)["path"])')/template/cache"
mkdir -p "$tmpl_dir"
tar czf "$tmpl_dir/busybox-bench_amd64.tar.gz" --numeric-owner --owner=0 --group=0 -C "$root" .
bin/pct create 910 local:vztmpl/busybox-bench_amd64.tar.gz --hostname bench-ct --rootfs "local:$(( CT_MIB / 1024 + 1 ))" >/dev/null
csize=$(du -sb "$root" | cut -f1)

echo
echo "container backup (vzdump --mode stop) vs bare tar+compress of the same files"
row case haven-MiB/s bare-MiB/s ratio ""
for c in $COMPRESSIONS; do
  h=$(secs bin/vzdump 910 --storage bk --compress $c --mode stop)
  b=$(secs sh -c "$(declare -f compressor); tar cf - --numeric-owner -C '$root' . | compressor $c > '$data/bare'")
  rm -f "$data/bare"
  row "ct backup compress=$c" "$(rate $csize $h)" "$(rate $csize $b)" "$(ratio $b $h)" ""
done

echo
echo "container restore (pct restore) vs bare decompress+untar+sync of the same archive"
row case haven-MiB/s bare-MiB/s ratio ""
for c in $COMPRESSIONS; do
  a=$(ls "$data"/bk/dump/vzdump-lxc-910-*.tar$(suffix $c) | tail -1)
  bin/pct destroy 911 >/dev/null 2>&1 || true
  h=$(secs bin/pct restore 911 "$a" --storage local)
  mkdir -p "$data/bareroot"
  b=$(secs sh -c "$(declare -f decompressor); decompressor $c < '$a' | tar xf - --numeric-owner -C '$data/bareroot' && sync -f '$data/bareroot'")
  rm -rf "$data/bareroot"
  row "ct restore compress=$c" "$(rate $csize $h)" "$(rate $csize $b)" "$(ratio $b $h)" ""
done
