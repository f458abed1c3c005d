#!/usr/bin/env bash
# Restart benchmark (issue 4): fill SQLite storage with RETAINED retained messages and
# SESSIONS persistent sessions, stop Ferry, then time `ferry run` until it serves again
# (a new client connects and receives a retained message). Also reports the database
# size per retained message. Usage: bench/restart.sh  (RETAINED=, SESSIONS= to change)
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/.." && pwd)
RETAINED=${RETAINED:-100000}
SESSIONS=${SESSIONS:-10000}
WORK=$(mktemp -d)
FERRY=$WORK/ferry
BENCH=$WORK/ferry-bench
cp "$ROOT/build/ferry" "$FERRY"
cp "$ROOT/build/bench/ferry-bench" "$BENCH"
PID=""
cleanup() {
  [[ -n $PID ]] && kill "$PID" 2>/dev/null || true
  rm -rf "$WORK"
}
trap cleanup EXIT
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
PORT=$((20000 + RANDOM % 20000))
cat >"$WORK/ferry.toml" <<TOML
[server]
threads = 1
data_dir = "$WORK/data"
log_level = "info"
[[listener]]
transport = "tcp"
bind = "127.0.0.1:$PORT"
backlog = 4096
[limits]
max_queued_messages = 1000000
max_queued_bytes = 4294967296
[storage]
backend = "sqlite"
sync = "ack"
TOML

start() {
  "$FERRY" run --config "$WORK/ferry.toml" >>"$WORK/ferry.log" 2>&1 &
  PID=$!
}
serving() {  # a new client connects and gets a retained message
  "$FERRY" sub "mqtt://127.0.0.1:$PORT" -t 'bench/#' -C 1 -W 1 >/dev/null 2>&1
}

start
until ss -ltn "sport = :$PORT" | grep -q LISTEN; do sleep 0.1; done
"$BENCH" retained --quiet --port "$PORT" --retained "$RETAINED" -s 16 --prefix bench \
  --keep-retained >/dev/null
"$BENCH" connect --quiet --port "$PORT" --persistent -c "$SESSIONS" --hold 0.5 -k 600 >/dev/null
kill -TERM "$PID"
wait "$PID" || true
db_bytes=$(du -cb "$WORK"/data/ferry.db* | tail -1 | cut -f1)

t0=$(date +%s.%N)
start
until serving; do sleep 0.01; done
t1=$(date +%s.%N)
restored=$(grep -o 'restored .*' "$WORK/ferry.log" | tail -1)
restart_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.2f", b - a }')
echo "restart: $restored"
echo "restart retained=$RETAINED sessions=$SESSIONS restart_s=$restart_s" \
  "db_bytes=$db_bytes bytes_per_retained=$((db_bytes / RETAINED))" \
  "target=$(awk -v s="$restart_s" 'BEGIN { print (s < 2) ? "PASS" : "FAIL" }')"
