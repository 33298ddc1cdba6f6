# Sourced by scripts that start a lab on this machine (demo.sh, tests/data/make_release_db.sh):
# free_port prints a free loopback port (the kernel picks it; never in adb's scan range
# 5555-5585), wait_port PORT waits up to 10 s for something to listen there.
free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}
wait_port() {
  for _ in $(seq 100); do
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null && return 0
    sleep 0.1
  done
  echo "nothing listens on port $1" >&2
  return 1
}
