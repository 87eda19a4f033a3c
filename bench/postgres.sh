#!/usr/bin/env bash
# PostgreSQL benchmark: sluice loading the 1M-row file of bench/gen_data.py into
# PostgreSQL, against psql's \copy of the same file into a typed table, on the
# same server in the same run.
#
#   bench/postgres.sh
#
# Server: $SLUICE_TEST_POSTGRES_URL if set, otherwise a throwaway one started
# with scripts/servers/postgres.sh (and stopped at the end). Each measurement
# runs in a fresh database. Environment: SLUICE_BIN (default build/sluice),
# BENCH_OUT (default bench/out), BENCH_REPEAT (runs per measurement, default 3;
# the best is reported, the median in brackets). Every run's row count is
# verified. Results: bench/out/postgres-results.md; see docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SLUICE_BIN=${SLUICE_BIN:-$ROOT/build/sluice}
OUT=${BENCH_OUT:-$ROOT/bench/out}
REPEAT=${BENCH_REPEAT:-3}
SCHEMA=$ROOT/bench/sensors.schema.yaml
PSQL=/usr/lib/postgresql/15/bin/psql
ROWS=1000000
LARGE=$OUT/data/large/readings.csv
WORK=$OUT/work-postgres

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$SLUICE_BIN" ] || die "no sluice binary at $SLUICE_BIN (make build, or set SLUICE_BIN)"
[ -x "$PSQL" ] || die "psql is not installed (scripts/setup.sh)"
if [ ! -f "$LARGE" ]; then
  python3 "$ROOT/bench/gen_data.py" "$OUT/data" --rows "$ROWS" --small-files 0 --small-rows 0 ||
    die "cannot generate $LARGE (run bench/run.sh once)"
fi

URL=${SLUICE_TEST_POSTGRES_URL:-}
server_dir=
cleanup() {
  if [ -n "$server_dir" ]; then
    scripts/servers/postgres.sh stop "$server_dir" || true
    rm -rf "$server_dir"
  fi
}
trap cleanup EXIT
if [ -z "$URL" ]; then
  server_dir=$(mktemp -d /tmp/sluice-bench-pg-XXXXXX)
  chmod 755 "$server_dir"
  URL=$(scripts/servers/postgres.sh start "$server_dir" | sed -n 's/^SLUICE_TEST_POSTGRES_URL=//p')
  [ -n "$URL" ] || die "the PostgreSQL server did not start"
fi
# The URL of database $1 on the same server.
db_url() { echo "$URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\1/$1#"; }
fresh_db() {
  "$PSQL" -X -q -d "$URL" -c "SET client_min_messages = warning" \
    -c "DROP DATABASE IF EXISTS $1 WITH (FORCE)" -c "CREATE DATABASE $1"
}

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v base="$1" -v s="$2" 'BEGIN { printf "%.2f", base / s }'; }
verify() { # url what
  local got
  got=$("$PSQL" -X -A -t -d "$1" -c "SELECT count(*) FROM readings" 2>/dev/null || echo "no table")
  [ "$got" = "$ROWS" ] || die "$2: expected $ROWS rows in readings, found $got"
}

# The table sluice creates from the declared schema, for psql's \copy.
TYPED_DDL="CREATE TABLE readings(sensor_id bigint NOT NULL, ts timestamptz NOT NULL,
  temperature double precision, humidity double precision, pressure double precision, status text)"

measure_psql_copy() {
  local db=bench_psql url t0 t1
  fresh_db $db
  url=$(db_url $db)
  "$PSQL" -X -q -d "$url" -c "$TYPED_DDL"
  t0=$(now)
  "$PSQL" -X -q -d "$url" -c "\\copy readings FROM '$LARGE' WITH (FORMAT csv, HEADER true)"
  t1=$(now)
  verify "$url" "psql \\copy"
  "$PSQL" -X -q -d "$URL" -c "DROP DATABASE $db WITH (FORCE)"
  elapsed "$t0" "$t1"
}

measure_sluice() { # plain | keyed
  local db=bench_sluice url w=$WORK/sluice t0 t1 key=()
  fresh_db $db
  url=$(db_url $db)
  rm -rf "$w"; mkdir -p "$w/data"
  cp -p "$LARGE" "$w/data/"
  [ "$1" = keyed ] && key=(--key sensor_id,ts)
  t0=$(now)
  "$SLUICE_BIN" once --source "$w/data" --sink "$url" --ledger "$w/ledger.db" \
    --processed "$w/processed" --quarantine "$w/quarantine" --schema "$SCHEMA" \
    --settle-ms 0 --after-load keep "${key[@]}" >"$w/sluice.log" 2>&1 ||
    die "sluice once exited $? (log: $w/sluice.log)"
  t1=$(now)
  verify "$url" "sluice ($1)"
  "$PSQL" -X -q -d "$URL" -c "DROP DATABASE $db WITH (FORCE)"
  rm -rf "$w"
  elapsed "$t0" "$t1"
}

declare -A b m
for what in psql_copy sluice_plain sluice_keyed; do
  runs=()
  for _ in $(seq "$REPEAT"); do
    case $what in
      psql_copy) runs+=("$(measure_psql_copy)") ;;
      sluice_plain) runs+=("$(measure_sluice plain)") ;;
      sluice_keyed) runs+=("$(measure_sluice keyed)") ;;
    esac
  done
  b[$what]=$(best "${runs[@]}")
  m[$what]=$(median "${runs[@]}")
  echo "bench: $what ${runs[*]}" >&2
done

results=$OUT/postgres-results.md
{
  echo "PostgreSQL $("$PSQL" -X -A -t -d "$URL" -c 'SHOW server_version'), $(nproc) cores, best of $REPEAT (median)"
  echo
  echo "| measurement | seconds | rows/s | ratio psql/sluice |"
  echo "|---|---|---|---|"
  echo "| psql \\copy, 1M rows, typed table | ${b[psql_copy]} (${m[psql_copy]}) | $(rate $ROWS "${b[psql_copy]}") | |"
  echo "| sluice once, 1M rows, declared schema | ${b[sluice_plain]} (${m[sluice_plain]}) | $(rate $ROWS "${b[sluice_plain]}") | $(ratio "${b[psql_copy]}" "${b[sluice_plain]}") |"
  echo "| sluice once, 1M rows, declared schema, key (sensor_id, ts) | ${b[sluice_keyed]} (${m[sluice_keyed]}) | $(rate $ROWS "${b[sluice_keyed]}") | $(ratio "${b[psql_copy]}" "${b[sluice_keyed]}") |"
} > "$results"
cat "$results"
echo "bench: results written to $results" >&2
