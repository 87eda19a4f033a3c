#!/usr/bin/env bash
# One benchmark run: generates the data if absent, then measures sluice against
# the sqlite3 command-line shell's .import on the same machine, in the same run.
#
#   bench/run.sh                      (or: make bench)
#
# Environment: SLUICE_BIN (default build/sluice), BENCH_OUT (default bench/out),
# BENCH_REPEAT (runs per measurement, default 3; the best is reported).
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

declare -A times
NAMES="sqlite_large_untyped sqlite_large_typed sluice_large sqlite_keyed sluice_keyed sqlite_small sqlite_small_wal sluice_small"
for name in $NAMES; do
  times[$name]=""
done
for i in $(seq "$REPEAT"); do
  echo "bench: run $i of $REPEAT" >&2
  times[sqlite_large_untyped]+=" $(measure_sqlite_large untyped)"
  times[sqlite_large_typed]+=" $(measure_sqlite_large typed)"
  times[sluice_large]+=" $(measure_sluice_large)"
  times[sqlite_keyed]+=" $(measure_keyed sqlite3)"
  times[sluice_keyed]+=" $(measure_keyed sluice)"
  times[sqlite_small]+=" $(measure_sqlite_small default)"
  times[sqlite_small_wal]+=" $(measure_sqlite_small wal)"
  times[sluice_small]+=" $(measure_sluice_small)"
done
rm -rf "$WORK"

declare -A b m
for name in "${!times[@]}"; do
  # shellcheck disable=SC2086
  b[$name]=$(best ${times[$name]})
  # shellcheck disable=SC2086
  m[$name]=$(median ${times[$name]})
done

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
results=$OUT/results.md
{
  echo "Benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git describe --always --dirty 2>/dev/null || echo '?'), $("$SLUICE_BIN" --version 2>/dev/null || echo 'sluice ?') at $SLUICE_BIN"
  echo "Machine: $(nproc) cores, $cpu; $(sqlite3 --version | cut -d' ' -f1-2 | sed 's/^/sqlite3 /')"
  echo "Best of $REPEAT runs (median in brackets). Ratio = sqlite3 seconds / sluice seconds (>1: sluice faster)."
  echo
  echo "| measurement | seconds | rows/s | files/s | ratio sluice/sqlite3 |"
  echo "|---|---:|---:|---:|---:|"
  echo "| sqlite3 .import, 1M rows, table created by .import | ${b[sqlite_large_untyped]} (${m[sqlite_large_untyped]}) | $(rate $ROWS "${b[sqlite_large_untyped]}") | | |"
  echo "| sqlite3 .import, 1M rows, typed table | ${b[sqlite_large_typed]} (${m[sqlite_large_typed]}) | $(rate $ROWS "${b[sqlite_large_typed]}") | | |"
  echo "| sluice once, 1M rows, declared schema | ${b[sluice_large]} (${m[sluice_large]}) | $(rate $ROWS "${b[sluice_large]}") | | $(ratio "${b[sqlite_large_untyped]}" "${b[sluice_large]}") vs untyped, $(ratio "${b[sqlite_large_typed]}" "${b[sluice_large]}") vs typed |"
  echo "| sqlite3 .import, 1M rows, typed table, unique index (sensor_id, ts) | ${b[sqlite_keyed]} (${m[sqlite_keyed]}) | $(rate $ROWS "${b[sqlite_keyed]}") | | |"
  echo "| sluice once, 1M rows, declared schema, key (sensor_id, ts) | ${b[sluice_keyed]} (${m[sluice_keyed]}) | $(rate $ROWS "${b[sluice_keyed]}") | | $(ratio "${b[sqlite_keyed]}" "${b[sluice_keyed]}") vs keyed |"
  echo "| sqlite3 .import x$SMALL_FILES files, one process | ${b[sqlite_small]} (${m[sqlite_small]}) | $(rate $SMALL_TOTAL "${b[sqlite_small]}") | $(rate $SMALL_FILES "${b[sqlite_small]}") | |"
  echo "| sqlite3 .import x$SMALL_FILES files, one process, WAL + synchronous=NORMAL | ${b[sqlite_small_wal]} (${m[sqlite_small_wal]}) | $(rate $SMALL_TOTAL "${b[sqlite_small_wal]}") | $(rate $SMALL_FILES "${b[sqlite_small_wal]}") | |"
  echo "| sluice once, $SMALL_FILES files, declared schema | ${b[sluice_small]} (${m[sluice_small]}) | $(rate $SMALL_TOTAL "${b[sluice_small]}") | $(rate $SMALL_FILES "${b[sluice_small]}") | $(ratio "${b[sqlite_small]}" "${b[sluice_small]}") vs default, $(ratio "${b[sqlite_small_wal]}" "${b[sluice_small]}") vs WAL |"
  echo
  echo "All runs (seconds):"
  for name in $NAMES; do
    echo "- $name:${times[$name]}"
  done
} > "$results"
cat "$results"
echo
echo "bench: results written to $results" >&2
