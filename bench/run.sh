#!/usr/bin/env bash
# One benchmark run: generates the data if absent, then measures sluice against
# the sqlite3 command-line shell's .import on the same machine, in the same run.
#
#   bench/run.sh          (make bench runs it with the other sinks' scripts: bench/all.sh)
#
# Environment: SLUICE_BIN (default build/sluice), BENCH_OUT (default bench/out),
# BENCH_REPEAT (runs per measurement, default 3; the best is reported),
# BENCH_ONLY (a regular expression: only the measurements whose names match).
# Results: bench/out/sqlite-results.md, and their lines in bench/out/results.tsv.
# Every run's row count is verified: a run that loads the wrong number of rows
# fails the benchmark. See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
WORK=$OUT/work

[ -x "$SLUICE_BIN" ] || die "no sluice binary at $SLUICE_BIN (make build, or set SLUICE_BIN)"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed (scripts/setup.sh)"
ensure_data

count_rows() { sqlite3 "$1" "SELECT COUNT(*) FROM readings"; }
verify() { # db expected what
  local got
  got=$(count_rows "$1" 2>/dev/null || echo "no table")
  [ "$got" = "$2" ] || die "$3: expected $2 rows in readings, found $got"
}

TYPED_DDL="CREATE TABLE readings(sensor_id INTEGER NOT NULL, ts TEXT NOT NULL,
  temperature REAL, humidity REAL, pressure REAL, status TEXT);"

# Each measure_* function prepares a fresh database (untimed), times only the
# load, verifies the row count and prints the seconds.
measure_sqlite_large() { # untyped | typed
  local w=$WORK/sqlite-large t0 t1
  rm -rf "$w"; mkdir -p "$w"
  if [ "$1" = typed ]; then
    sqlite3 "$w/out.db" "$TYPED_DDL"
    t0=$(now)
    sqlite3 "$w/out.db" ".import --csv --skip 1 $LARGE readings" >/dev/null
  else
    t0=$(now)
    sqlite3 "$w/out.db" ".mode csv" ".import $LARGE readings" >/dev/null
  fi
  t1=$(now)
  verify "$w/out.db" "$ROWS" "sqlite3 .import ($1)"
  elapsed "$t0" "$t1"
}

run_sluice() { # workdir extra-args...
  local w=$1; shift
  "$SLUICE_BIN" once --source "$w/data" --sink "sqlite:$w/out.db" --ledger "$w/ledger.db" \
    --processed "$w/processed" --quarantine "$w/quarantine" --schema "$SCHEMA" \
    --settle-ms 0 "$@" >"$w/sluice.log" 2>&1 \
    || die "sluice once exited $? (log: $w/sluice.log)"
}

measure_sluice_large() {
  local w=$WORK/sluice-large t0 t1
  rm -rf "$w"; mkdir -p "$w/data"
  cp -p "$LARGE" "$w/data/"
  t0=$(now)
  run_sluice "$w" --after-load keep
  t1=$(now)
  verify "$w/out.db" "$ROWS" "sluice once (large file)"
  elapsed "$t0" "$t1"
}

# The large file into a table with a unique index on the key (sensor_id, ts):
# sqlite3 .import into the typed table with that index made first, or sluice
# with --key, which makes the same index (and skips rows whose key exists).
measure_keyed() { # sqlite3 | sluice
  local w=$WORK/keyed t0 t1
  rm -rf "$w"; mkdir -p "$w/data"
  if [ "$1" = sqlite3 ]; then
    sqlite3 "$w/out.db" "$TYPED_DDL CREATE UNIQUE INDEX readings_key ON readings(sensor_id, ts);"
    t0=$(now)
    sqlite3 "$w/out.db" ".import --csv --skip 1 $LARGE readings" >/dev/null
  else
    cp -p "$LARGE" "$w/data/"
    t0=$(now)
    run_sluice "$w" --after-load keep --key sensor_id,ts
  fi
  t1=$(now)
  verify "$w/out.db" "$ROWS" "$1, keyed"
  elapsed "$t0" "$t1"
}

measure_sqlite_small() { # default | wal
  local w=$WORK/sqlite-small t0 t1 f first=1
  rm -rf "$w"; mkdir -p "$w"
  # One sqlite3 process; the first .import creates the table from the header.
  # "wal": the journal settings sluice's SQLite sink uses (WAL, synchronous=NORMAL),
  # so that the comparison is not only about fsync policy.
  {
    if [ "$1" = wal ]; then echo "PRAGMA journal_mode=WAL;"; echo "PRAGMA synchronous=NORMAL;"; fi
    for f in "$SMALL"/*.csv; do
      if [ $first = 1 ]; then echo ".import --csv $f readings"; first=0
      else echo ".import --csv --skip 1 $f readings"; fi
    done
  } > "$w/import.sql"
  t0=$(now)
  sqlite3 "$w/out.db" < "$w/import.sql" >/dev/null
  t1=$(now)
  verify "$w/out.db" "$SMALL_TOTAL" "sqlite3 .import x$SMALL_FILES ($1)"
  elapsed "$t0" "$t1"
}

measure_sluice_small() {
  local w=$WORK/sluice-small t0 t1 n
  rm -rf "$w"; mkdir -p "$w/data"
  cp -p "$SMALL"/*.csv "$w/data/"
  t0=$(now)
  run_sluice "$w"
  t1=$(now)
  verify "$w/out.db" "$SMALL_TOTAL" "sluice once ($SMALL_FILES files)"
  n=$(find "$w/processed" -type f | wc -l)
  [ "$n" = "$SMALL_FILES" ] || die "sluice once: $n of $SMALL_FILES files in processed/"
  elapsed "$t0" "$t1"
}

# name|runs|command|label|rows|files[|vs] (run by run_measurements; files empty
# for the large file). Each tool's ratio is against vs, or sluice_large, or
# sluice_small for the small files.
# shellcheck disable=SC2034
MEASUREMENTS=(
  "sqlite_large_untyped|$REPEAT|measure_sqlite_large untyped|sqlite3 .import, 1M rows, table created by .import|$ROWS|"
  "sqlite_large_typed|$REPEAT|measure_sqlite_large typed|sqlite3 .import, 1M rows, typed table|$ROWS|"
  "sluice_large|$REPEAT|measure_sluice_large|sluice once, 1M rows, declared schema|$ROWS|"
  "sqlite_keyed|$REPEAT|measure_keyed sqlite3|sqlite3 .import, 1M rows, typed table with a unique index (sensor_id, ts)|$ROWS||sluice_keyed"
  "sluice_keyed|$REPEAT|measure_keyed sluice|sluice once, 1M rows, declared schema, key (sensor_id, ts)|$ROWS|"
  "sqlite_small|$REPEAT|measure_sqlite_small default|sqlite3 .import x$SMALL_FILES files, one process|$SMALL_TOTAL|$SMALL_FILES"
  "sqlite_small_wal|$REPEAT|measure_sqlite_small wal|sqlite3 .import x$SMALL_FILES files, one process, WAL + synchronous=NORMAL|$SMALL_TOTAL|$SMALL_FILES"
  "sluice_small|$REPEAT|measure_sluice_small|sluice once, $SMALL_FILES files, declared schema|$SMALL_TOTAL|$SMALL_FILES"
)
run_measurements
rm -rf "$WORK"

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
BENCH_NAME=sqlite write_results "$OUT/sqlite-results.md" \
  "Machine: $(nproc) cores, $cpu; $(sqlite3 --version | cut -d' ' -f1-2 | sed 's/^/sqlite3 /')"
