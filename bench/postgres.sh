#!/usr/bin/env bash
# PostgreSQL benchmark: sluice against the usual ways of loading CSV files into
# PostgreSQL, on the data of bench/run.sh (the 1M-row file and the 2,000 files of
# 50 rows), on the same server in the same run:
#
#   - psql \copy (the real psql binary, not Debian's wrapper), into a typed table;
#     for the large file also into the typed table with the unique index sluice
#     makes for the key (sensor_id, ts), the baseline of sluice's keyed load;
#   - pgloader, LOAD CSV into the same typed table;
#   - pandas: read_csv, then to_sql(method='multi', chunksize=10000) through
#     SQLAlchemy and psycopg2 (bench/pandas_to_sql.py), into the same table;
#   - sluice once with the declared schema (validation, exactly-once), for the
#     large file also with a key.
#
#   bench/postgres.sh
#
# Installs what it needs first (scripts/setup.sh postgres bench). Server:
# $SLUICE_TEST_POSTGRES_URL if set, otherwise a throwaway one started with
# scripts/servers/postgres.sh (and stopped at the end). Each measurement runs in
# a fresh database and its row count is verified. Environment: SLUICE_BIN
# (default build/sluice), BENCH_OUT (default bench/out), BENCH_REPEAT (runs of the
# fast measurements, default 3; the best is reported, the median in brackets),
# BENCH_SLOW_REPEAT (runs of pgloader, pandas and the psql process-per-file loop,
# default 1), BENCH_ONLY (a regular expression: only the measurements whose names
# match, e.g. 'sluice_small|psql_small_session'). Results:
# bench/out/postgres-results.md; see docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
SLOW_REPEAT=${BENCH_SLOW_REPEAT:-1}
# Debian's python3, where python3-pandas and friends are installed.
PYTHON=/usr/bin/python3
WORK=$OUT/work-postgres

scripts/setup.sh postgres bench
[ -x "$SLUICE_BIN" ] || die "no sluice binary at $SLUICE_BIN (make build, or set SLUICE_BIN)"
ensure_data

trap stop_servers EXIT
start_postgres
DB=bench_load
DB_URL=$(db_url $DB)

# The table sluice creates from the declared schema, made first for the others.
TYPED_DDL="CREATE TABLE readings(sensor_id bigint NOT NULL, ts timestamptz NOT NULL,
  temperature double precision, humidity double precision, pressure double precision, status text)"
# The unique index sluice makes for the key (sensor_id, ts) (pg_tables.cc).
KEY_DDL='CREATE UNIQUE INDEX "sluice_key_readings" ON readings(sensor_id, ts)'
COLUMNS="sensor_id, ts, temperature, humidity, pressure, status"

# A fresh database $DB and work folder $W; with "typed", the table made first.
W=$WORK/load
prepare() {
  sql "$URL" "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
  sql "$URL" "CREATE DATABASE $DB"
  if [ "${1:-}" = typed ]; then sql "$DB_URL" "$TYPED_DDL"; fi
  if [ "${2:-}" = keyed ]; then sql "$DB_URL" "$KEY_DDL"; fi
  rm -rf "$W"; mkdir -p "$W"
}
finish() { # expected-rows what
  local got
  got=$("$PSQL" -X -A -t -d "$DB_URL" -c "SELECT count(*) FROM readings" 2>/dev/null || echo "no table")
  [ "$got" = "$1" ] || die "$2: expected $1 rows in readings, found $got (work folder $W)"
  sql "$URL" "DROP DATABASE $DB WITH (FORCE)"
  rm -rf "$W"
}

# Each measure_* prepares (untimed), times the load, verifies and prints seconds.
measure_psql_large() { # [keyed]
  local t0 t1
  prepare typed "${1:-}"
  t0=$(now)
  "$PSQL" -X -q -d "$DB_URL" -c "\\copy readings FROM '$LARGE' WITH (FORMAT csv, HEADER true)"
  t1=$(now)
  finish $ROWS "psql \\copy"
  elapsed "$t0" "$t1"
}

measure_psql_small() { # session | processes
  local t0 t1 f
  prepare typed
  if [ "$1" = session ]; then
    for f in "$SMALL"/*.csv; do
      echo "\\copy readings FROM '$f' WITH (FORMAT csv, HEADER true)"
    done > "$W/copy.sql"
    t0=$(now)
    "$PSQL" -X -q -d "$DB_URL" -v ON_ERROR_STOP=1 -f "$W/copy.sql"
    t1=$(now)
  else
    # What a cron job or shell loop does: one psql (one connection) per file.
    t0=$(now)
    for f in "$SMALL"/*.csv; do
      "$PSQL" -X -q -d "$DB_URL" -c "\\copy readings FROM '$f' WITH (FORMAT csv, HEADER true)"
    done
    t1=$(now)
  fi
  finish $SMALL_TOTAL "psql \\copy x$SMALL_FILES ($1)"
  elapsed "$t0" "$t1"
}

measure_pgloader() { # large | small
  local t0 t1 from options="skip header = 1, fields terminated by ','" expected=$ROWS
  prepare typed
  if [ "$1" = large ]; then
    from="'$LARGE'"
  else
    from="ALL FILENAMES MATCHING ~/readings_.*[.]csv\$/ IN DIRECTORY '$SMALL'"
    # With its default buffers (prefetch rows = 100000) pgloader exhausts its
    # 1 GB heap part-way through the 2,000 files.
    options+=", batch rows = 1000, prefetch rows = 1000"
    expected=$SMALL_TOTAL
  fi
  cat > "$W/load.pgl" <<PGLOADER
LOAD CSV
  FROM $from ($COLUMNS)
  INTO $DB_URL
  TARGET TABLE readings ($COLUMNS)
  WITH $options;
PGLOADER
  t0=$(now)
  pgloader --quiet --root-dir "$W/pgloader" "$W/load.pgl" >"$W/pgloader.log" 2>&1 ||
    die "pgloader exited $? (log: $W/pgloader.log)"
  t1=$(now)
  finish $expected "pgloader ($1)"
  elapsed "$t0" "$t1"
}

# name|runs|command|label|rows|files (run by run_measurements)
# shellcheck disable=SC2034
MEASUREMENTS=(
  "psql_large|$REPEAT|measure_psql_large|psql \\copy, 1M rows|$ROWS|"
  "psql_keyed|$REPEAT|measure_psql_large keyed|psql \\copy, 1M rows, unique index on (sensor_id, ts)|$ROWS||sluice_keyed"
  "pgloader_large|$SLOW_REPEAT|measure_pgloader large|pgloader, 1M rows|$ROWS|"
  "pandas_large|$SLOW_REPEAT|measure_pandas large|pandas to_sql (multi, chunksize 10000), 1M rows|$ROWS|"
  "sluice_large|$REPEAT|measure_sluice large|sluice once, 1M rows, declared schema|$ROWS|"
  "sluice_keyed|$REPEAT|measure_sluice keyed|sluice once, 1M rows, declared schema, key (sensor_id, ts)|$ROWS|"
  "psql_small_processes|$SLOW_REPEAT|measure_psql_small processes|psql \\copy x$SMALL_FILES files, one psql per file|$SMALL_TOTAL|$SMALL_FILES"
  "psql_small_session|$REPEAT|measure_psql_small session|psql \\copy x$SMALL_FILES files, one psql session|$SMALL_TOTAL|$SMALL_FILES"
  "pgloader_small|$SLOW_REPEAT|measure_pgloader small|pgloader, one LOAD over the $SMALL_FILES files|$SMALL_TOTAL|$SMALL_FILES"
  "pandas_small|$SLOW_REPEAT|measure_pandas small|pandas to_sql, loop over the $SMALL_FILES files|$SMALL_TOTAL|$SMALL_FILES"
  "sluice_small|$REPEAT|measure_sluice small|sluice once, $SMALL_FILES files, declared schema|$SMALL_TOTAL|$SMALL_FILES"
)
run_measurements
write_results "$OUT/postgres-results.md" \
  "PostgreSQL $("$PSQL" -X -A -t -d "$URL" -c 'SHOW server_version'), $(pgloader --version | head -n 1), pandas $("$PYTHON" -c 'import pandas; print(pandas.__version__)'), $(nproc) cores"
# The table's ratios are against the plain load; the keyed load's baseline is
# \copy into the keyed table.
if [ -n "${b[sluice_keyed]:-}" ] && [ -n "${b[psql_keyed]:-}" ]; then
  echo "Keyed: sluice / psql \\copy into the keyed table = $(ratio "${b[sluice_keyed]}" "${b[psql_keyed]}") (best runs)" |
    tee -a "$OUT/postgres-results.md"
fi
