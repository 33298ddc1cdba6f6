#!/usr/bin/env bash
# The demo lab, on this machine, without hardware:
#   - a benchlab-coordinator (loopback, data in a temp dir),
#   - two lab hosts, each with its own adb server (Debian's adb on a private port), two
#     simulated phones (benchlab-devsim) adopted by it, and a benchlab-agent dialling in,
#   - a benchmark job on every phone with 3 repeats, submitted with the `benchlab` CLI,
#     followed live, then the aggregated results table.
# The coordinator also serves its web dashboard on loopback: the address is printed, and
# the lab and the job are live there while the demo runs. Everything is stopped and
# removed on exit. Set KEEP=1 to keep the logs, HOLD=1 to keep the lab running (for the
# dashboard) until Enter is pressed.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
echo "== building (first run: installs packages and compiles; takes a few minutes)"
bash deploy/build.sh >/dev/null
BIN="$PWD/$BUILD_DIR/bin"

WORK=$(mktemp -d /tmp/benchlab-demo.XXXXXX)
PIDS=()
ADB_PORTS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  for port in "${ADB_PORTS[@]}"; do
    HOME="$WORK" ANDROID_ADB_SERVER_PORT=$port adb kill-server >/dev/null 2>&1 || true
  done
  if [ "${KEEP:-0}" = 1 ]; then echo "logs kept in $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

source deploy/lab_ports.sh  # free_port, wait_port

export BENCHLAB_COORDINATOR="127.0.0.1:$(free_port)"
DASHBOARD="127.0.0.1:$(free_port)"
echo "== coordinator on $BENCHLAB_COORDINATOR (data in $WORK/coordinator)"
"$BIN/benchlab-coordinator" --listen "$BENCHLAB_COORDINATOR" --data-dir "$WORK/coordinator" \
  --insecure --http-listen "$DASHBOARD" >"$WORK/coordinator.log" 2>&1 &
PIDS+=($!)
wait_port "${BENCHLAB_COORDINATOR##*:}"
wait_port "${DASHBOARD##*:}"
echo "== dashboard: http://$DASHBOARD/ (the lab and the job live while the demo runs)"

for host in lab-host-a lab-host-b; do
  adb_port=$(free_port)
  phone_port=$(( 26000 + RANDOM % 4000 ))
  ADB_PORTS+=("$adb_port")
  echo "== $host: adb server on port $adb_port, 2 simulated phones on $phone_port-$((phone_port + 1))"
  "$BIN/benchlab-devsim" --port "$phone_port" --count 2 --run-seconds 2 \
    --seed "${#ADB_PORTS[@]}" >"$WORK/$host-devsim.log" 2>&1 &
  PIDS+=($!)
  wait_port "$phone_port"
  export HOME="$WORK"  # adb keeps its keys under $HOME/.android
  ANDROID_ADB_SERVER_PORT=$adb_port adb start-server >/dev/null 2>&1
  for i in 0 1; do
    ANDROID_ADB_SERVER_PORT=$adb_port adb connect "127.0.0.1:$((phone_port + i))" >/dev/null
  done
  "$BIN/benchlab-agent" --coordinator "$BENCHLAB_COORDINATOR" --insecure --name "$host" \
    --adb-port "$adb_port" --state-dir "$WORK/$host-state" >"$WORK/$host-agent.log" 2>&1 &
  PIDS+=($!)
done

"$BIN/benchlab-devsim" --make-apk "$WORK/android_aarch64_benchmark_model.apk" \
  --make-model "$WORK/mobilenet_v2.tflite" --model-mb 14 >/dev/null

echo "== waiting for the 4 phones to be idle"
for _ in $(seq 100); do
  # `devices --json` is one line: count the idle states in it, not the lines.
  [ "$("$BIN/benchlab" devices --json 2>/dev/null | grep -o DEVICE_STATE_IDLE | wc -l)" -ge 4 ] && break
  sleep 0.2
done
"$BIN/benchlab" agents
"$BIN/benchlab" devices

echo
echo "== benchlab run mobilenet_v2.tflite on all phones, 3 repeats, 4 threads"
"$BIN/benchlab" run "$WORK/mobilenet_v2.tflite" --apk "$WORK/android_aarch64_benchmark_model.apk" \
  --devices all --threads 4 --repeat 3

# The other two tools on the same lab: the classic native benchmark_model pinned to each
# phone's big cores, and LiteRT's CompiledModel benchmark, both over `adb shell`.
"$BIN/benchlab-devsim" --make-binary "$WORK/benchmark_model" --flavor tflite >/dev/null
"$BIN/benchlab-devsim" --make-binary "$WORK/litert_benchmark_model" --flavor litert >/dev/null
echo
echo "== benchlab run mobilenet_v2.tflite --tool native (benchmark_model over adb shell) --cpus big"
"$BIN/benchlab" run "$WORK/mobilenet_v2.tflite" --tool native --binary "$WORK/benchmark_model" \
  --devices all --threads 4 --cpus big
echo
echo "== benchlab run mobilenet_v2.tflite --tool litert (LiteRT's CompiledModel benchmark_model)"
"$BIN/benchlab" run "$WORK/mobilenet_v2.tflite" --tool litert --binary "$WORK/litert_benchmark_model" \
  --devices all

if [ "${HOLD:-0}" = 1 ]; then
  echo
  read -r -p "== the lab stays up for the dashboard at http://$DASHBOARD/; press Enter to stop " _
fi
