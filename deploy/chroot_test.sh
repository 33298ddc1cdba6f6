#!/usr/bin/env bash
# The packages installed as a new lab host gets them: a fresh `debootstrap --variant=minbase
# bookworm` chroot, `apt-get install` of the three .debs (their Depends from Debian), then
# the user, groups, modes and conffiles checked, the README's PKI steps run, and both
# daemons started by their units' ExecStart lines as the units' user (systemd does not run
# in a chroot); the agent must connect over mTLS with its certificate's CN as its id.
# deploy/test.sh runs it after the tests (as root; BENCHLAB_SKIP_CHROOT=1 skips it): 47 s to
# 3 minutes, mostly debootstrap fetching ~50 MB from the Debian mirror of /etc/apt. By hand,
# as root, after a build:
#   bash deploy/chroot_test.sh [BUILD_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=$(cd "${1:-build}" && pwd)
[ "$(id -u)" = 0 ] || { echo "chroot_test: run as root (debootstrap, chroot)" >&2; exit 2; }
for tool in debootstrap cpack; do
  command -v "$tool" >/dev/null || { echo "chroot_test: needs $tool (apt-get install $tool)" >&2; exit 2; }
done
MIRROR=${BENCHLAB_DEBIAN_MIRROR:-$(awk '/^URIs:/ && $2 ~ /\/debian$/ {print $2; exit}' /etc/apt/sources.list.d/debian.sources 2>/dev/null || true)}
MIRROR=${MIRROR:-http://deb.debian.org/debian}

WORK=$(mktemp -d /tmp/benchlab-chroot.XXXXXX)
ROOT=$WORK/root
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -9 "$pid" 2>/dev/null || true; done
  # The adb server the agent started (it outlives the agent, as under systemd it would not).
  for pid in $(ss -ltnpH "sport = :${ADB_PORT:-0}" 2>/dev/null | grep -o 'pid=[0-9]*' | cut -d= -f2); do
    kill -9 "$pid" 2>/dev/null || true
  done
  wait 2>/dev/null || true
  umount "$ROOT/proc" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT

passed=0 failed=0
check() {  # check DESCRIPTION command...
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    passed=$((passed + 1)); echo "ok   $what"
  else
    failed=$((failed + 1)); echo "FAIL $what"
  fi
}
# owner_mode PATH "USER:GROUP MODE": names as the chroot's /etc/passwd has them.
owner_mode() { [ "$(chroot "$ROOT" stat -c '%U:%G %a' "$1")" = "$2" ]; }
in_root() { chroot "$ROOT" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }

start=$SECONDS
(cd "$WORK" && cpack -G DEB --config "$BUILD_DIR/CPackConfig.cmake" -B "$WORK/debs" >/dev/null)
debootstrap --variant=minbase bookworm "$ROOT" "$MIRROR" >"$WORK/debootstrap.log" 2>&1 ||
  { tail -20 "$WORK/debootstrap.log"; exit 1; }
echo "chroot_test: debootstrap took $((SECONDS - start)) s"
mount -t proc proc "$ROOT/proc"
cp "$WORK"/debs/*.deb "$ROOT/tmp/"
in_root sh -c 'DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends /tmp/*.deb' \
  >"$WORK/install.log" 2>&1 || { tail -30 "$WORK/install.log"; exit 1; }

# What the maintainer scripts made.
check "user benchlab is a system user in plugdev" sh -c "chroot '$ROOT' id benchlab | grep -q '(plugdev)'"
check "/var/lib/benchlab is benchlab:benchlab 0750" owner_mode /var/lib/benchlab "benchlab:benchlab 750"
check "/var/lib/benchlab-agent is benchlab:benchlab 0750" owner_mode /var/lib/benchlab-agent "benchlab:benchlab 750"
check "/etc/benchlab/tokens is benchlab 0600" owner_mode /etc/benchlab/tokens "benchlab:benchlab 600"
check "/etc/benchlab/tokens holds an admin token" grep -q ' admin admin$' "$ROOT/etc/benchlab/tokens"
check "the configs are conffiles" sh -c "chroot '$ROOT' dpkg-query -W -f='\${Conffiles}' benchlab-coordinator benchlab-agent | grep -q agent.toml"
check "units at /lib/systemd/system" test -f "$ROOT/lib/systemd/system/benchlab-coordinator.service" -a \
  -f "$ROOT/lib/systemd/system/benchlab-agent.service"
check "adb came with the agent" test -x "$ROOT/usr/bin/adb"
for program in benchlab benchlab-agent benchlab-coordinator; do
  check "$program --version" sh -c "chroot '$ROOT' $program --version | grep -q '^$program [0-9]'"
done

# The README's secure setup, then each daemon by its unit's ExecStart, as its User=.
PORT=$(free_port)
ADB_PORT=$(free_port)
in_root sh -ec "
  benchlab-coordinator pki init --dir /etc/benchlab/pki --name localhost --name 127.0.0.1
  chown benchlab: /etc/benchlab/pki/server.key
  benchlab-coordinator pki issue-agent lab-host-7 --dir /etc/benchlab/pki
  chown benchlab: /etc/benchlab/pki/agent-lab-host-7.key
  sed -i 's/^coordinator = .*/coordinator = \"127.0.0.1:$PORT\"/' /etc/benchlab/agent.toml" >/dev/null
exec_start() { sed -n 's/^ExecStart=//p' "$ROOT/lib/systemd/system/$1.service"; }
as_unit_user() {  # as_unit_user LOG command...: User=benchlab, its groups, UMask=0077
  local log=$1
  shift
  chroot "$ROOT" setpriv --reuid=benchlab --regid=benchlab --init-groups \
    /usr/bin/env -i PATH=/usr/bin:/bin HOME=/var/lib/benchlab-agent sh -c 'umask 077; exec "$@"' sh "$@" \
    >"$WORK/$log" 2>&1 &
  PIDS+=($!)
  disown $!  # killed at exit without bash's "Killed" line
}
# Loopback only and no metrics port here: the config's 0.0.0.0 is for a real host.
# shellcheck disable=SC2046
as_unit_user coordinator.log $(exec_start benchlab-coordinator) --listen "127.0.0.1:$PORT" --metrics-listen ""
# shellcheck disable=SC2046
as_unit_user agent.log $(exec_start benchlab-agent) --adb-port "$ADB_PORT"
token=$(awk '!/^#/ {print $1; exit}' "$ROOT/etc/benchlab/tokens")
connected=0
for _ in $(seq 1 100); do
  if in_root benchlab agents --coordinator "127.0.0.1:$PORT" --tls-ca /etc/benchlab/pki/ca.pem --token "$token" \
      2>/dev/null | grep -q '^lab-host-7 .* yes '; then
    connected=1
    break
  fi
  sleep 0.2
done
check "the agent connected over mTLS as lab-host-7" test "$connected" = 1
check "the coordinator's database is 0600" owner_mode /var/lib/benchlab/benchlab.db "benchlab:benchlab 600"
check "adb's keys are in the agent's HOME" test -d "$ROOT/var/lib/benchlab-agent/.android"
if ((failed)); then
  echo "--- coordinator"; cat "$WORK/coordinator.log"; echo "--- agent"; cat "$WORK/agent.log"
fi
echo "chroot_test: $((SECONDS - start)) s"
echo "$passed passed, $failed failed"
((failed == 0))
