#!/usr/bin/env bash
# The Parquet benchmark (issue 16's speed targets), one run on one machine: the
# 1M-row sensor data (bench/gen_data.py) as a zstd Parquet file written by DuckDB
# (scripts/duckdb.sh, from npm) against the same rows as CSV.
#
#   - sluice once into SQLite: the Parquet file vs the CSV file
#   - sluice check (the reader alone, validation included): Parquet vs CSV, rows/s
#   - DuckDB read_parquet into a table (the anchor)
#   - after_load: parquet vs a plain load of the CSV; the archive's size vs
#     DuckDB's zstd file of the same rows; DuckDB's COPY ... TO parquet speed
#   - peak RSS (/usr/bin/time -v) of loading a big Parquet file written by DuckDB
#     (BENCH_PARQUET_BIG_MB, default 2048; rows of a 512-character hex payload, so
#     that the file reaches its size in about 7M rows and the run stays short)
#
#   bench/parquet.sh
#
# Environment: SLUICE_BIN (default build/sluice), BENCH_OUT (default bench/out),
# BENCH_REPEAT (runs per timing, default 3; best and median reported),
# BENCH_PARQUET_BIG_MB (0 skips the big file). Every load's row count is verified.
# Results: $BENCH_OUT/parquet-results.md. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
WORK=$OUT/parquet-work
BIG_MB=${BENCH_PARQUET_BIG_MB:-2048}
PARQUET_DATA=$DATA/parquet
PARQUET=$PARQUET_DATA/readings.parquet
DUCKDB=$ROOT/scripts/duckdb.sh

[ -x "$SLUICE_BIN" ] || die "no sluice binary at $SLUICE_BIN (make build, or set SLUICE_BIN)"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed (scripts/setup.sh)"
[ -x /usr/bin/time ] || die "/usr/bin/time is not installed (scripts/setup.sh)"
ensure_data
"$DUCKDB" -c "SELECT 1" >/dev/null || die "DuckDB is not available (scripts/duckdb.sh)"

# The CSV's columns as the declared schema types them.
CSV_SOURCE="read_csv('$LARGE', header = true, columns = {'sensor_id': 'BIGINT',
  'ts': 'TIMESTAMPTZ', 'temperature': 'DOUBLE', 'humidity': 'DOUBLE', 'pressure': 'DOUBLE',
  'status': 'VARCHAR'})"

duck() { "$DUCKDB" -c "$1" >/dev/null || die "DuckDB failed: $1"; }
duck_value() { "$DUCKDB" -c "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["results"][-1]["rows"][0][0])'; }
size_of() { stat -c %s "$1"; }

# The Parquet files, made once per data set (and size of the big file).
if [ "$(cat "$PARQUET_DATA/.stamp" 2>/dev/null)" != "$(cat "$DATA/.stamp")" ]; then
  rm -rf "$PARQUET_DATA"; mkdir -p "$PARQUET_DATA"
  duck "COPY (SELECT * FROM $CSV_SOURCE) TO '$PARQUET' (FORMAT parquet, COMPRESSION zstd)"
  touch -d '10 minutes ago' "$PARQUET"
  cat "$DATA/.stamp" > "$PARQUET_DATA/.stamp"
fi
if [ "$BIG_MB" -gt 0 ] && [ "$(cat "$PARQUET_DATA/.big-stamp" 2>/dev/null)" != "$BIG_MB" ]; then
  rm -f "$PARQUET_DATA/big.parquet"
  echo "bench: writing a ${BIG_MB} MB Parquet file with DuckDB" >&2
  # About 300 bytes a row once compressed (the hex payload halves).
  big_rows=$((BIG_MB * 3500))
  duck "COPY (SELECT (i % 5000) + 1 AS sensor_id,
      TIMESTAMPTZ '2026-03-01 00:00:00+00' + to_milliseconds(i * 20) AS ts,
      -20 + (i % 6000) / 100.0 AS temperature, (i % 100000) / 1000.0 AS humidity,
      950 + (i % 100000) / 1000.0 AS pressure,
      ['ok', 'warn', 'fail', 'maintenance'][(i % 4) + 1] AS status,
      concat(md5(i::VARCHAR || '-0'), md5(i::VARCHAR || '-1'), md5(i::VARCHAR || '-2'), md5(i::VARCHAR || '-3'),
        md5(i::VARCHAR || '-4'), md5(i::VARCHAR || '-5'), md5(i::VARCHAR || '-6'), md5(i::VARCHAR || '-7'),
        md5(i::VARCHAR || '-8'), md5(i::VARCHAR || '-9'), md5(i::VARCHAR || '-10'), md5(i::VARCHAR || '-11'),
        md5(i::VARCHAR || '-12'), md5(i::VARCHAR || '-13'), md5(i::VARCHAR || '-14'), md5(i::VARCHAR || '-15')) AS payload
    FROM range($big_rows) t(i))
    TO '$PARQUET_DATA/big.parquet' (FORMAT parquet, COMPRESSION zstd)"
  touch -d '10 minutes ago' "$PARQUET_DATA/big.parquet"
  echo "$BIG_MB" > "$PARQUET_DATA/.big-stamp"
fi

verify() { # db table expected what
  local got
  got=$(sqlite3 "$1" "SELECT COUNT(*) FROM $2" 2>/dev/null || echo "no table")
  [ "$got" = "$3" ] || die "$4: expected $3 rows in $2, found $got"
}

# sluice once of FILE into a fresh SQLite database; prints the seconds.
load() { # file after-load [schema]
  local w=$WORK/load t0 t1 schema=(--schema "$SCHEMA")
  [ "${3:-}" = inferred ] && schema=()
  rm -rf "$w"; mkdir -p "$w/data"
  cp -p "$1" "$w/data/readings.${1##*.}"
  t0=$(now)
  "$SLUICE_BIN" once --source "$w/data" --sink "sqlite:$w/out.db" --ledger "$w/ledger.db" \
    --processed "$w/processed" --quarantine "$w/quarantine" "${schema[@]}" \
    --settle-ms 0 --after-load "$2" >"$w/sluice.log" 2>&1 ||
    die "sluice once exited $? (log: $w/sluice.log)"
  t1=$(now)
  verify "$w/out.db" readings "$ROWS" "sluice once $1"
  elapsed "$t0" "$t1"
}
load_csv() { load "$LARGE" keep; }
load_parquet() { load "$PARQUET" keep; }
load_csv_archived() {
  load "$LARGE" parquet
  size_of "$WORK/load/processed/readings.parquet" > "$WORK/archive-size"
}
check() { # file
  local t0 t1
  t0=$(now)
  "$SLUICE_BIN" check --schema "$SCHEMA" --ledger "$WORK/check-ledger.db" "$1" \
    >"$WORK/check.log" 2>&1 || die "sluice check $1 failed (log: $WORK/check.log)"
  t1=$(now)
  grep -q "^[^:]*: $ROWS rows read, 0 bad" "$WORK/check.log" ||
    die "sluice check $1: $(cat "$WORK/check.log")"
  elapsed "$t0" "$t1"
}
check_csv() { check "$LARGE"; }
check_parquet() { check "$PARQUET"; }
# The seconds DuckDB spends on SQL2 after SQL1, timed inside DuckDB (each
# statement is a transaction of its own, and now() is its start), so that
# starting Node.js and DuckDB does not count.
duck_time() { # sql1 sql2
  "$DUCKDB" -c "$1; SELECT epoch_us(now())::VARCHAR; $2; SELECT epoch_us(now())::VARCHAR;" |
    python3 -c 'import json, sys
r = json.load(sys.stdin)["results"]
print("%.3f" % ((int(r[-1]["rows"][0][0]) - int(r[-3]["rows"][0][0])) / 1e6))' ||
    die "DuckDB failed: $2"
}
duck_read() { duck_time "SELECT 1" "CREATE TABLE t AS SELECT * FROM read_parquet('$PARQUET')"; }
duck_write() {
  duck_time "CREATE TABLE t AS SELECT * FROM read_parquet('$PARQUET')" \
    "COPY t TO '$WORK/duck.parquet' (FORMAT parquet, COMPRESSION zstd)"
}

NAMES="load_csv load_parquet check_csv check_parquet duck_read load_csv_archived duck_write"
MEASUREMENTS=()
for name in $NAMES; do MEASUREMENTS+=("$name|$REPEAT|$name"); done
mkdir -p "$WORK"
BENCH_ONLY="" run_measurements  # sets b (best), m (median), all (every run) by name
SLUICE_NAMES='load_.*|check_.*' record_measurements "$ROWS"  # the lines of bench/all.sh's table
archive_size=$(cat "$WORK/archive-size")
duck_size=$(size_of "$PARQUET")

big_line="| peak RSS, loading a big Parquet file | skipped (BENCH_PARQUET_BIG_MB=0) | | |"
if [ "$BIG_MB" -gt 0 ]; then
  big=$PARQUET_DATA/big.parquet
  big_rows=$(duck_value "SELECT count(*)::VARCHAR FROM read_parquet('$big')")
  w=$WORK/big
  rm -rf "$w"; mkdir -p "$w/data"
  ln "$big" "$w/data/big.parquet" 2>/dev/null || cp -p "$big" "$w/data/big.parquet"
  t0=$(now)
  /usr/bin/time -v "$SLUICE_BIN" once --source "$w/data" --sink "sqlite:$w/out.db" \
    --ledger "$w/ledger.db" --processed "$w/processed" --quarantine "$w/quarantine" \
    --settle-ms 0 --after-load keep >"$w/sluice.log" 2>"$w/time.log" ||
    die "sluice once of the big file failed (logs: $w)"
  t1=$(now)
  verify "$w/out.db" big "$big_rows" "sluice once (big file)"
  rss_kb=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$w/time.log")
  big_s=$(elapsed "$t0" "$t1")
  big_line="| peak RSS, loading a $(awk -v s="$(size_of "$big")" 'BEGIN { printf "%.2f GB", s / 1e9 }') Parquet file ($big_rows rows, zstd, DuckDB) into SQLite | $big_s s | $(rate "$big_rows" "$big_s") rows/s | **$((rss_kb / 1024)) MB** peak RSS |"
  rm -rf "$w"
fi

ratio_of() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2fx", a / b }'; }
results=$OUT/parquet-results.md
{
  echo "Parquet benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git describe --always --dirty 2>/dev/null || echo '?'), $("$SLUICE_BIN" --version 2>/dev/null || echo 'sluice ?')"
  echo "Machine: $(nproc) cores, $(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo); DuckDB from scripts/duckdb.sh. $ROWS rows; best of $REPEAT runs (median in brackets)."
  echo
  echo "| measurement | seconds | rows/s | vs |"
  echo "|---|---:|---:|---|"
  echo "| sluice once, CSV into SQLite | ${b[load_csv]} (${m[load_csv]}) | $(rate $ROWS "${b[load_csv]}") | |"
  echo "| sluice once, Parquet (zstd, DuckDB) into SQLite | ${b[load_parquet]} (${m[load_parquet]}) | $(rate $ROWS "${b[load_parquet]}") | $(ratio_of "${b[load_parquet]}" "${b[load_csv]}") the CSV load's time (target ≤ 0.8x) |"
  echo "| sluice check, CSV | ${b[check_csv]} (${m[check_csv]}) | $(rate $ROWS "${b[check_csv]}") | |"
  echo "| sluice check, Parquet | ${b[check_parquet]} (${m[check_parquet]}) | $(rate $ROWS "${b[check_parquet]}") | $(ratio_of "${b[check_csv]}" "${b[check_parquet]}") the CSV reader's rows/s (target ≥ 2x) |"
  echo "| DuckDB read_parquet into a table (anchor; timed inside DuckDB) | ${b[duck_read]} (${m[duck_read]}) | $(rate $ROWS "${b[duck_read]}") | |"
  echo "| sluice once, CSV into SQLite, after_load: parquet | ${b[load_csv_archived]} (${m[load_csv_archived]}) | $(rate $ROWS "${b[load_csv_archived]}") | +$(awk -v a="${b[load_csv_archived]}" -v b="${b[load_csv]}" 'BEGIN { printf "%.0f", (a / b - 1) * 100 }')% over the plain load (target ≤ +30%) |"
  echo "| DuckDB COPY TO parquet (zstd) of the same rows from a table (timed inside DuckDB) | ${b[duck_write]} (${m[duck_write]}) | $(rate $ROWS "${b[duck_write]}") | |"
  echo "| archive size: sluice $archive_size bytes, DuckDB $duck_size bytes | | | $(ratio_of "$archive_size" "$duck_size") DuckDB's (target ≤ 1.2x) |"
  echo "$big_line"
  echo
  echo "All runs (seconds):"
  for name in $NAMES; do echo "- $name: ${all[$name]}"; done
  echo "Peak RSS of sluice (MiB, the largest of the runs):$(for name in $NAMES; do [ -z "${rss[$name]}" ] || printf ' %s %s' "$name" "${rss[$name]}"; done)"
} > "$results"
rm -rf "$WORK"
cat "$results"
echo "bench: results written to $results" >&2
