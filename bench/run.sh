#!/usr/bin/env bash
# `make bench`: the standard benchmark set against Ferry and Mosquitto, side by side.
# Broker on CPU 0, ferry-bench on CPU 1; a fresh broker for every run; each figure is
# the median of REPS runs with its spread. Prints a table with Ferry/Mosquitto ratios and
# target verdicts, writes CSV to bench/results/<stamp>/ and PNG plots with gnuplot.
# QUICK=1: < 5 minutes. Loopback only. SN_ONLY=1: only the MQTT-SN runs (Ferry only).
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD_DIR:-$ROOT/build}
FERRY=$BUILD/ferry
BENCH=$BUILD/bench/ferry-bench
MOSQ=${MOSQUITTO:-/usr/sbin/mosquitto}
QUICK=${QUICK:-0}
SN_ONLY=${SN_ONLY:-0}
REPS=${REPS:-3}
STAMP=$(date +%Y%m%d-%H%M%S)
OUT=$ROOT/bench/results/$STAMP
WORK=$(mktemp -d /tmp/ferry-bench.XXXXXX)
RAW=$OUT/raw.txt
CSV=$OUT/summary.csv
PORT=$((20000 + RANDOM % 20000))
SN_PORT=0  # the MQTT-SN gateway's UDP port (PORT + 20000), used when FERRY_SN=1
BROKER_PID=""

if [[ $QUICK == 1 ]]; then
  DUR=1; WARM=0.3; SUBS_SET="10 100 1000"; CONN_SET="1000 10000 19000"; HOLD=0.5
  RATE_FRACTIONS="0.25 0.5 0.75"; RETAINED=5000; SN_SET="1000 10000"
else
  DUR=5; WARM=1; SUBS_SET="1 10 100 1000 5000 10000"; CONN_SET="1000 5000 10000 19000"; HOLD=3
  RATE_FRACTIONS="0.1 0.25 0.5 0.75 0.9"; RETAINED=100000; SN_SET="1000 10000"
fi
TARGET_SUBS=1000
SN_PUBS=10000
SN_TARGET=10000  # SN subscribers of the memory target

cleanup() {
  if [[ -n $BROKER_PID ]]; then
    kill "$BROKER_PID" 2>/dev/null || true
    wait "$BROKER_PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

die() { echo "bench/run.sh: $*" >&2; exit 2; }

[[ -x $FERRY && -x $BENCH ]] || die "build first: $FERRY and $BENCH are needed (make bench builds them)"
[[ -x $MOSQ ]] || die "Mosquitto not found at $MOSQ (Debian package mosquitto)"
if ! command -v gnuplot >/dev/null; then
  echo "gnuplot missing: installing gnuplot-nox" >&2
  (apt-get install -y gnuplot-nox >/dev/null 2>&1 || sudo apt-get install -y gnuplot-nox >/dev/null 2>&1) ||
    echo "warning: could not install gnuplot-nox; no plots" >&2
fi
# Snapshot the binaries: other people may rebuild build/ while the set runs.
cp "$FERRY" "$WORK/ferry" && cp "$BENCH" "$WORK/ferry-bench" || die "could not copy the binaries"
FERRY=$WORK/ferry
BENCH=$WORK/ferry-bench
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
mkdir -p "$OUT"
: >"$RAW"

# ---- brokers ----

write_ferry_config() {  # threads port
  cat >"$WORK/ferry.toml" <<EOF
[server]
threads = $1
data_dir = "$WORK/data"
log_level = "warn"
[[listener]]
transport = "tcp"
bind = "127.0.0.1:$2"
nodelay = true
backlog = 4096
[limits]
max_queued_messages = 1000000
max_queued_bytes = 4294967296
max_connections = 1000000
max_inflight_messages = 65535
receive_maximum = 65535
[storage]
backend = "${FERRY_STORAGE:-memory}"
[auth]
allow_anonymous = true
EOF
  if [[ ${FERRY_SN:-0} == 1 ]]; then  # the MQTT-SN gateway, for the sn* scenarios
    cat >>"$WORK/ferry.toml" <<EOF
[[listener]]
transport = "mqttsn"
bind = "127.0.0.1:$SN_PORT"
[mqttsn]
max_queued_messages = 1000
EOF
  fi
}

write_mosquitto_config() {  # port
  cat >"$WORK/mosquitto.conf" <<EOF
listener $1 127.0.0.1
allow_anonymous true
persistence false
max_queued_messages 1000000
max_inflight_messages 0
set_tcp_nodelay true
log_dest none
EOF
}

start_broker() {  # name threads
  PORT=$((PORT + 1))
  SN_PORT=$((PORT + 20000))
  mkdir -p "$WORK/data"
  if [[ $1 == ferry ]]; then
    write_ferry_config "$2" "$PORT"
    local cpus=0
    [[ $2 -gt 1 ]] && cpus=0,1
    taskset -c "$cpus" "$FERRY" run --config "$WORK/ferry.toml" >"$WORK/broker.log" 2>&1 &
  else
    write_mosquitto_config "$PORT"
    taskset -c 0 "$MOSQ" -c "$WORK/mosquitto.conf" >"$WORK/broker.log" 2>&1 &
  fi
  BROKER_PID=$!
  for _ in $(seq 100); do
    if ss -ltn "sport = :$PORT" | grep -q LISTEN &&
      { [[ ${FERRY_SN:-0} != 1 ]] || ss -uln "sport = :$SN_PORT" | grep -q UNCONN; }; then
      sleep 0.1  # let it settle before the RSS baseline
      return 0
    fi
    kill -0 "$BROKER_PID" 2>/dev/null || break
    sleep 0.05
  done
  cat "$WORK/broker.log" >&2
  die "$1 did not start listening on $PORT"
}

stop_broker() {
  if ! kill -0 "$BROKER_PID" 2>/dev/null; then
    echo "  !! broker exited during the run (crash?):" >&2
    tail -5 "$WORK/broker.log" >&2
  fi
  kill "$BROKER_PID" 2>/dev/null || true
  wait "$BROKER_PID" 2>/dev/null || true
  BROKER_PID=""
}

# ---- runs ----

# run TAG BROKER THREADS SCENARIO ARGS...: REPS runs, each against a fresh broker; every
# summary line goes to $RAW prefixed with "tag=TAG".
run() {
  local tag=$1 broker=$2 threads=$3 scenario=$4
  shift 4
  local i line rc
  for i in $(seq "$REPS"); do
    start_broker "$broker" "$threads"
    rc=0
    line=$(taskset -c 1 "$BENCH" "$scenario" --quiet --port "$PORT" --sn-port "$SN_PORT" \
      --broker "$broker" --broker-pid "$BROKER_PID" "$@" 2>"$WORK/bench.err" | tail -1) || rc=$?
    stop_broker
    if [[ $rc -ne 0 ]]; then
      echo "  !! $tag $broker run $i: ferry-bench exit $rc: $(head -c 400 "$WORK/bench.err")" >&2
    fi
    [[ -n $line ]] && echo "tag=$tag rep=$i exit=$rc $line" >>"$RAW"
    printf '  %-22s %-9s #%d %s\n' "$tag" "$broker" "$i" "$(summary_brief "$line")" >&2
  done
}

summary_brief() {
  echo "$1" | tr ' ' '\n' | grep -E '^(deliveries_per_s|p99_us|connects_per_s|bytes_per_conn|sn_bytes_per_client|fetch_ms|loss_pct|gen_cpu|broker_cpu|broker_wait|verify)=' | tr '\n' ' '
}

# stat TAG BROKER KEY -> "median min max n" over the runs of TAG/BROKER
stat() {
  awk -v tag="$1" -v broker="$2" -v key="$3" '
    { t=""; b=""; v="";
      for (i = 1; i <= NF; i++) { split($i, kv, "=");
        if (kv[1] == "tag") t = kv[2]; else if (kv[1] == "broker") b = kv[2]; else if (kv[1] == key) v = kv[2] }
      if (t == tag && b == broker && v != "") vals[n++] = v + 0 }
    END { if (n == 0) { print "nan nan nan 0"; exit }
      for (i = 0; i < n; i++) for (j = i + 1; j < n; j++) if (vals[j] < vals[i]) { x = vals[i]; vals[i] = vals[j]; vals[j] = x }
      med = (n % 2) ? vals[int(n / 2)] : (vals[n / 2 - 1] + vals[n / 2]) / 2
      print med, vals[0], vals[n - 1], n }' "$RAW"
}
median() { stat "$@" | cut -d' ' -f1; }
spread() {  # (max-min)/median in percent
  stat "$@" | awk '{ if ($4 == 0 || $1 == 0) print "-"; else printf "%.0f%%", 100 * ($3 - $2) / $1 }'
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b + 0 == 0 || a == "nan" || b == "nan") print "nan"; else printf "%.2f", a / b }'; }
csv_row() {  # tag broker key param
  local s
  s=$(stat "$1" "$2" "$3")
  echo "$1,$4,$2,$3,${s// /,}" >>"$CSV"
}

source "$ROOT/bench/report.sh"

# ---- the standard set ----

# MQTT-SN through Ferry's integrated gateway: Mosquitto has none, so Ferry only.
sn_runs() {
  echo "== MQTT-SN, Ferry only (Mosquitto has no MQTT-SN gateway): QoS 0, 16-byte payload" >&2
  local n
  for n in $SN_SET; do
    FERRY_SN=1 run "snfanout_$n" ferry 1 snfanout -n "$n" -s 16 -q 0 -d "$DUR" -w "$WARM" -k 600
  done
  # QoS 1: every delivery acknowledged by a sensor (PUBACK bursts into the gateway).
  FERRY_SN=1 run "snfanout_q1_1000" ferry 1 snfanout -n 1000 -s 16 -q 1 -d "$DUR" -w "$WARM" -k 600
  FERRY_SN=1 run "snfanin_$SN_PUBS" ferry 1 snfanin -p "$SN_PUBS" -s 16 -q 0 -d "$DUR" -w "$WARM" \
    -k 600
}

start_time=$(date +%s)
if [[ $SN_ONLY == 1 ]]; then
  echo "ferry-bench MQTT-SN runs only ($([[ $QUICK == 1 ]] && echo QUICK || echo full)), $REPS runs" \
    "per figure, broker on CPU 0, generator on CPU 1; results in $OUT" >&2
  sn_runs
  echo "tag,param,broker,metric,median,min,max,runs" >"$CSV"
  sn_report | tee "$OUT/summary.txt"
  if grep -q -v ' exit=0 ' "$RAW"; then
    echo "VERIFICATION: runs failed (loss at QoS 1, client errors); see $RAW:"
    grep -v ' exit=0 ' "$RAW" | cut -c1-200 | sed 's/^/  /'
  fi
  echo "done in $(($(date +%s) - start_time)) s; CSV in $OUT" >&2
  exit 0
fi
echo "ferry-bench standard set ($([[ $QUICK == 1 ]] && echo QUICK || echo full)), $REPS runs per figure," \
  "broker on CPU 0, generator on CPU 1; results in $OUT" >&2

echo "== fan-out, QoS 0, 16-byte payload, 1 publisher -> N subscribers" >&2
for n in $SUBS_SET; do
  for b in ferry mosquitto; do
    run "fanout_$n" "$b" 1 fanout -n "$n" -s 16 -q 0 -d "$DUR" -w "$WARM"
  done
done

echo "== fan-in, QoS 1, 16 publishers -> 1 subscriber" >&2
for b in ferry mosquitto; do
  run fanin_q1 "$b" 1 fanin -p 16 -q 1 -s 16 -d "$DUR" -w "$WARM"
done

echo "== durability: QoS 1 fan-in, 16 publishers -> 1 persistent subscriber" >&2
for b in ferry mosquitto; do
  run fanin_q1_persistent "$b" 1 fanin --persistent -p 16 -q 1 -s 16 -d "$DUR" -w "$WARM"
done
FERRY_STORAGE=sqlite run fanin_q1_persistent_sqlite ferry 1 fanin --persistent -p 16 -q 1 -s 16 \
  -d "$DUR" -w "$WARM"

echo "== scaling: Ferry threads=2 fan-out to $TARGET_SUBS (broker on CPUs 0-1: the generator shares CPU 1)" >&2
run "fanout_${TARGET_SUBS}_t2" ferry 2 fanout -n "$TARGET_SUBS" -s 16 -q 0 -d "$DUR" -w "$WARM"

MOSQ_MAX=$(median "fanout_$TARGET_SUBS" mosquitto publishes_per_s)
echo "== latency vs rate ($TARGET_SUBS subscribers; Mosquitto's max fan-out rate: $MOSQ_MAX publishes/s)" >&2
for f in $RATE_FRACTIONS; do
  rate=$(awk -v m="$MOSQ_MAX" -v f="$f" 'BEGIN { r = m * f; if (r < 1) r = 1; printf "%.0f", r }')
  for b in ferry mosquitto; do
    run "latency_$f" "$b" 1 latency -n "$TARGET_SUBS" -r "$rate" -s 16 -q 0 -d "$DUR" -w "$WARM"
  done
done

echo "== idle connections: connects/s and broker RSS per connection" >&2
for c in $CONN_SET; do
  for b in ferry mosquitto; do
    run "connect_$c" "$b" 1 connect -c "$c" --hold "$HOLD" -k 60
  done
done

echo "== retained: $RETAINED topics, then a new '#' subscriber" >&2
for b in ferry mosquitto; do
  run retained "$b" 1 retained --retained "$RETAINED" -s 16
done

sn_runs

report
durability_report() {
  local mem sql mos
  mem=$(median fanin_q1_persistent ferry publishes_per_s)
  sql=$(median fanin_q1_persistent_sqlite ferry publishes_per_s)
  mos=$(median fanin_q1_persistent mosquitto publishes_per_s)
  echo
  echo "durability (QoS 1 fan-in, persistent subscriber), msgs/s:"
  echo "  Ferry memory $mem   Ferry sqlite sync=ack $sql   Mosquitto (no sync on ack) $mos"
  local r
  r=$(ratio "$sql" "$mem")
  echo "  sqlite/memory $r (target >= 0.5: $(awk -v r="$r" 'BEGIN { print (r >= 0.5) ? "PASS" : "FAIL" }'))" \
    "  sqlite/Mosquitto $(ratio "$sql" "$mos")"
}
durability_report | tee -a "$OUT/summary.txt"
echo
echo "restart with 100 000 retained messages and 10 000 persistent sessions (sqlite, target < 2 s):"
"$ROOT/bench/restart.sh" | tee -a "$OUT/summary.txt"
plots
echo "done in $(($(date +%s) - start_time)) s; CSV and plots in $OUT" >&2
