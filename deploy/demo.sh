#!/usr/bin/env bash
# The demo: brings up simulated phones on a private adb server and runs a benchmark.
# TODO(issue 2/4): grows into the whole lab (coordinator, agents, devsim) as parts land.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
bash deploy/build.sh
echo "benchlab demo: the simulated phone is not built yet (issue 2)." >&2
exit 1
