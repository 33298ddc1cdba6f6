#!/usr/bin/env bash
# Makes tests/data/release_0.1.0_benchlab.sql: the database of a small lab run by the
# binaries of a released benchlab (BIN, the build of that release's commit), dumped as SQL
# with Debian's sqlite3, so the schema upgrade test starts from a database that release
# really wrote. One host, two devsim phones (one crashing), three jobs: done, one with a
# failed run, and one cancelled while queued. Usage: make_release_db.sh BIN OUT.sql
set -euo pipefail
BIN=$(cd "$1" && pwd)
OUT=$2
WORK=$(mktemp -d /tmp/benchlab-release-db.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  HOME="$WORK" ANDROID_ADB_SERVER_PORT=${ADB_PORT:-0} adb kill-server >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT
source "$(dirname "$0")/../../deploy/lab_ports.sh"  # free_port, wait_port
export HOME="$WORK"
export BENCHLAB_COORDINATOR="127.0.0.1:$(free_port)"
"$BIN/benchlab-coordinator" --listen "$BENCHLAB_COORDINATOR" --data-dir "$WORK/data" --insecure \
  >"$WORK/coordinator.log" 2>&1 &
PIDS+=($!)
wait_port "${BENCHLAB_COORDINATOR##*:}"
ADB_PORT=$(free_port)
PHONE_PORT=$((26000 + RANDOM % 4000))
"$BIN/benchlab-devsim" --port "$PHONE_PORT" --count 2 --run-seconds 0.3 --seed 7 --fault 1=crash \
  >"$WORK/devsim.log" 2>&1 &
PIDS+=($!)
wait_port "$PHONE_PORT"
ANDROID_ADB_SERVER_PORT=$ADB_PORT adb start-server >/dev/null 2>&1
for i in 0 1; do ANDROID_ADB_SERVER_PORT=$ADB_PORT adb connect "127.0.0.1:$((PHONE_PORT + i))" >/dev/null; done
"$BIN/benchlab-agent" --coordinator "$BENCHLAB_COORDINATOR" --insecure --name release-host \
  --adb-port "$ADB_PORT" --state-dir "$WORK/agent" >"$WORK/agent.log" 2>&1 &
PIDS+=($!)
"$BIN/benchlab-devsim" --make-apk "$WORK/benchmark.apk" >/dev/null
"$BIN/benchlab-devsim" --make-model "$WORK/mobilenet.tflite" --model-mb 0.01 >/dev/null
for _ in $(seq 100); do
  [ "$("$BIN/benchlab" devices --json 2>/dev/null | grep -o DEVICE_STATE_IDLE | wc -l)" -ge 2 ] && break
  sleep 0.2
done
dev0="release-host/127.0.0.1:$PHONE_PORT"
# Done on phone 0, three repeats; then failed (crash) on phone 1; then one cancelled.
"$BIN/benchlab" run "$WORK/mobilenet.tflite" --apk "$WORK/benchmark.apk" --devices "$dev0" \
  --repeat 3 --threads 2 --description "release fixture: done" >/dev/null
"$BIN/benchlab" run "$WORK/mobilenet.tflite" --apk "$WORK/benchmark.apk" --devices all \
  --repeat 1 --description "release fixture: one phone crashes" >/dev/null || true
job=$("$BIN/benchlab" run "$WORK/mobilenet.tflite" --apk "$WORK/benchmark.apk" --devices "$dev0" \
  --repeat 2 --cooldown 600 --description "release fixture: cancelled" --detach --json |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["job"]["job_id"])')
sleep 1
"$BIN/benchlab" cancel "$job" >/dev/null
for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
wait 2>/dev/null || true
PIDS=()
{
  echo "-- benchlab.db written by $("$BIN/benchlab-coordinator" --version) (make_release_db.sh)"
  sqlite3 "$WORK/data/benchlab.db" .dump
} >"$OUT"
