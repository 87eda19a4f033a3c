#!/usr/bin/env bash
# Reader throughput: `sluice check` with the declared schema
# (bench/sensors.schema.yaml: every value parsed and validated, nothing loaded)
# on the 1M-row sensor file as CSV and as JSON Lines, beside simdjson's own parse
# rate on the same JSONL file:
#
#   bench/reader.sh
#
# The JSONL file holds the CSV's rows, one object per line with the CSV's keys in
# order: sensor_id and the three floats as JSON numbers (the CSV's digits), ts and
# status as strings. It is made from the CSV here, once per data set (same bytes
# on every run), under $BENCH_OUT/data/jsonl. bench/simdjson_probe.cc, compiled
# here, reads the JSONL file into memory and parses every line, touching every
# field, with simdjson's document stream (parse_many) and with one parse per
# line; the ratio is sluice's JSONL MB per CPU second over the document
# stream's (the faster of the two ways; one core).
#
# Each sluice run is timed by GNU time (/usr/bin/time): wall seconds, user+sys
# CPU seconds, peak RSS. Reported: the best of BENCH_REPEAT runs (by CPU
# seconds; wall and RSS of that run), MB/s (10^6 bytes of the file) over wall
# and over CPU seconds, rows/s (wall). Every run must exit 0 with the file's row
# count in its report.
#
# Installs what it needs (scripts/setup.sh core). Environment: SLUICE_BIN
# (default build/sluice, built if missing), BENCH_OUT (default bench/out),
# BENCH_REPEAT (runs per measurement, default 3). Results:
# $BENCH_OUT/reader-results.md; see docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
WORK=$OUT/work-reader
PROBE=$OUT/simdjson_probe
JSONL_DATA=$DATA/jsonl
JSONL=$JSONL_DATA/readings.jsonl
RESULTS=$OUT/reader-results.md

scripts/setup.sh core
ensure_sluice
ensure_data
mkdir -p "$OUT" "$WORK"
if [ ! -x "$PROBE" ] || [ bench/simdjson_probe.cc -nt "$PROBE" ]; then
  # shellcheck disable=SC2046  # pkg-config prints several words
  c++ -std=c++20 -O2 -Wall bench/simdjson_probe.cc -o "$PROBE" \
    $(pkg-config --cflags --libs simdjson) || die "cannot compile bench/simdjson_probe.cc"
fi

# The JSONL twin of the CSV, made once per data set (as bench/parquet.sh does).
if [ "$(cat "$JSONL_DATA/.stamp" 2>/dev/null)" != "$(cat "$DATA/.stamp")" ]; then
  rm -rf "$JSONL_DATA"; mkdir -p "$JSONL_DATA"
  python3 - "$LARGE" "$JSONL.tmp" <<'PY'
import sys
src, dst = sys.argv[1], sys.argv[2]
with open(src, newline="") as f, open(dst, "w", newline="") as out:
    header = f.readline().rstrip("\n").split(",")
    assert header == ["sensor_id", "ts", "temperature", "humidity", "pressure", "status"], header
    buf = []
    for line in f:
        s, ts, t, h, p, st = line.rstrip("\n").split(",")
        buf.append(f'{{"sensor_id":{s},"ts":"{ts}","temperature":{t},"humidity":{h},'
                   f'"pressure":{p},"status":"{st}"}}\n')
        if len(buf) >= 10000:
            out.write("".join(buf))
            buf.clear()
    out.write("".join(buf))
PY
  mv "$JSONL.tmp" "$JSONL"
  cat "$DATA/.stamp" > "$JSONL_DATA/.stamp"
fi

# One `sluice check` of file $1: prints "wall cpu rss_kb".
check_once() { # file
  local w=$WORK/check log=$WORK/check.log t
  rm -rf "$w"; mkdir -p "$w"
  /usr/bin/time -o "$w/time" -f "%e %U %S %M" "$SLUICE_BIN" check --schema "$SCHEMA" \
    --ledger "$w/ledger.db" "$1" >"$log" 2>&1 || die "sluice check $1 exited $? (log: $log)"
  grep -q "$ROWS rows" "$log" || die "sluice check $1: no '$ROWS rows' in its report (log: $log)"
  t=$(cat "$w/time")
  awk '{ printf "%s %.2f %s\n", $1, $2 + $3, $4 }' <<< "$t"
}

# Best of REPEAT runs of file $1 by CPU seconds: sets wall, cpu, rss (kB) and runs.
measure_check() { # file
  local r line best_line=
  runs=()
  for r in $(seq "$REPEAT"); do
    line=$(check_once "$1")
    runs+=("$line")
    echo "bench: check $(basename "$1") run $r: wall cpu rss_kb = $line" >&2
    if [ -z "$best_line" ] || awk -v a="$line" -v b="$best_line" \
      'BEGIN { split(a, x, " "); split(b, y, " "); exit !(x[2] < y[2]) }'; then
      best_line=$line
    fi
  done
  read -r wall cpu rss <<< "$best_line"
}

mbps() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.1f", n / 1e6 / s }'; }
row() { # label bytes wall cpu rss_kb
  echo "| $1 | $(mbps "$2" "$3") | $(mbps "$2" "$4") | $(rate "$ROWS" "$3") | $3 | $4 | $(awk -v k="$5" 'BEGIN { printf "%.0f", k / 1024 }') |"
}

csv_bytes=$(stat -c %s "$LARGE")
jsonl_bytes=$(stat -c %s "$JSONL")
measure_check "$LARGE"; csv=("$wall" "$cpu" "$rss"); csv_runs=("${runs[@]}")
measure_check "$JSONL"; jsonl=("$wall" "$cpu" "$rss"); jsonl_runs=("${runs[@]}")
probe=$("$PROBE" --passes "$REPEAT" "$JSONL") || die "simdjson_probe failed"
echo "$probe" >&2
field() { sed -n "s/^$1 .*$2=\([^ ]*\).*/\1/p" <<< "$probe"; }
[ "$(field stream rows)" = "$ROWS" ] || die "simdjson_probe: expected $ROWS rows"
simd_cpu=$(field stream cpu_s)
ratio_simd=$(awk -v a="$jsonl_bytes" -v s="${jsonl[1]}" -v c="$simd_cpu" \
  'BEGIN { printf "%.2f", (a / s) / (a / c) }')

{
  echo "Reader run $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git describe --always --dirty 2>/dev/null || echo '?'), $("$SLUICE_BIN" --version 2>/dev/null || echo 'sluice ?'), load average $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
  echo "sluice check --schema bench/sensors.schema.yaml, $ROWS rows: CSV $(mbps "$csv_bytes" 1) MB, JSONL $(mbps "$jsonl_bytes" 1) MB."
  echo "Best of $REPEAT runs by CPU seconds (user+sys); MB/s = 10^6 bytes of the file per second; simdjson: in memory, one core, parse and touch every field."
  echo
  echo "| measurement | MB/s (wall) | MB/s per CPU second | rows/s (wall) | wall s | CPU s | peak RSS MiB |"
  echo "|---|---:|---:|---:|---:|---:|---:|"
  row "sluice check, CSV" "$csv_bytes" "${csv[@]}"
  row "sluice check, JSONL" "$jsonl_bytes" "${jsonl[@]}"
  for way in stream lines; do
    w=$(field $way wall_s); c=$(field $way cpu_s)
    case $way in stream) label="simdjson parse_many (document stream), JSONL" ;; *) label="simdjson parse per line, JSONL" ;; esac
    echo "| $label | $(mbps "$jsonl_bytes" "$w") | $(mbps "$jsonl_bytes" "$c") | $(rate "$ROWS" "$w") | $w | $c | |"
  done
  echo
  echo "sluice JSONL / simdjson document stream (MB per CPU second): $ratio_simd (target >= 0.5)."
  echo
  echo "All runs (wall s, CPU s, peak RSS kB):"
  echo "- CSV: $(printf '[%s] ' "${csv_runs[@]}")"
  echo "- JSONL: $(printf '[%s] ' "${jsonl_runs[@]}")"
} > "$RESULTS"
cat "$RESULTS"
echo "bench: results written to $RESULTS" >&2
