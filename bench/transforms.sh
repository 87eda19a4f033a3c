#!/usr/bin/env bash
# Transforms benchmark (issue 15, "Speed"): the 1M-row sensor file of bench/run.sh
# (sensor_id,ts,temperature,humidity,pressure,status) loaded into SQLite, in the
# same run:
#
#   - sluice once with the declared schema (bench/sensors.schema.yaml): the plain load;
#   - sluice once with the same schema and the issue's transforms: normalize
#     (trim, null_values ["", "NA"], status lower-cased), derive temperature_k =
#     temperature + 273.15, day = date(ts), ratio = humidity / pressure, filter
#     status <> 'maintenance', aggregates over temperature_k, humidity, pressure;
#   - the floor: SQLite alone copying the transformed rows from one of its tables
#     into an empty one (INSERT ... SELECT), which no loader can beat;
#   - the reference pandas pipeline doing the same work (bench/pandas_transforms.py:
#     read_csv, the Kelvin column, groupby describe, to_sql of rows and metrics),
#     run with Debian's /usr/bin/python3.
#
#   bench/transforms.sh
#
# Prints and writes bench/out/transforms-results.md: the ratio pandas / sluice
# transform load (target >= 50) in the table, and transform load / plain load
# (target <= 1.15) below it.
# Installs the pandas baseline first (scripts/setup.sh bench). Every run's row
# counts are verified (rows, and the aggregate rows and their counts).
# Environment: SLUICE_BIN (default build/sluice), BENCH_OUT (default bench/out),
# BENCH_REPEAT (runs of the sluice loads, default 3; the best is reported, the
# median in brackets), BENCH_SLOW_REPEAT (runs of pandas, default 1), BENCH_ROWS
# (rows of the file, default 1000000: a smaller run makes its own data, so use
# its own BENCH_OUT), BENCH_AGGREGATES=0 (the transform load without aggregates).
# See docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
ROWS=${BENCH_ROWS:-$ROWS}
SLOW_REPEAT=${BENCH_SLOW_REPEAT:-1}
AGGREGATES=${BENCH_AGGREGATES:-1}
# Debian's python3, where python3-pandas and python3-sqlalchemy are installed.
PYTHON=/usr/bin/python3
WORK=$OUT/work-transforms

scripts/setup.sh bench
[ -x "$SLUICE_BIN" ] || die "no sluice binary at $SLUICE_BIN (make build, or set SLUICE_BIN)"
command -v sqlite3 >/dev/null || die "sqlite3 is not installed (scripts/setup.sh)"
ensure_data

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

sqlite_value() { sqlite3 "$1" "$2" 2>/dev/null || echo "no table"; }
verify() { # db expected-rows what
  local got
  got=$(sqlite_value "$1" "SELECT count(*) FROM readings")
  [ "$got" = "$2" ] || die "$3: expected $2 rows in readings, found $got (work folder $W)"
}
# One aggregate row per column, each counting every row loaded.
verify_aggregates() { # db what
  local got
  got=$(sqlite_value "$1" "SELECT group_concat(\"column\" || '=' || \"count\", ' ')
    FROM (SELECT * FROM readings_file_stats ORDER BY \"column\")")
  [ "$got" = "humidity=$KEPT pressure=$KEPT temperature_k=$KEPT" ] ||
    die "$2: aggregates $got, expected a count of $KEPT per column (work folder $W)"
}

# Each measure_* prepares a fresh folder (untimed), times the load, verifies it
# and prints the seconds.
W=$WORK/load
sluice_load() { # plain | transforms: into $W/out.db from a fresh $W/data
  local args=(--schema "$SCHEMA")
  rm -rf "$W"; mkdir -p "$W/data"
  cp -p "$LARGE" "$W/data/"
  if [ "$1" = transforms ]; then args=(-c "$CONFIG"); fi
  "$SLUICE_BIN" once "${args[@]}" --source "$W/data" --sink "sqlite:$W/out.db" \
    --ledger "$W/ledger.db" --processed "$W/processed" --quarantine "$W/quarantine" \
    --settle-ms 0 --after-load keep >"$W/sluice.log" 2>&1 ||
    die "sluice once exited $? (log: $W/sluice.log)"
}
measure_sluice() { # plain | transforms
  local t0 t1 expected=$ROWS
  [ "$1" = plain ] || expected=$KEPT
  t0=$(now)
  sluice_load "$1"
  t1=$(now)
  verify "$W/out.db" "$expected" "sluice once ($1)"
  if [ "$1" = transforms ] && [ "$AGGREGATES" = 1 ]; then
    verify_aggregates "$W/out.db" "sluice once ($1)"
  fi
  rm -rf "$W"
  elapsed "$t0" "$t1"
}

# The floor under any loader: SQLite alone inserting the transformed rows, copied
# with INSERT ... SELECT from the table a transform load made (untimed) into an
# empty table of the same columns in the same database (no reading, no parsing,
# no transforms, no other process). pandas' time over it is the highest ratio to
# pandas that any loader could reach here.
measure_sqlite_copy() {
  local t0 t1 got
  sluice_load transforms
  t0=$(now)
  sqlite3 "$W/out.db" "CREATE TABLE copy AS SELECT * FROM readings WHERE 0;
    INSERT INTO copy SELECT * FROM readings;"
  t1=$(now)
  got=$(sqlite_value "$W/out.db" "SELECT count(*) FROM copy")
  [ "$got" = "$KEPT" ] || die "SQLite copy: expected $KEPT rows, found $got (work folder $W)"
  rm -rf "$W"
  elapsed "$t0" "$t1"
}

measure_pandas() {
  local t0 t1
  rm -rf "$W"; mkdir -p "$W"
  t0=$(now)
  "$PYTHON" bench/pandas_transforms.py "$W/out.db" "$LARGE"
  t1=$(now)
  verify "$W/out.db" "$KEPT" "pandas"
  verify_aggregates "$W/out.db" "pandas"
  rm -rf "$W"
  elapsed "$t0" "$t1"
}

with_aggregates=", aggregates"
[ "$AGGREGATES" = 1 ] || with_aggregates=" (aggregates off)"
# name|runs|command|label|rows|files (run by run_measurements)
# shellcheck disable=SC2034
MEASUREMENTS=(
  "sluice_plain|$REPEAT|measure_sluice plain|sluice once, declared schema (plain load)|$ROWS|"
  "sluice_transforms|$REPEAT|measure_sluice transforms|sluice once, declared schema, normalize, derive, filter$with_aggregates|$ROWS|"
  "sqlite_copy|$REPEAT|measure_sqlite_copy|the floor: SQLite alone, INSERT ... SELECT of the kept rows into an empty table|$KEPT|"
  "pandas|$SLOW_REPEAT|measure_pandas|pandas read_csv, the same transforms, describe, to_sql rows and metrics|$ROWS|"
)
run_measurements

RESULTS=$OUT/transforms-results.md
RESULTS_BASE=sluice_transforms write_results "$RESULTS" \
  "$ROWS rows ($KEPT kept by the filter), SQLite $(sqlite3 --version | cut -d' ' -f1), pandas $("$PYTHON" -c 'import pandas; print(pandas.__version__)'), $(nproc) cores"
if [ -n "${b[sluice_plain]:-}" ] && [ -n "${b[sluice_transforms]:-}" ]; then
  line="Transform load / plain load: $(ratio "${b[sluice_transforms]}" "${b[sluice_plain]}") (target <= 1.15)."
  echo "$line" | tee -a "$RESULTS"
fi
if [ -n "${b[sqlite_copy]:-}" ] && [ -n "${b[pandas]:-}" ]; then
  line="pandas / the floor: $(ratio "${b[pandas]}" "${b[sqlite_copy]}"), the highest ratio to pandas any loader could reach here (target for sluice: >= 50)."
  echo "$line" | tee -a "$RESULTS"
fi
rm -rf "$WORK"
