#!/usr/bin/env bash
# The checks that keep the code honest, run by the test command (deploy/test.sh) after the
# normal tests: clang's thread-safety analysis as errors, the tests under AddressSanitizer
# + UBSan and under ThreadSanitizer, and a short libFuzzer run of every fuzz target.
#
#   deploy/check.sh              every stage, in the order below
#   deploy/check.sh tsa          only the clang build with -Wthread-safety -Werror (the
#                                objects of the asan tree, no tests: quickest way to
#                                re-check the lock annotations after a merge)
#   deploy/check.sh asan fuzz    only those stages (tsa, asan, fuzz, tsan)
#   BENCHLAB_FUZZ_SECONDS=600 deploy/check.sh fuzz   the long fuzz run (10 min per target)
#
# Stages (wall time measured on the 2-core development machine while it was shared with
# other builds, cold ccache; CI's figures are in the log of each run, "stage ... took"):
#   tsa   clang-14 build (ninja -k 0: every error in one run) of the test targets, the four programs and the fuzz targets with
#         ASan+UBSan, -fsanitize=fuzzer-no-link and -Wthread-safety -Werror, all in one
#         tree ($BUILD_DIR/sanitize/asan) so the code is compiled once for three stages.
#   asan  every unit, integration and e2e test in that tree.
#   fuzz  each libFuzzer target for BENCHLAB_FUZZ_SECONDS (20) seconds on its seed corpus.
#   tsan  Debian's abseil rebuilt with -fsanitize=thread (once; kept in
#         $BUILD_DIR/sanitize/absl-tsan), then the tests that do not link gRPC, built with
#         -fsanitize=thread and run against that abseil (see tsan_stage below for why).
# Any test failure or sanitizer report fails the run; reports are printed at the end.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
OUT=$(mkdir -p "$BUILD_DIR/sanitize" && cd "$BUILD_DIR/sanitize" && pwd)
SRC=$(pwd)
JOBS=$(nproc)
CXX=clang++-14
LAUNCHER=()
command -v ccache >/dev/null && LAUNCHER=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)

bash deploy/setup.sh check
# Tests that start adb servers must never meet a developer's own server on 5037.
unset ANDROID_ADB_SERVER_PORT ANDROID_SERIAL

banner() { printf '\n==================== benchlab check: %s ====================\n' "$*"; }
declare -A TOOK
timed() {  # timed NAME command...: runs a stage, records its wall time
  local name=$1 start=$SECONDS
  shift
  banner "$name"
  "$@"
  TOOK[$name]=$((SECONDS - start))
  echo "benchlab check: stage $name took ${TOOK[$name]} s"
}

# Sanitizer reports of every process a test starts (devsim, the agent, the coordinator,
# the CLI) go to files here, so a report in a child that its test does not notice still
# fails the run. Emptied before each stage.
REPORTS=$OUT/reports
fail_on_reports() {  # also when tests failed: a report is often why
  shopt -s nullglob
  local files=("$REPORTS"/*)
  shopt -u nullglob
  if ((${#files[@]})); then
    for f in "${files[@]}"; do
      echo "---- $f"
      cat "$f"
    done
    echo "benchlab check: $1: ${#files[@]} sanitizer report(s), above" >&2
    exit 1
  fi
}
reset_reports() { rm -rf "$REPORTS" && mkdir -p "$REPORTS"; }

# One tree for tsa, asan and fuzz. -O1 and line tables only: the sanitizers need neither
# full optimisation nor full debug info, and both cost build time. The agent is linked
# shared (ASan does not work with its static link, cmake/StaticLink.cmake).
ASAN_TREE=$OUT/asan
ASAN_FLAGS="-fsanitize=address,undefined -fsanitize=fuzzer-no-link -fno-sanitize-recover=all -fno-omit-frame-pointer"
configure_asan() {
  cmake -S "$SRC" -B "$ASAN_TREE" -G Ninja -DCMAKE_BUILD_TYPE=Release "${LAUNCHER[@]}" \
    -DCMAKE_CXX_COMPILER=$CXX \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS="$ASAN_FLAGS -Wthread-safety -Werror -Wno-unused-command-line-argument" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=address,undefined" \
    -DBENCHLAB_STATIC_AGENT=OFF >/dev/null
}
# The test binaries, fuzz targets, the programs the e2e tests start and the Python stubs
# (not the benchmarks under bench/: they are measured with the normal build).
test_targets() {
  ninja -C "$1" -t targets all | sed -n 's/^\([a-z0-9_-]*_\(test\|fuzz\)\): phony$/\1/p'
}
tsa_stage() {
  configure_asan
  # shellcheck disable=SC2046
  cmake --build "$ASAN_TREE" --target $(test_targets "$ASAN_TREE") \
    benchlab benchlab-agent benchlab-coordinator benchlab-devsim benchlab_python_stubs -- -j"$JOBS" -k 0
}

asan_stage() {
  local rc=0
  reset_reports
  ASAN_OPTIONS="halt_on_error=1:detect_leaks=1:log_path=$REPORTS/asan" \
  LSAN_OPTIONS="suppressions=$SRC/deploy/lsan.supp:print_suppressions=0" \
  UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1:log_path=$REPORTS/ubsan" \
    ctest --test-dir "$ASAN_TREE" --output-on-failure -j "$JOBS" --timeout 300 -LE fuzz || rc=$?
  fail_on_reports asan
  return "$rc"
}

fuzz_stage() {
  # libFuzzer prints the report and writes the crashing input into the test's directory.
  ASAN_OPTIONS="halt_on_error=1:detect_leaks=1" UBSAN_OPTIONS="halt_on_error=1:print_stacktrace=1" \
    ctest --test-dir "$ASAN_TREE" --output-on-failure -j "$JOBS" -L fuzz
}

# ThreadSanitizer sees a lock only when the code taking it is instrumented. absl::Mutex
# lives in Debian's libabsl_synchronization.so, built without -fsanitize=thread, so TSAN
# would report races on every mu_-guarded member. Debian's own abseil source (same
# version, same patches, same options.h, so the same ABI and sonames) is rebuilt with
# -fsanitize=thread and put first on LD_LIBRARY_PATH; the test binaries link the system
# abseil as usual and load the instrumented one at run time.
ABSL_TSAN=$OUT/absl-tsan
build_tsan_abseil() {
  local version
  version=$(dpkg-query -W -f='${Version}' libabsl-dev)
  if [ "$(cat "$ABSL_TSAN/version" 2>/dev/null)" = "$version" ]; then
    echo "benchlab check: abseil $version with TSAN already built in $ABSL_TSAN"
    return
  fi
  rm -rf "$ABSL_TSAN" && mkdir -p "$ABSL_TSAN/apt/lists/partial" "$ABSL_TSAN/apt/cache/archives/partial"
  # A private apt configuration: the machine's own package sources, as deb-src entries
  # (its sources files stay as they are).
  local src_dir=$ABSL_TSAN/apt/sources.list.d
  mkdir -p "$src_dir"
  sed -n 's/^deb \(.*\)$/deb-src \1/p' /etc/apt/sources.list >"$ABSL_TSAN/apt/sources.list" 2>/dev/null || true
  for f in /etc/apt/sources.list.d/*.list; do
    if [ -f "$f" ]; then sed -n 's/^deb \(.*\)$/deb-src \1/p' "$f" >"$src_dir/$(basename "$f")"; fi
  done
  for f in /etc/apt/sources.list.d/*.sources; do
    if [ -f "$f" ]; then sed 's/^Types:.*/Types: deb-src/' "$f" >"$src_dir/$(basename "$f")"; fi
  done
  local apt=(-o "Dir::Etc::SourceList=$ABSL_TSAN/apt/sources.list" -o "Dir::Etc::SourceParts=$src_dir"
    -o "Dir::State::Lists=$ABSL_TSAN/apt/lists" -o "Dir::Cache=$ABSL_TSAN/apt/cache"
    -o APT::Sandbox::User=root)
  apt-get "${apt[@]}" -qq update
  (cd "$ABSL_TSAN" && apt-get "${apt[@]}" -qq source --download-only "abseil=$version" &&
    dpkg-source -x abseil_*.dsc src >/dev/null)
  # The options of debian/rules' shared build (C++17, shared), plus TSAN.
  cmake -S "$ABSL_TSAN/src" -B "$ABSL_TSAN/build" -G Ninja -DCMAKE_BUILD_TYPE=Release "${LAUNCHER[@]}" \
    -DCMAKE_CXX_COMPILER=$CXX -DCMAKE_CXX_STANDARD=17 -DBUILD_SHARED_LIBS=ON -DBUILD_TESTING=OFF \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DCMAKE_CXX_FLAGS="-fsanitize=thread" \
    -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_INSTALL_PREFIX="$ABSL_TSAN/install" >/dev/null
  cmake --build "$ABSL_TSAN/build" --target install -- -j"$JOBS" >/dev/null
  rm -rf "$ABSL_TSAN/build" "$ABSL_TSAN/src" "$ABSL_TSAN/apt"
  echo "$version" >"$ABSL_TSAN/version"
}

# What runs under TSAN: the tests whose binaries (and the programs they start) do not
# link gRPC. Debian's libgrpc carries its own uninstrumented synchronisation (gpr_mu,
# atomics in its core), so TSAN reports races inside gRPC that are not ours; the code of
# ours that runs on many threads without gRPC (devsim's phones, scheduler and adb
# transport, the agent's adb client, the parsers) is covered here, and the gRPC-linked
# code by the thread-safety analysis and ASan.
TSAN_TREE=$OUT/tsan
TSAN_TARGETS=(devsim_phone_test devsim_phone_parser_test devsim_adb_test adb_client_test
  adb_client_integration_test logcat_line_test benchmark_parser_test shell_quote_test benchlab-devsim)
tsan_stage() {
  build_tsan_abseil
  cmake -S "$SRC" -B "$TSAN_TREE" -G Ninja -DCMAKE_BUILD_TYPE=Release "${LAUNCHER[@]}" \
    -DCMAKE_CXX_COMPILER=$CXX \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" \
    -DCMAKE_CXX_FLAGS="-fsanitize=thread -Wno-unused-command-line-argument" \
    -DCMAKE_EXE_LINKER_FLAGS="-fsanitize=thread" -DCMAKE_SHARED_LINKER_FLAGS="-fsanitize=thread" \
    -DBENCHLAB_STATIC_AGENT=OFF >/dev/null
  cmake --build "$TSAN_TREE" --target "${TSAN_TARGETS[@]}" -- -j"$JOBS"
  local rc=0
  reset_reports
  # Targets not built here show up in ctest as <target>_NOT_BUILT; the fuzz targets are
  # ASan-only.
  LD_LIBRARY_PATH="$ABSL_TSAN/install/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}" \
  TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$REPORTS/tsan:suppressions=$SRC/deploy/tsan.supp" \
    ctest --test-dir "$TSAN_TREE" --output-on-failure -j "$JOBS" --timeout 300 -LE fuzz -E '_NOT_BUILT$' || rc=$?
  fail_on_reports tsan
  return "$rc"
}

STAGES=("$@")
((${#STAGES[@]})) || STAGES=(tsa asan fuzz tsan)
built_asan=0
asan_tree() {  # asan and fuzz run in the tsa tree: build it (a no-op when up to date) once
  ((built_asan)) || timed tsa tsa_stage
  built_asan=1
}
for s in "${STAGES[@]}"; do
  case $s in
    tsa) asan_tree ;;
    asan) asan_tree; timed asan asan_stage ;;
    fuzz) asan_tree; timed fuzz fuzz_stage ;;
    tsan) timed tsan tsan_stage ;;
    *) echo "benchlab check: unknown stage '$s' (tsa, asan, fuzz, tsan)" >&2; exit 2 ;;
  esac
done
banner "all green"
for s in "${!TOOK[@]}"; do echo "  $s: ${TOOK[$s]} s"; done
