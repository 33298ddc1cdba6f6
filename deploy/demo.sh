#!/usr/bin/env bash
# The demo: two simulated phones adopted by Debian's real adb server (on a private port),
# and on each of them the four steps a lab engineer does by hand: install the benchmark
# APK, push a model, start the benchmark activity, read the result lines from logcat.
# TODO(issue 4): grows into the whole lab (coordinator + agents) once those land.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash deploy/build.sh >/dev/null
BIN="$PWD/$BUILD_DIR/bin"

WORK=$(mktemp -d /tmp/benchlab-demo.XXXXXX)
export HOME="$WORK"                         # adb keeps its keys under $HOME/.android
export ANDROID_ADB_SERVER_PORT=$(( 20000 + RANDOM % 5000 ))
PHONE_PORT=$(( 26000 + RANDOM % 4000 ))     # outside 5555-5585, which adb scans
DEVSIM_PID=""
cleanup() {
  adb kill-server >/dev/null 2>&1 || true
  [ -n "$DEVSIM_PID" ] && kill "$DEVSIM_PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

echo "== starting 2 simulated phones on 127.0.0.1:$PHONE_PORT-$((PHONE_PORT + 1))"
"$BIN/benchlab-devsim" --port "$PHONE_PORT" --count 2 --run-seconds 3 >"$WORK/devsim.log" 2>&1 &
DEVSIM_PID=$!
"$BIN/benchlab-devsim" --make-apk "$WORK/android_aarch64_benchmark_model.apk" \
  --make-model "$WORK/mobilenet_v2.tflite" --model-mb 14
adb start-server >/dev/null 2>&1
for i in 0 1; do
  for attempt in $(seq 50); do
    adb connect "127.0.0.1:$((PHONE_PORT + i))" | grep -q "^connected" && break
    sleep 0.1
  done
done
sleep 0.5
adb devices -l

ARGS="--graph=/data/local/tmp/mobilenet_v2.tflite --num_threads=4"
for i in 0 1; do
  S="127.0.0.1:$((PHONE_PORT + i))"
  echo "== $S ($(adb -s "$S" shell getprop ro.product.model))"
  adb -s "$S" install -r -d -g "$WORK/android_aarch64_benchmark_model.apk"
  adb -s "$S" push "$WORK/mobilenet_v2.tflite" /data/local/tmp
  adb -s "$S" shell am start -S -n org.tensorflow.lite.benchmark/.BenchmarkModelActivity --es args "'$ARGS'"
done

echo "== waiting for the benchmark results"
for i in 0 1; do
  S="127.0.0.1:$((PHONE_PORT + i))"
  for attempt in $(seq 100); do
    adb -s "$S" logcat -d -v threadtime -s tflite | grep -q "Memory footprint delta" && break
    sleep 0.2
  done
  echo "-- $S"
  adb -s "$S" logcat -d -v threadtime -s tflite |
    grep -E " count=| Inference timings in us| Memory footprint delta" | sed 's/^/   /'
done
