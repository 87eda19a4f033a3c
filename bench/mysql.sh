#!/usr/bin/env bash
# MySQL/MariaDB benchmark: sluice against the usual ways of loading CSV files into
# MariaDB, on the data of bench/run.sh (the 1M-row file and the 2,000 files of 50
# rows), on the same server in the same run:
#
#   - the mariadb client's LOAD DATA LOCAL INFILE into a typed InnoDB table (for
#     the small files: one client session, and one client per file);
#   - pandas: read_csv, then to_sql(method='multi', chunksize=10000) through
#     SQLAlchemy and PyMySQL (bench/pandas_to_sql.py), into the same table;
#   - sluice once with the declared schema (validation, exactly-once), for the
#     large file also with a key;
#   - sluice once again with the server's local_infile off: its INSERT fallback;
#   - the floor: the server alone copying the 1M rows from one table into an empty
#     one (INSERT ... SELECT), which no loader can beat;
#   - the client's large load again with unique_checks and foreign_key_checks
#     off in one transaction: InnoDB's bulk insert into an empty table, which
#     sluice does not use (docs/benchmarks.md says why).
#
#   bench/mysql.sh
#
# Installs what it needs first (scripts/setup.sh mariadb bench). Server:
# $SLUICE_TEST_MYSQL_URL with $SLUICE_TEST_MYSQL_ADMIN_URL if set (the admin
# account turns local_infile off and on again), otherwise a throwaway one started
# with scripts/servers/mariadb.sh (and stopped at the end). Each measurement runs
# in a fresh database and its row count is verified. Environment: SLUICE_BIN
# (default build/sluice), BENCH_OUT (default bench/out), BENCH_REPEAT (runs of the
# fast measurements, default 3; the best is reported, the median in brackets),
# BENCH_SLOW_REPEAT (runs of pandas and the client-per-file loop, default 1),
# BENCH_ONLY (a regular expression: only the measurements whose names match, e.g.
# 'sluice_small|client_small_session'). Results: bench/out/mysql-results.md; see
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh
SLOW_REPEAT=${BENCH_SLOW_REPEAT:-1}
# Debian's python3, where python3-pandas and friends are installed.
PYTHON=/usr/bin/python3
MARIADB=/usr/bin/mariadb
WORK=$OUT/work-mysql
CLIENT_CNF=$WORK/client.cnf  # the mariadb client's options: loader, admin account
ADMIN_CNF=$WORK/admin.cnf

scripts/setup.sh mariadb bench
[ -x "$SLUICE_BIN" ] || die "no sluice binary at $SLUICE_BIN (make build, or set SLUICE_BIN)"
ensure_data

# The server: $SLUICE_TEST_MYSQL_URL and _ADMIN_URL, or a throwaway one.
[ -n "${SLUICE_TEST_MYSQL_URL:-}" ] || start_server mariadb
URL=$SLUICE_TEST_MYSQL_URL
ADMIN_URL=${SLUICE_TEST_MYSQL_ADMIN_URL:-}
[ -n "$ADMIN_URL" ] || die "SLUICE_TEST_MYSQL_ADMIN_URL is not set (it turns local_infile off and on)"
finally() {
  if [ -f "$ADMIN_CNF" ]; then set_local_infile ON || true; fi  # as it was found
  stop_servers
}
trap finally EXIT

# An option file for the mariadb client from a mysql://USER:PASSWORD@HOST:PORT/DB
# URL (letters and digits in the password, as mariadb.sh makes them): the
# password stays off the command line.
client_cnf() { # url file
  local rest=${1#*://} user password host port
  user=${rest%%:*}; rest=${rest#*:}
  password=${rest%%@*}; rest=${rest#*@}
  host=${rest%%:*}; rest=${rest#*:}
  port=${rest%%/*}
  printf '[client]\nuser=%s\npassword=%s\nhost=%s\nport=%s\nprotocol=tcp\n' \
    "$user" "$password" "$host" "$port" > "$2"
  chmod 600 "$2"
}
sql() { "$MARIADB" --defaults-file="$CLIENT_CNF" --batch --skip-column-names "$@"; }
admin_sql() { "$MARIADB" --defaults-file="$ADMIN_CNF" --batch --skip-column-names -e "$1"; }
set_local_infile() { admin_sql "SET GLOBAL local_infile = $1"; }

mkdir -p "$WORK"
client_cnf "$URL" "$CLIENT_CNF"
client_cnf "$ADMIN_URL" "$ADMIN_CNF"
set_local_infile ON
DB=bench_load
DB_URL=$(db_url $DB)

# The table sluice creates from the declared schema, made first for the others.
TYPED_DDL="CREATE TABLE readings(sensor_id bigint NOT NULL, ts datetime(6) NOT NULL,
  temperature double, humidity double, pressure double, status longtext)
  ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_nopad_bin"
# ts as written ('2026-03-01T00:00:00.123Z'): stored right, with a 'Data truncated'
# warning for the Z, which LOAD DATA LOCAL does not stop for.
load_data() { # file
  printf "LOAD DATA LOCAL INFILE '%s' INTO TABLE readings FIELDS TERMINATED BY ','
    LINES TERMINATED BY '\\\\n' IGNORE 1 LINES;\\n" "$1"
}

# A fresh database $DB and work folder $W; with "typed", the table made first.
W=$WORK/load
prepare() {
  sql -e "DROP DATABASE IF EXISTS $DB; CREATE DATABASE $DB CHARACTER SET utf8mb4"
  if [ "${1:-}" = typed ]; then sql -D "$DB" -e "$TYPED_DDL"; fi
  rm -rf "$W"; mkdir -p "$W"
}
finish() { # expected-rows what
  local got
  got=$(sql -D "$DB" -e "SELECT count(*) FROM readings" 2>/dev/null || echo "no table")
  [ "$got" = "$1" ] || die "$2: expected $1 rows in readings, found $got (work folder $W)"
  sql -e "DROP DATABASE $DB"
  rm -rf "$W"
}

# Each measure_* prepares (untimed), times the load, verifies and prints seconds.
measure_client_large() {
  local t0 t1
  prepare typed
  t0=$(now)
  sql --local-infile=1 -D "$DB" -e "$(load_data "$LARGE")"
  t1=$(now)
  finish "$ROWS" "mariadb LOAD DATA LOCAL"
  elapsed "$t0" "$t1"
}

measure_client_small() { # session | processes
  local t0 t1 f
  prepare typed
  if [ "$1" = session ]; then
    for f in "$SMALL"/*.csv; do load_data "$f"; done > "$W/load.sql"
    t0=$(now)
    sql --local-infile=1 -D "$DB" < "$W/load.sql"
    t1=$(now)
  else
    # What a cron job or shell loop does: one client (one connection) per file.
    t0=$(now)
    for f in "$SMALL"/*.csv; do
      sql --local-infile=1 -D "$DB" -e "$(load_data "$f")"
    done
    t1=$(now)
  fi
  finish "$SMALL_TOTAL" "mariadb LOAD DATA LOCAL x$SMALL_FILES ($1)"
  elapsed "$t0" "$t1"
}

# The client's load again, in one transaction with unique_checks and
# foreign_key_checks off: MariaDB's bulk insert into an empty table (one undo
# record, indexes built sorted), which sluice does not use (docs/benchmarks.md,
# "Bulk insert into an empty table"): how it compares on this server.
measure_client_bulk() {
  local t0 t1
  prepare typed
  t0=$(now)
  sql --local-infile=1 -D "$DB" -e "SET SESSION unique_checks = 0, foreign_key_checks = 0;
    START TRANSACTION; $(load_data "$LARGE") COMMIT;"
  t1=$(now)
  finish "$ROWS" "mariadb LOAD DATA LOCAL, bulk insert"
  elapsed "$t0" "$t1"
}

# The floor under any loader: the server alone inserting the 1M rows, INSERT ...
# SELECT from a table a LOAD DATA filled (untimed, its pages in the buffer pool)
# into an empty copy (no client, no parsing, no network). pandas' time over it is
# the highest ratio to pandas that any loader could reach on this server.
measure_server_copy() {
  local t0 t1 got
  prepare typed
  sql --local-infile=1 -D "$DB" -e "$(load_data "$LARGE")"
  sql -D "$DB" -e "CREATE TABLE copy LIKE readings"
  t0=$(now)
  sql -D "$DB" -e "INSERT INTO copy SELECT * FROM readings"
  t1=$(now)
  got=$(sql -D "$DB" -e "SELECT count(*) FROM copy")
  [ "$got" = "$ROWS" ] || die "server copy: expected $ROWS rows, found $got"
  finish "$ROWS" "server copy"
  elapsed "$t0" "$t1"
}

# The INSERT fallback: sluice once with the server's local_infile off.
fast_path_off_logged() {
  grep -q local_infile "$1" || die "sluice once: the log does not say the fast path is off ($1)"
}
measure_sluice_insert() { # large | small
  set_local_infile OFF
  CHECK_SLUICE_LOG=fast_path_off_logged measure_sluice "$1"
  set_local_infile ON
}

# name|runs|command|label|rows|files (run by run_measurements)
# shellcheck disable=SC2034
MEASUREMENTS=(
  "client_large|$REPEAT|measure_client_large|mariadb LOAD DATA LOCAL INFILE, 1M rows|$ROWS|"
  "client_bulk_large|$REPEAT|measure_client_bulk|mariadb LOAD DATA LOCAL INFILE, 1M rows, one transaction, unique_checks and foreign_key_checks off (bulk insert into an empty table)|$ROWS|"
  "server_copy_large|$REPEAT|measure_server_copy|the floor: the server alone, INSERT ... SELECT of the 1M rows into an empty copy|$ROWS|"
  "pandas_large|$SLOW_REPEAT|measure_pandas large|pandas to_sql (multi, chunksize 10000), 1M rows|$ROWS|"
  "sluice_large|$REPEAT|measure_sluice large|sluice once, 1M rows, declared schema|$ROWS|"
  "sluice_keyed|$REPEAT|measure_sluice keyed|sluice once, 1M rows, declared schema, key (sensor_id, ts)|$ROWS|"
  "sluice_insert_large|$REPEAT|measure_sluice_insert large|sluice once, 1M rows, local_infile off (INSERT fallback)|$ROWS|"
  "client_small_processes|$SLOW_REPEAT|measure_client_small processes|LOAD DATA LOCAL x$SMALL_FILES files, one mariadb per file|$SMALL_TOTAL|$SMALL_FILES"
  "client_small_session|$REPEAT|measure_client_small session|LOAD DATA LOCAL x$SMALL_FILES files, one mariadb session|$SMALL_TOTAL|$SMALL_FILES"
  "pandas_small|$SLOW_REPEAT|measure_pandas small|pandas to_sql, loop over the $SMALL_FILES files|$SMALL_TOTAL|$SMALL_FILES"
  "sluice_small|$REPEAT|measure_sluice small|sluice once, $SMALL_FILES files, declared schema|$SMALL_TOTAL|$SMALL_FILES"
  "sluice_insert_small|$REPEAT|measure_sluice_insert small|sluice once, $SMALL_FILES files, local_infile off (INSERT fallback)|$SMALL_TOTAL|$SMALL_FILES"
)
run_measurements
write_results "$OUT/mysql-results.md" \
  "MariaDB $(sql -e 'SELECT version()'), pandas $("$PYTHON" -c 'import pandas; print(pandas.__version__)'), PyMySQL $("$PYTHON" -c 'import pymysql; print(pymysql.__version__)'), $(nproc) cores"
if [ -n "${b[server_copy_large]:-}" ] && [ -n "${b[pandas_large]:-}" ]; then
  echo "pandas / the floor (1M rows): $(ratio "${b[pandas_large]}" "${b[server_copy_large]}"), the highest ratio to pandas any loader could reach on this server (target for sluice: >= 50)." |
    tee -a "$OUT/mysql-results.md"
fi
