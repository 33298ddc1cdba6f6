#!/usr/bin/env bash
# The test command: installs what is missing, builds, and runs every test (unit,
# integration with the real adb server and simulated phones, e2e) through ctest; the
# packages installed in a fresh chroot (deploy/chroot_test.sh, as root); then
# deploy/check.sh: clang's thread-safety analysis, the tests again under ASan+UBSan and
# under TSAN, and a short run of every fuzz target. Arguments go to the first ctest (e.g.
# -R Outbox); BENCHLAB_SKIP_CHECKS=1 stops after it (a quick local loop, not for CI).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash deploy/build.sh
# Tests that start adb servers must never meet a developer's own server on 5037.
unset ANDROID_ADB_SERVER_PORT ANDROID_SERIAL
ctest --test-dir "$BUILD_DIR" --output-on-failure -j "$(nproc)" --timeout 300 "$@"
# The .debs installed in a fresh debootstrap chroot and started (deploy/README.md).
if [ "${BENCHLAB_SKIP_CHROOT:-${BENCHLAB_SKIP_CHECKS:-0}}" != 1 ]; then
  if [ "$(id -u)" = 0 ]; then
    bash deploy/chroot_test.sh "$BUILD_DIR"
  else
    echo "benchlab: deploy/chroot_test.sh skipped (needs root)"
  fi
fi
if [ "${BENCHLAB_SKIP_CHECKS:-0}" != 1 ]; then
  bash deploy/check.sh
fi
