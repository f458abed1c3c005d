# Sourced by bench/run.sh: the printed table, the CSV and the gnuplot plots.
# Uses run.sh's stat/median/spread/ratio/csv_row helpers and its settings.

row() {  # label ferry-tag mosq-tag key [lower-is-better]
  local fm mm
  fm=$(median "$2" ferry "$4")
  mm=$(median "$3" mosquitto "$4")
  printf '%-34s %14s %6s %14s %6s %8s\n' "$1" "$(fmt "$fm")" "$(spread "$2" ferry "$4")" \
    "$(fmt "$mm")" "$(spread "$3" mosquitto "$4")" "$(ratio "$fm" "$mm")"
  csv_row "$2" ferry "$4" "$1"
  csv_row "$3" mosquitto "$4" "$1"
}

# A figure only Ferry has (MQTT-SN: Mosquitto has no gateway): "n/a" for Mosquitto.
row_ferry_only() {  # label ferry-tag key
  local fm
  fm=$(median "$2" ferry "$3")
  printf '%-34s %14s %6s %14s %6s %8s\n' "$1" "$(fmt "$fm")" "$(spread "$2" ferry "$3")" n/a "" n/a
  csv_row "$2" ferry "$3" "$1"
}

lt() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "nan" && b != "nan" && a + 0 < b + 0) }' && echo 1 || echo 0; }

# The MQTT-SN rows and target (run.sh's sn_runs).
sn_report() {
  local n mem
  echo
  echo "MQTT-SN through Ferry's integrated gateway (UDP, QoS 0 unless said, 16 B; median of $REPS)." \
    "Mosquitto: n/a, it has no MQTT-SN gateway."
  printf '%-34s %14s %6s %14s %6s %8s\n' "figure" "Ferry" "spread" "Mosquitto" "spread" "F/M"
  printf '%.0s-' {1..88}; echo
  for n in $SN_SET; do
    row_ferry_only "snfanout $n SN subs deliveries/s" "snfanout_$n" deliveries_per_s
    row_ferry_only "snfanout $n SN subs loss %" "snfanout_$n" loss_pct
    row_ferry_only "snfanout $n SN bytes/client" "snfanout_$n" sn_bytes_per_client
  done
  row_ferry_only "snfanout 1000 SN QoS1 deliveries/s" "snfanout_q1_1000" deliveries_per_s
  row_ferry_only "snfanout 1000 SN QoS1 loss %" "snfanout_q1_1000" loss_pct
  row_ferry_only "snfanin $SN_PUBS SN pubs msgs/s" "snfanin_$SN_PUBS" deliveries_per_s
  row_ferry_only "snfanin $SN_PUBS SN pubs loss %" "snfanin_$SN_PUBS" loss_pct
  row_ferry_only "snfanin $SN_PUBS SN bytes/client" "snfanin_$SN_PUBS" sn_bytes_per_client
  mem=$(median "snfanout_$SN_TARGET" ferry sn_bytes_per_client)
  verdict_row "SN memory per client < 1 KiB ($SN_TARGET SN subscribers)" "$(lt "$mem" 1024)" \
    "$(fmt "$mem") bytes (broker RSS growth / SN clients, before any message is queued)"
}

fmt() { awk -v v="$1" 'BEGIN { if (v == "nan") print "nan"; else if (v >= 100) printf "%.0f", v; else printf "%.2f", v }'; }

verdict_row() {  # label ok(0/1) detail
  printf '%-58s %s  %s\n' "$1" "$([[ $2 == 1 ]] && echo PASS || echo FAIL)" "$3"
}

ge() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a != "nan" && b != "nan" && a + 0 >= b + 0) }' && echo 1 || echo 0; }

report() {
  echo "tag,param,broker,metric,median,min,max,runs" >"$CSV"
  echo
  printf '%-34s %14s %6s %14s %6s %8s\n' "figure (median of $REPS)" "Ferry" "spread" "Mosquitto" "spread" "F/M"
  printf '%.0s-' {1..88}; echo
  local n f c
  for n in $SUBS_SET; do
    row "fanout q0 $n subs deliveries/s" "fanout_$n" "fanout_$n" deliveries_per_s
  done
  row "fanin q1 16 pubs msgs/s" fanin_q1 fanin_q1 deliveries_per_s
  for f in $RATE_FRACTIONS; do
    row "latency @${f}x p50 us" "latency_$f" "latency_$f" p50_us
    row "latency @${f}x p99 us" "latency_$f" "latency_$f" p99_us
    row "latency @${f}x p99.9 us" "latency_$f" "latency_$f" p999_us
  done
  for c in $CONN_SET; do
    row "connect $c connects/s" "connect_$c" "connect_$c" connects_per_s
    row "connect $c bytes/conn" "connect_$c" "connect_$c" bytes_per_conn
  done
  row "retained $RETAINED fetch ms" retained retained fetch_ms
  row "fanout $TARGET_SUBS loss % (q0)" "fanout_$TARGET_SUBS" "fanout_$TARGET_SUBS" loss_pct
  local t1 t2 g2
  t1=$(median "fanout_$TARGET_SUBS" ferry deliveries_per_s)
  t2=$(median "fanout_${TARGET_SUBS}_t2" ferry deliveries_per_s)
  g2=$(median "fanout_${TARGET_SUBS}_t2" ferry gen_cpu)
  printf '%-34s %14s %6s  (threads=2; generator CPU %s of a core, sharing CPU 1 with the broker)\n' \
    "fanout $TARGET_SUBS t2 deliveries/s" "$(fmt "$t2")" "$(spread "fanout_${TARGET_SUBS}_t2" ferry deliveries_per_s)" "$g2"
  csv_row "fanout_${TARGET_SUBS}_t2" ferry deliveries_per_s "fanout $TARGET_SUBS t2 deliveries/s"

  echo
  echo "targets"
  local fo fi lat r10 r19
  fo=$(ratio "$t1" "$(median "fanout_$TARGET_SUBS" mosquitto deliveries_per_s)")
  verdict_row "fan-out q0 16B 1->$TARGET_SUBS: Ferry >= 2x Mosquitto" "$(ge "$fo" 2)" "ratio $fo"
  fi=$(ratio "$(median fanin_q1 ferry deliveries_per_s)" "$(median fanin_q1 mosquitto deliveries_per_s)")
  verdict_row "fan-in q1 16 publishers: Ferry >= 1.5x Mosquitto" "$(ge "$fi" 1.5)" "ratio $fi"
  local fp mp
  fp=$(median latency_0.5 ferry p99_us)
  mp=$(median latency_0.5 mosquitto p99_us)
  verdict_row "latency @0.5x Mosquitto max rate: Ferry p99 <= Mosquitto" "$(ge "$mp" "$fp")" "p99 $fp us vs $mp us"
  for c in 10000 19000; do
    fp=$(median "connect_$c" ferry bytes_per_conn)
    mp=$(median "connect_$c" mosquitto bytes_per_conn)
    verdict_row "idle $c connections: Ferry RSS/conn <= Mosquitto" "$(ge "$mp" "$fp")" "$fp vs $mp bytes"
  done
  local sc note=""
  sc=$(ratio "$t2" "$t1")
  if awk -v g="$g2" 'BEGIN { exit !(g + 0 >= 0.85) }'; then
    note=" -- generator-bound (ferry-bench used $g2 of its core)"
  fi
  verdict_row "Ferry threads=2 fan-out >= 1.6x threads=1" "$(ge "$sc" 1.6)" "ratio $sc$note"
  sn_report
  local bad
  bad=$(grep -c -v ' exit=0 ' "$RAW" || true)
  echo
  if [[ $bad -gt 0 ]]; then
    echo "VERIFICATION: $bad run(s) failed (loss/disorder/duplicates/client errors); see $RAW:"
    grep -v ' exit=0 ' "$RAW" | cut -c1-200 | sed 's/^/  /'
  else
    echo "verification: every run delivered what it should (QoS 0 loss shown above as a figure)"
  fi
}

plot_data() {  # file tag-prefix xs key broker...
  local file=$1 prefix=$2 xs=$3 key=$4 x b line
  shift 4
  : >"$file"
  for x in $xs; do
    line="$x"
    for b in "$@"; do
      line="$line $(median "${prefix}${x}" "$b" "$key")"
    done
    echo "$line" >>"$file"
  done
}

plots() {
  command -v gnuplot >/dev/null || { echo "no gnuplot: plots skipped" >&2; return 0; }
  plot_data "$OUT/fanout.dat" fanout_ "$SUBS_SET" deliveries_per_s ferry mosquitto
  : >"$OUT/latency.dat"
  local f rate
  for f in $RATE_FRACTIONS; do
    rate=$(awk -v m="$MOSQ_MAX" -v f="$f" 'BEGIN { printf "%.0f", m * f }')
    echo "$rate $(for k in p50_us p99_us p999_us; do printf '%s %s ' "$(median "latency_$f" ferry $k)" \
      "$(median "latency_$f" mosquitto $k)"; done)" >>"$OUT/latency.dat"
  done
  plot_data "$OUT/rss.dat" connect_ "$CONN_SET" rss_after_kb ferry mosquitto
  gnuplot <<EOF 2>"$OUT/gnuplot.err" || echo "gnuplot failed: see $OUT/gnuplot.err" >&2
set terminal pngcairo size 900,560 noenhanced
set grid
set key top left
set output "$OUT/fanout.png"
set title "Fan-out QoS 0, 16-byte payload: deliveries/s vs subscribers (broker 1 thread)"
set logscale x
set xlabel "subscribers"; set ylabel "deliveries/s"
plot "$OUT/fanout.dat" using 1:2 with linespoints lw 2 title "Ferry", \
     "" using 1:3 with linespoints lw 2 title "Mosquitto"
unset logscale x
set output "$OUT/latency.png"
set title "Publish-to-delivery latency vs rate ($TARGET_SUBS subscribers)"
set xlabel "publishes/s"; set ylabel "latency (us)"; set logscale y
plot "$OUT/latency.dat" using 1:2 with linespoints lw 2 title "Ferry p50", \
     "" using 1:4 with linespoints lw 2 title "Ferry p99", \
     "" using 1:6 with linespoints lw 2 title "Ferry p99.9", \
     "" using 1:3 with linespoints dt 2 lw 2 title "Mosquitto p50", \
     "" using 1:5 with linespoints dt 2 lw 2 title "Mosquitto p99", \
     "" using 1:7 with linespoints dt 2 lw 2 title "Mosquitto p99.9"
unset logscale y
set output "$OUT/rss.png"
set title "Broker RSS with idle connections (MiB)"
set xlabel "connections"; set ylabel "RSS (MiB)"
plot "$OUT/rss.dat" using 1:(\$2/1024) with linespoints lw 2 title "Ferry", \
     "" using 1:(\$3/1024) with linespoints lw 2 title "Mosquitto"
EOF
  echo "plots: $OUT/fanout.png $OUT/latency.png $OUT/rss.png" >&2
}
