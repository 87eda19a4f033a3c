#!/usr/bin/env bash
# Rename-to-visible latency: how long after a small file is renamed into the
# landing folder of a running `sluice run` its rows can be read from the target
# table, by another connection. For SQLite and for PostgreSQL:
#
#   bench/latency.sh
#
# Each run: a fresh database and work folder; `sluice run` with its defaults
# (a worker per core, exactly-once, after-load move; a renamed file is ready at
# once, the 1000 ms settle time does not apply to it), the declared schema
# bench/sensors.schema.yaml (every value validated) and --http off (so that
# concurrent runs do not fight over port 9464). Then bench/latency_probe.cc,
# compiled here, writes LATENCY_FILES files of LATENCY_ROWS rows each into a
# sibling staging folder and renames them into the landing folder at
# LATENCY_RATE files per second, while its reader thread polls the table (see
# the probe's header: one process, one monotonic clock; the reader polls every
# LATENCY_POLL_US microseconds while a renamed file is not yet visible, and
# reports how fine its polling was). One warm-up file, loaded first, is not
# counted. Every run checks that all rows arrived and all files reached
# processed/.
#
# Installs what it needs (scripts/setup.sh core postgres). PostgreSQL:
# $SLUICE_TEST_POSTGRES_URL if set, otherwise a throwaway server from
# scripts/servers/postgres.sh (stopped at the end). Environment: SLUICE_BIN
# (default build/sluice, built if missing), BENCH_OUT (default bench/out),
# BENCH_REPEAT (runs per sink, default 3), LATENCY_FILES (1000), LATENCY_RATE
# (20), LATENCY_ROWS (3), LATENCY_POLL_US (100), LATENCY_SINKS ("sqlite
# postgres"). Results: bench/out/latency-results.md (percentiles over the files
# of all runs, then each run), per-file figures in bench/out/latency-*.csv; see
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
FILES=${LATENCY_FILES:-1000}
RATE=${LATENCY_RATE:-20}
ROWS_PER_FILE=${LATENCY_ROWS:-3}
POLL_US=${LATENCY_POLL_US:-100}
SINKS=${LATENCY_SINKS:-sqlite postgres}
WORK=$OUT/work-latency
PROBE=$OUT/latency_probe
DB=bench_latency

scripts/setup.sh core postgres
ensure_sluice
mkdir -p "$OUT"
if [ ! -x "$PROBE" ] || [ bench/latency_probe.cc -nt "$PROBE" ]; then
  # shellcheck disable=SC2046  # pkg-config prints several words
  c++ -std=c++20 -O2 -Wall -pthread bench/latency_probe.cc -o "$PROBE" \
    $(pkg-config --cflags --libs sqlite3 libpq) || die "cannot compile bench/latency_probe.cc"
fi

trap stop_servers EXIT
case " $SINKS " in *" postgres "*) start_postgres ;; esac

# One run against sink $1 (in a subshell: its EXIT trap stops sluice if the run
# fails): prints the probe's summary line; the per-file figures go to
# $OUT/latency-$1-$2.csv.
measure() { # sink run
  local sink=$1 w=$WORK/$1 url summary got n sluice_pid expected=$(((FILES + 1) * ROWS_PER_FILE))
  rm -rf "$w"; mkdir -p "$w/landing" "$w/staging"
  case $sink in
    sqlite) url=sqlite:$w/out.db ;;
    postgres)
      sql "$URL" "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
      sql "$URL" "CREATE DATABASE $DB"
      url=$(db_url $DB) ;;
    *) die "unknown sink $sink (LATENCY_SINKS: sqlite, postgres)" ;;
  esac
  "$SLUICE_BIN" run --source "$w/landing" --sink "$url" --ledger "$w/ledger.db" \
    --processed "$w/processed" --quarantine "$w/quarantine" --schema "$SCHEMA" \
    --http off >"$w/sluice.log" 2>&1 &
  sluice_pid=$!
  trap 'kill "$sluice_pid" 2>/dev/null || true' EXIT
  summary=$("$PROBE" --sink "$url" --staging "$w/staging" --landing "$w/landing" \
    --files "$FILES" --rate "$RATE" --rows "$ROWS_PER_FILE" --poll-us "$POLL_US" \
    --out "$w/latency.csv") || die "the probe failed (sluice log: $w/sluice.log)"
  kill -TERM "$sluice_pid"
  wait "$sluice_pid" || die "sluice run exited $? (log: $w/sluice.log)"
  trap - EXIT
  case $sink in
    sqlite) got=$(sqlite3 "$w/out.db" "SELECT count(*) FROM readings") ;;
    postgres) got=$("$PSQL" -X -A -t -d "$url" -c "SELECT count(*) FROM readings") ;;
  esac
  [ "$got" = "$expected" ] || die "$sink: expected $expected rows in readings, found $got"
  n=$(find "$w/processed" -type f | wc -l)
  [ "$n" = "$((FILES + 1))" ] || die "$sink: $n of $((FILES + 1)) files in processed/"
  cp "$w/latency.csv" "$OUT/latency-$sink-$2.csv"
  echo "$summary"
}

latencies() { tail -n +2 "$@" | cut -d, -f2; }
ms() { # percentile csv-files...
  local p=$1; shift
  for f in "$@"; do latencies "$f"; done | percentile "$p"
}

declare -A summary load
for sink in $SINKS; do
  for run in $(seq "$REPEAT"); do
    echo "bench: $sink, run $run of $REPEAT ($FILES files at $RATE/s)" >&2
    load[$sink.$run]=$(cut -d' ' -f1-3 /proc/loadavg)
    summary[$sink.$run]=$(measure "$sink" "$run")
    echo "bench: $sink run $run: p50 $(ms 50 "$OUT/latency-$sink-$run.csv") ms, p99 $(ms 99 "$OUT/latency-$sink-$run.csv") ms" >&2
  done
done
rm -rf "$WORK"

cpu=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo 2>/dev/null || echo unknown)
results=$OUT/latency-results.md
{
  echo "Latency run $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git describe --always --dirty 2>/dev/null || echo '?'), $("$SLUICE_BIN" --version 2>/dev/null || echo 'sluice ?')"
  echo "Machine: $(nproc) cores, $cpu; $(sqlite3 --version | cut -d' ' -f1 | sed 's/^/sqlite3 /')$(case " $SINKS " in *" postgres "*) echo ", PostgreSQL $("$PSQL" -X -A -t -d "$URL" -c 'SHOW server_version')" ;; esac)"
  echo "$FILES files of $ROWS_PER_FILE rows at $RATE files/s per run, $REPEAT runs per sink; reader poll sleep ${POLL_US} us."
  echo "Milliseconds from the rename into the landing folder to the first read that returns the file's rows (all runs' files together)."
  echo
  echo "| sink | files | p50 ms | p90 ms | p99 ms | max ms |"
  echo "|---|---:|---:|---:|---:|---:|"
  for sink in $SINKS; do
    files=()
    for run in $(seq "$REPEAT"); do files+=("$OUT/latency-$sink-$run.csv"); done
    echo "| $sink | $((FILES * REPEAT)) | $(ms 50 "${files[@]}") | $(ms 90 "${files[@]}") | $(ms 99 "${files[@]}") | $(ms 100 "${files[@]}") |"
  done
  echo
  echo "Each run (load average before it; the reader: poll period and query time, and the resolution, i.e. how long before the read that saw a file the previous read did not):"
  echo
  echo "| sink | run | load avg | p50 ms | p90 ms | p99 ms | max ms | reader |"
  echo "|---|---:|---|---:|---:|---:|---:|---|"
  for sink in $SINKS; do
    for run in $(seq "$REPEAT"); do
      f=$OUT/latency-$sink-$run.csv
      echo "| $sink | $run | ${load[$sink.$run]} | $(ms 50 "$f") | $(ms 90 "$f") | $(ms 99 "$f") | $(ms 100 "$f") | ${summary[$sink.$run]} |"
    done
  done
} > "$results"
cat "$results"
echo "bench: results written to $results" >&2
