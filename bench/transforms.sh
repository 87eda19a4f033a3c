#!/usr/bin/env bash
# Transforms benchmark (issue 15, "Speed"): the 1M-row sensor file of bench/run.sh
# (sensor_id,ts,temperature,humidity,pressure,status) loaded into SQLite and into
# PostgreSQL, on each sink in the same run:
#
#   - sluice once with the declared schema (bench/sensors.schema.yaml): the plain load;
#   - sluice once with the same schema and the issue's transforms: normalize
#     (trim, null_values ["", "NA"], status lower-cased), derive temperature_k =
#     temperature + 273.15, day = date(ts), ratio = humidity / pressure, filter
#     status <> 'maintenance', aggregates over temperature_k, humidity, pressure;
#   - the floor: the database alone copying the transformed rows from one of its
#     tables into an empty one (INSERT ... SELECT), which no loader can beat;
#   - the reference pandas pipeline doing the same work (bench/pandas_transforms.py:
#     read_csv, the Kelvin column, groupby describe, to_sql of rows and metrics
#     with to_sql's default settings, through SQLAlchemy: sqlite3 or psycopg2),
#     run with Debian's /usr/bin/python3.
#
#   bench/transforms.sh
#
# The plain and transform loads of a sink alternate (round by round, the order
# reversed every other round), so a change in the machine's load falls on both.
# Prints and writes bench/out/transforms-results.md: the ratio pandas / sluice
# transform load (target >= 50) in the table, and, per sink, transform load /
# plain load (target <= 1.15) and pandas / the floor below it; bench/all.sh's
# table gets the same ratios. Installs what it needs first (scripts/setup.sh
# bench, and postgres for that sink). PostgreSQL: $SLUICE_TEST_POSTGRES_URL if
# set, otherwise a throwaway server (scripts/servers/postgres.sh), stopped at the
# end; every PostgreSQL measurement runs in a fresh database. Every run's row
# counts are verified (rows, and the aggregate rows and their counts).
# Environment: SLUICE_BIN (default build/sluice), BENCH_OUT (default bench/out),
# BENCH_SINKS (default "sqlite postgres"), BENCH_REPEAT (runs of the sluice loads
# and the floors, default 3; the best is reported, the median in brackets),
# BENCH_SLOW_REPEAT (runs of pandas, default 1), BENCH_ONLY (a regular
# expression: only the measurements whose names match), BENCH_ROWS (rows of the
# file, default 1000000: a smaller run makes its own data, so use its own
# BENCH_OUT), BENCH_AGGREGATES=0 (the transform load without aggregates).
# See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
ROWS=${BENCH_ROWS:-$ROWS}
SLOW_REPEAT=${BENCH_SLOW_REPEAT:-1}
AGGREGATES=${BENCH_AGGREGATES:-1}
SINKS=${BENCH_SINKS:-sqlite postgres}
# Debian's python3, where python3-pandas, python3-sqlalchemy and python3-psycopg2 are.
PYTHON=/usr/bin/python3
WORK=$OUT/work-transforms

has_sink() { [[ " $SINKS " == *" $1 "* ]]; }
setup=(bench)
if has_sink postgres; then setup+=(postgres); fi
scripts/setup.sh "${setup[@]}"
[ -x "$SLUICE_BIN" ] || die "no sluice binary at $SLUICE_BIN (make build, or set SLUICE_BIN)"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed (scripts/setup.sh)"
ensure_data

trap stop_servers EXIT
DB=bench_transforms
if has_sink postgres; then
  start_postgres
  DB_URL=$(db_url $DB)
fi

# The rows the filter keeps (the data has no NA and no stray case: every row is valid).
KEPT=$(awk -F, 'NR > 1 && $6 != "maintenance"' "$LARGE" | wc -l)
mkdir -p "$WORK"
CONFIG=$WORK/transforms.yaml
{
  cat <<EOF
defaults:
  schema: $SCHEMA
  normalize:
    trim: true
    null_values: ["", "NA"]
    case: {status: lower}
  derive:
    - {name: temperature_k, expr: "temperature + 273.15"}
    - {name: day, expr: "date(ts)"}
    - {name: ratio, expr: "humidity / pressure"}
  filter: "status <> 'maintenance'"
EOF
  if [ "$AGGREGATES" = 1 ]; then
    echo "  aggregates: {columns: [temperature_k, humidity, pressure]}"
  fi
} > "$CONFIG"

# Where a load into SINK goes: its --sink URL, and the database pandas is given.
W=$WORK/load
sink_url() { # sink
  if [ "$1" = sqlite ]; then echo "sqlite:$W/out.db"; else echo "$DB_URL"; fi
}
pandas_target() { # sink
  if [ "$1" = sqlite ]; then echo "$W/out.db"; else echo "$DB_URL"; fi
}
# One value from the sink's database ("no table" on an error).
query() { # sink sql
  if [ "$1" = sqlite ]; then
    sqlite3 "$W/out.db" "$2" 2>/dev/null || echo "no table"
  else
    "$PSQL" -X -A -t -d "$DB_URL" -c "$2" 2>/dev/null || echo "no table"
  fi
}
# A fresh work folder and, on PostgreSQL, a fresh database (untimed).
prepare() { # sink
  rm -rf "$W"; mkdir -p "$W"
  if [ "$1" = postgres ]; then
    sql "$URL" "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    sql "$URL" "CREATE DATABASE $DB"
  fi
}
cleanup() { # sink
  if [ "$1" = postgres ]; then sql "$URL" "DROP DATABASE $DB WITH (FORCE)"; fi
  rm -rf "$W"
}
verify() { # sink expected-rows what
  local got
  got=$(query "$1" "SELECT count(*) FROM readings")
  [ "$got" = "$2" ] || die "$3: expected $2 rows in readings, found $got (work folder $W)"
}
# One aggregate row per column, each counting every row loaded.
verify_aggregates() { # sink what
  local got each="\"column\" || '=' || \"count\""
  if [ "$1" = sqlite ]; then
    got=$(query "$1" "SELECT group_concat($each, ' ')
      FROM (SELECT * FROM readings_file_stats ORDER BY \"column\")")
  else
    got=$(query "$1" "SELECT string_agg($each, ' ' ORDER BY \"column\") FROM readings_file_stats")
  fi
  [ "$got" = "humidity=$KEPT pressure=$KEPT temperature_k=$KEPT" ] ||
    die "$2: aggregates $got, expected a count of $KEPT per column (work folder $W)"
}

# Each measure_* prepares a fresh folder and database (untimed), times the load,
# verifies it and prints the seconds.
stage_file() { # sink: a fresh $W/data holding the large file
  prepare "$1"
  mkdir -p "$W/data"
  cp -p "$LARGE" "$W/data/"
}
sluice_load() { # plain | transforms, sink: from $W/data
  local args=(--schema "$SCHEMA")
  if [ "$1" = transforms ]; then args=(-c "$CONFIG"); fi
  "$SLUICE_BIN" once "${args[@]}" --source "$W/data" --sink "$(sink_url "$2")" \
    --ledger "$W/ledger.db" --processed "$W/processed" --quarantine "$W/quarantine" \
    --settle-ms 0 --after-load keep >"$W/sluice.log" 2>&1 ||
    die "sluice once exited $? (log: $W/sluice.log)"
}
measure_sluice() { # plain | transforms, sink
  local t0 t1 expected=$ROWS
  [ "$1" = plain ] || expected=$KEPT
  stage_file "$2"
  t0=$(now)
  sluice_load "$1" "$2"
  t1=$(now)
  verify "$2" "$expected" "sluice once ($1, $2)"
  if [ "$1" = transforms ] && [ "$AGGREGATES" = 1 ]; then
    verify_aggregates "$2" "sluice once ($1, $2)"
  fi
  cleanup "$2"
  elapsed "$t0" "$t1"
}

# The floor under any loader: the database alone inserting the transformed rows,
# copied with INSERT ... SELECT from the table a transform load made (untimed)
# into an empty table of the same columns in the same database (no reading, no
# parsing, no transforms, no other process). pandas' time over it is the highest
# ratio to pandas that any loader could reach on that sink.
measure_copy() { # sink
  local t0 t1 got
  stage_file "$1"
  sluice_load transforms "$1"
  t0=$(now)
  if [ "$1" = sqlite ]; then
    sqlite3 "$W/out.db" "CREATE TABLE copy AS SELECT * FROM readings WHERE 0;
      INSERT INTO copy SELECT * FROM readings;"
  else
    sql "$DB_URL" "CREATE TABLE copy AS SELECT * FROM readings WITH NO DATA;
      INSERT INTO copy SELECT * FROM readings;"
  fi
  t1=$(now)
  got=$(query "$1" "SELECT count(*) FROM copy")
  [ "$got" = "$KEPT" ] || die "$1 copy: expected $KEPT rows, found $got (work folder $W)"
  cleanup "$1"
  elapsed "$t0" "$t1"
}

measure_pandas() { # sink
  local t0 t1
  prepare "$1"
  t0=$(now)
  "$PYTHON" bench/pandas_transforms.py "$(pandas_target "$1")" "$LARGE"
  t1=$(now)
  verify "$1" "$KEPT" "pandas ($1)"
  verify_aggregates "$1" "pandas ($1)"
  cleanup "$1"
  elapsed "$t0" "$t1"
}

# The measurements run in rounds: round r runs once each selected entry with at
# least r runs, the order reversed every other round, so the plain and the
# transform load of a sink alternate. Sets what run_measurements sets, over all
# the rounds (the peak RSS: the largest of any round).
run_rounds() {
  local entry name runs rest round rounds=0 order=() chosen=() times
  local -A acc=() peak=()
  declare -gA b m all rss
  for entry in "${MEASUREMENTS[@]}"; do
    IFS='|' read -r name runs _ <<< "$entry"
    [[ $name =~ ^(${BENCH_ONLY:-.*})$ ]] || continue
    chosen+=("$entry")
    [ "$runs" -le "$rounds" ] || rounds=$runs
  done
  [ ${#chosen[@]} -gt 0 ] || die "BENCH_ONLY=$BENCH_ONLY matches no measurement"
  for round in $(seq "$rounds"); do
    order=()
    for entry in "${chosen[@]}"; do
      IFS='|' read -r name runs rest <<< "$entry"
      [ "$runs" -lt "$round" ] || order+=("$name|1|$rest")
    done
    if [ $((round % 2)) = 0 ]; then
      mapfile -t order < <(printf '%s\n' "${order[@]}" | tac)
    fi
    MEASUREMENTS=("${order[@]}")
    run_measurements
    for entry in "${order[@]}"; do
      name=${entry%%|*}
      acc[$name]+=" ${all[$name]}"
      if [ -n "${rss[$name]}" ] && [ "${rss[$name]}" -gt "${peak[$name]:-0}" ]; then
        peak[$name]=${rss[$name]}
      fi
    done
  done
  selected=("${chosen[@]}")  # for write_results
  for entry in "${chosen[@]}"; do
    name=${entry%%|*}
    read -ra times <<< "${acc[$name]}"
    b[$name]=$(best "${times[@]}")
    m[$name]=$(median "${times[@]}")
    all[$name]="${times[*]}"
    rss[$name]=${peak[$name]:-}
  done
}

with_aggregates=", aggregates"
[ "$AGGREGATES" = 1 ] || with_aggregates=" (aggregates off)"
declare -A SINK_NAME=([sqlite]=SQLite [postgres]=PostgreSQL)
# name|runs|command|label|rows|files|vs (run by run_rounds); the SQLite names are
# those of the runs before PostgreSQL was added.
# shellcheck disable=SC2034
MEASUREMENTS=()
if has_sink sqlite; then
  MEASUREMENTS+=(
    "sluice_plain|$REPEAT|measure_sluice plain sqlite|SQLite: sluice once, declared schema (plain load)|$ROWS||"
    "sluice_transforms|$REPEAT|measure_sluice transforms sqlite|SQLite: sluice once, declared schema, normalize, derive, filter$with_aggregates|$ROWS||"
    "sqlite_copy|$REPEAT|measure_copy sqlite|SQLite: the floor, INSERT ... SELECT of the kept rows into an empty table|$KEPT||sluice_transforms"
    "pandas|$SLOW_REPEAT|measure_pandas sqlite|SQLite: pandas read_csv, the same transforms, describe, to_sql rows and metrics|$ROWS||sluice_transforms"
  )
fi
if has_sink postgres; then
  MEASUREMENTS+=(
    "sluice_plain_pg|$REPEAT|measure_sluice plain postgres|PostgreSQL: sluice once, declared schema (plain load)|$ROWS||"
    "sluice_transforms_pg|$REPEAT|measure_sluice transforms postgres|PostgreSQL: sluice once, declared schema, normalize, derive, filter$with_aggregates|$ROWS||"
    "postgres_copy|$REPEAT|measure_copy postgres|PostgreSQL: the floor, INSERT ... SELECT of the kept rows into an empty table|$KEPT||sluice_transforms_pg"
    "pandas_pg|$SLOW_REPEAT|measure_pandas postgres|PostgreSQL: pandas read_csv, the same transforms, describe, to_sql rows and metrics|$ROWS||sluice_transforms_pg"
  )
fi
run_rounds

RESULTS=$OUT/transforms-results.md
versions="SQLite $(sqlite3 --version | cut -d' ' -f1)"
if has_sink postgres; then
  versions+=", PostgreSQL $("$PSQL" -X -A -t -d "$URL" -c 'SHOW server_version')"
fi
versions+=", pandas $("$PYTHON" -c 'import pandas; print(pandas.__version__)')"
versions+=", SQLAlchemy $("$PYTHON" -c 'import sqlalchemy; print(sqlalchemy.__version__)')"
write_results "$RESULTS" \
  "$ROWS rows ($KEPT kept by the filter), $versions, $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end"

# The ratios per sink, side by side; the overhead of the transforms also goes
# into bench/all.sh's table, as the transform load against the plain load.
cell() { # numerator denominator
  if [ -n "${b[$1]:-}" ] && [ -n "${b[$2]:-}" ]; then ratio "${b[$1]}" "${b[$2]}"; fi
}
{
  echo
  echo "| ratio (best runs) | target | SQLite | PostgreSQL |"
  echo "|---|---|---:|---:|"
  echo "| transform load / plain load | <= 1.15 | $(cell sluice_transforms sluice_plain) | $(cell sluice_transforms_pg sluice_plain_pg) |"
  echo "| pandas / transform load | >= 50 | $(cell pandas sluice_transforms) | $(cell pandas_pg sluice_transforms_pg) |"
  echo "| pandas / the floor (the most any loader could reach) | | $(cell pandas sqlite_copy) | $(cell pandas_pg postgres_copy) |"
} | tee -a "$RESULTS"
for sink in sqlite postgres; do
  plain=sluice_plain transforms=sluice_transforms
  [ "$sink" = sqlite ] || { plain+=_pg; transforms+=_pg; }
  if [ -z "${b[$plain]:-}" ] || [ -z "${b[$transforms]:-}" ]; then continue; fi
  record_result "${transforms}_vs_plain" \
    "${SINK_NAME[$sink]}: the transform load, as a ratio to the plain load (target <= 1.15)" \
    baseline "$plain" "$REPEAT" "${b[$transforms]}" "${m[$transforms]}" "$ROWS" "" ""
done
rm -rf "$WORK"
