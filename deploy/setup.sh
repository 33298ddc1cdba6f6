#!/usr/bin/env bash
# Installs the Debian packages benchlab builds and runs with, only those that are missing.
# `setup.sh check` adds what deploy/check.sh needs (clang, its sanitizer runtimes and
# libFuzzer; dpkg-dev, always installed, also unpacks Debian's abseil source for the TSAN build).
# Safe to run again; needs root (or sudo) only when something is missing.
set -euo pipefail

# python3-pkg-resources: grpc_tools.protoc imports it, but python3-grpc-tools only
# recommends it, and recommends are not installed below (found on a fresh bookworm).
PACKAGES=(
  cmake ninja-build g++ pkg-config
  libgrpc++-dev protobuf-compiler-grpc libprotobuf-dev protobuf-compiler grpc-proto
  # libgrpc-dev depends on these; named because benchlab-agent links their .a files
  # (cmake/StaticLink.cmake), as it does libgrpc's, libprotobuf's, libabsl's and libssl's.
  libc-ares-dev libre2-dev zlib1g-dev
  libabsl-dev libspdlog-dev libfmt-dev libgtest-dev libgmock-dev
  libsqlite3-dev libssl-dev openssl libcli11-dev nlohmann-json3-dev prometheus-cpp-dev
  # The coordinator's dashboard (--http-listen) serves HTTP(S) with cpp-httplib.
  libcpp-httplib-dev
  # The daemons tell systemd they are ready and alive (Type=notify, WatchdogSec).
  libsystemd-dev
  # aapt: tests check that devsim's APK manifest is binary XML the Android tools read.
  adb aapt python3 python3-grpcio python3-protobuf python3-grpc-tools python3-pkg-resources procps
  # ccache: deploy/build.sh and deploy/check.sh compile through it when present, so a
  # rerun (or the sanitizer trees after a small change) recompiles only what changed.
  ccache
  # The packages tests: dpkg-dev (dpkg-shlibdeps finds the .debs' Depends), systemd
  # (`systemd-analyze security --offline` scores the units; nothing is started),
  # debootstrap (deploy/chroot_test.sh installs the .debs in a fresh bookworm).
  dpkg-dev systemd debootstrap
  # The dashboard's browser test (tests/e2e/dashboard_browser_e2e_test.cc): headless
  # Chromium driven through chromedriver by Selenium.
  chromium chromium-driver python3-selenium
)
if [ "${1:-}" = check ]; then
  PACKAGES+=(clang-14 libclang-rt-14-dev)
fi

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  exit 0
fi

echo "benchlab: installing missing packages: ${missing[*]}"
SUDO=""
if [ "$(id -u)" != 0 ]; then
  command -v sudo >/dev/null || { echo "benchlab: need root or sudo to apt-get install ${missing[*]}" >&2; exit 1; }
  SUDO=sudo
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
