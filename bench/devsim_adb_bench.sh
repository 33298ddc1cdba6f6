#!/usr/bin/env bash
# devsim through Debian's real adb: push throughput of a 50 MB file (adb's own figure,
# best of 3) against a plain loopback TCP copy of the same bytes, and devsim's RSS with
# 1, 8 and 64 phones adopted by one adb server. Usage: bench/devsim_adb_bench.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="$PWD/${1:-build}/bin"
WORK=$(mktemp -d /tmp/devsim-bench.XXXXXX)
export HOME="$WORK" ANDROID_ADB_SERVER_PORT=$(( 20000 + RANDOM % 5000 ))
PORT=$(( 26000 + RANDOM % 3000 ))
PIDS=()
cleanup() { adb kill-server >/dev/null 2>&1 || true; for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$WORK"; }
trap cleanup EXIT
adb start-server >/dev/null 2>&1

head -c 50000000 /dev/urandom > "$WORK/50mb.bin"
"$BIN/benchlab-devsim" --port "$PORT" --count 1 >/dev/null 2>&1 & PIDS+=($!)
sleep 0.3; adb connect "127.0.0.1:$PORT" >/dev/null; sleep 0.5
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
adb_pid=$(pgrep -f "adb -L tcp:$ANDROID_ADB_SERVER_PORT" | head -1)
d0=$(cpu_ticks "${PIDS[0]}"); a0=$(cpu_ticks "$adb_pid"); t0=$(date +%s.%N)
best=0
for i in 1 2 3; do
  mbs=$(adb -s "127.0.0.1:$PORT" push "$WORK/50mb.bin" /data/local/tmp/50mb.bin | sed -n 's/.* \([0-9.]*\) MB\/s.*/\1/p')
  best=$(python3 -c "print(max($best, $mbs))")
done
d1=$(cpu_ticks "${PIDS[0]}"); a1=$(cpu_ticks "$adb_pid"); t1=$(date +%s.%N)
hz=$(getconf CLK_TCK)
tcp=$(python3 - "$WORK/50mb.bin" <<'PY'
import socket, sys, threading, time
data = open(sys.argv[1], 'rb').read()
srv = socket.socket(); srv.bind(('127.0.0.1', 0)); srv.listen(1)
def sink():
    c, _ = srv.accept()
    while c.recv(1 << 20): pass
t = threading.Thread(target=sink); t.start()
s = socket.create_connection(srv.getsockname()); t0 = time.time(); s.sendall(data); s.close(); t.join()
print(round(len(data) / 1e6 / (time.time() - t0), 1))
PY
)
echo "push 50 MB through adb to devsim: ${best} MB/s (best of 3; adb's own figure)"
echo "plain loopback TCP copy, python:  ${tcp} MB/s"
python3 -c "w=$t1-$t0; print(f'CPU during the 3 pushes ({w:.2f} s wall): devsim {($d1-$d0)/$hz/w*100:.0f}% of a core, adb server {($a1-$a0)/$hz/w*100:.0f}%')"
kill "${PIDS[0]}"; adb disconnect >/dev/null 2>&1 || true

for n in 1 8 64; do
  base=$(( PORT + 100 ))
  "$BIN/benchlab-devsim" --port "$base" --count "$n" >/dev/null 2>&1 & pid=$!; PIDS+=($pid)
  sleep 0.5
  for i in $(seq 0 $((n - 1))); do adb connect "127.0.0.1:$((base + i))" >/dev/null; done
  for attempt in $(seq 100); do
    [ "$(adb devices | grep -c "	device$")" -ge "$n" ] && break; sleep 0.1
  done
  adopted=$(adb devices | grep -c "	device$")
  sleep 1
  rss=$(awk '/VmRSS/{print $2}' /proc/$pid/status)
  echo "devsim with $n phone(s), $adopted adopted by adb: RSS $((rss / 1024)) MB ($((rss / n)) KB per phone)"
  kill "$pid"; adb disconnect >/dev/null 2>&1 || true; sleep 0.3
done
