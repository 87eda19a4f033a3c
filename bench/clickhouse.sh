#!/usr/bin/env bash
# ClickHouse benchmark: sluice loading the data of bench/gen_data.py into
# ClickHouse — the 1M-row file, and the 2,000 files of 50 rows — against
# clickhouse-client (native protocol) and curl (HTTP) sending the same files as
# INSERT … FORMAT CSVWithNames into a typed table, on the same server in the same
# run, and the keyed load against clickhouse-client into the same kind of table
# (ReplacingMergeTree ORDER BY the key). Small files: clickhouse-client runs once per file (a process each); curl
# sends one request per file over one keep-alive connection (one process).
#
#   bench/clickhouse.sh
#
# Server: a throwaway one started with scripts/servers/clickhouse.sh (and stopped
# at the end); clickhouse-client needs its native port, which the script's config
# names. Each measurement runs in a fresh database. Environment: SLUICE_BIN
# (default build/sluice), BENCH_OUT (default bench/out), BENCH_REPEAT (runs per
# measurement, default 3; the best is reported, the median in brackets). Every
# run's row count is verified. Results: bench/out/clickhouse-results.md; see
# docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/.."
source bench/common.sh  # peak RSS and results.tsv (the settings below are the same)
ROOT=$PWD
SLUICE_BIN=${SLUICE_BIN:-$ROOT/build/sluice}
OUT=${BENCH_OUT:-$ROOT/bench/out}
REPEAT=${BENCH_REPEAT:-3}
SCHEMA=$ROOT/bench/sensors.schema.yaml
ROWS=1000000
SMALL_FILES=2000
SMALL_ROWS=50
SMALL_TOTAL=$((SMALL_FILES * SMALL_ROWS))
LARGE=$OUT/data/large/readings.csv
SMALL=$OUT/data/small
WORK=$OUT/work-clickhouse

die() { echo "bench: $*" >&2; exit 1; }
[ -x "$SLUICE_BIN" ] || die "no sluice binary at $SLUICE_BIN (make build, or set SLUICE_BIN)"
command -v clickhouse-client >/dev/null || die "clickhouse-client is not installed (scripts/setup.sh)"
if [ ! -f "$LARGE" ] || [ "$(find "$SMALL" -name '*.csv' 2>/dev/null | wc -l)" != "$SMALL_FILES" ]; then
  python3 "$ROOT/bench/gen_data.py" "$OUT/data" --rows "$ROWS" --small-files "$SMALL_FILES" \
    --small-rows "$SMALL_ROWS" || die "cannot generate the data (run bench/run.sh once)"
  # Old mtimes: every file counts as settled at once.
  find "$OUT/data" -type f -exec touch -d '10 minutes ago' {} +
fi

server_dir=$(mktemp -d /tmp/sluice-bench-ch-XXXXXX)
chmod 755 "$server_dir"
cleanup() {
  scripts/servers/clickhouse.sh stop "$server_dir" || true
  rm -rf "$server_dir"
}
trap cleanup EXIT
URL=$(scripts/servers/clickhouse.sh start "$server_dir" |
  sed -n 's/^SLUICE_TEST_CLICKHOUSE_URL=//p')
[ -n "$URL" ] || die "the ClickHouse server did not start"
PASSWORD=$(cat "$server_dir/password")
HTTP_PORT=$(sed -n 's#.*<http_port>\([0-9]*\)</http_port>.*#\1#p' "$server_dir/config.xml")
TCP_PORT=$(sed -n 's#.*<tcp_port>\([0-9]*\)</tcp_port>.*#\1#p' "$server_dir/config.xml")

query() { # sql [url parameters]
  curl -sS --fail-with-body -H 'X-ClickHouse-User: default' -H "X-ClickHouse-Key: $PASSWORD" \
    --data-binary "$1" "http://127.0.0.1:$HTTP_PORT/?${2:-}"
}
fresh_db() { query "DROP DATABASE IF EXISTS $1" && query "CREATE DATABASE $1"; }
db_url() { echo "$URL" | sed -E "s#/[^/]*\$#/$1#"; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v base="$1" -v s="$2" 'BEGIN { printf "%.2f", base / s }'; }
verify() { # db what [rows]
  local got
  got=$(query "SELECT count() FROM $1.readings" 2>/dev/null || echo "no table")
  [ "$got" = "${3:-$ROWS}" ] || die "$2: expected ${3:-$ROWS} rows in readings, found $got"
}

# Like the table sluice creates from the declared schema on this server version
# (without its load-id column). The timestamps are ISO 8601 with a 'T' and a 'Z':
# best_effort parsing reads them.
COLUMNS_DDL="(sensor_id Int64, ts DateTime, temperature Nullable(Float64),
  humidity Nullable(Float64), pressure Nullable(Float64), status Nullable(String))"
TYPED_DDL="$COLUMNS_DDL ENGINE = MergeTree ORDER BY tuple()"
# The keyed load's table, as sluice makes it for --key sensor_id,ts (without its
# hidden columns): clickhouse-client loads the same file into it.
KEYED_DDL="$COLUMNS_DDL ENGINE = ReplacingMergeTree ORDER BY (sensor_id, ts)"

measure_client() { # [keyed]
  local db=bench_client t0 t1 ddl=$TYPED_DDL
  [ "${1:-}" = keyed ] && ddl=$KEYED_DDL
  fresh_db $db
  query "CREATE TABLE $db.readings $ddl"
  t0=$(now)
  clickhouse-client --host 127.0.0.1 --port "$TCP_PORT" --user default --password "$PASSWORD" \
    --date_time_input_format=best_effort \
    --query "INSERT INTO $db.readings FORMAT CSVWithNames" < "$LARGE"
  t1=$(now)
  verify $db "clickhouse-client"
  query "DROP DATABASE $db"
  elapsed "$t0" "$t1"
}

measure_curl() {
  local db=bench_curl t0 t1
  fresh_db $db
  query "CREATE TABLE $db.readings $TYPED_DDL"
  t0=$(now)
  curl -sS --fail-with-body -H 'X-ClickHouse-User: default' -H "X-ClickHouse-Key: $PASSWORD" \
    -H 'Expect:' --data-binary @"$LARGE" \
    "http://127.0.0.1:$HTTP_PORT/?date_time_input_format=best_effort&query=INSERT%20INTO%20$db.readings%20FORMAT%20CSVWithNames"
  t1=$(now)
  verify $db "curl"
  query "DROP DATABASE $db"
  elapsed "$t0" "$t1"
}

measure_sluice() { # plain | keyed
  local db=bench_sluice w=$WORK/sluice t0 t1 key=()
  fresh_db $db
  rm -rf "$w"; mkdir -p "$w/data"
  cp -p "$LARGE" "$w/data/"
  [ "$1" = keyed ] && key=(--key "sensor_id,ts")
  t0=$(now)
  "$SLUICE_BIN" once --source "$w/data" --sink "$(db_url $db)" --ledger "$w/ledger.db" \
    --processed "$w/processed" --quarantine "$w/quarantine" --schema "$SCHEMA" \
    --settle-ms 0 --after-load keep "${key[@]}" >"$w/sluice.log" 2>&1 ||
    die "sluice once exited $? (log: $w/sluice.log)"
  t1=$(now)
  verify $db "sluice ($1)"
  query "DROP DATABASE $db"
  rm -rf "$w"
  elapsed "$t0" "$t1"
}

measure_client_small() {
  local db=bench_client_small t0 t1 f
  fresh_db $db
  query "CREATE TABLE $db.readings $TYPED_DDL"
  t0=$(now)
  for f in "$SMALL"/*.csv; do
    clickhouse-client --host 127.0.0.1 --port "$TCP_PORT" --user default --password "$PASSWORD" \
      --date_time_input_format=best_effort \
      --query "INSERT INTO $db.readings FORMAT CSVWithNames" < "$f"
  done
  t1=$(now)
  verify $db "clickhouse-client x$SMALL_FILES" "$SMALL_TOTAL"
  query "DROP DATABASE $db"
  elapsed "$t0" "$t1"
}

measure_curl_small() {
  local db=bench_curl_small w=$WORK/curl t0 t1 f first
  fresh_db $db
  query "CREATE TABLE $db.readings $TYPED_DDL"
  rm -rf "$w"; mkdir -p "$w"
  # One curl process, one request per file, all on one keep-alive connection
  # (options after "next" apply to the next request only, so each request has its own).
  first=1
  for f in "$SMALL"/*.csv; do
    [ $first = 1 ] || echo next
    first=0
    printf 'url = "http://127.0.0.1:%s/?date_time_input_format=best_effort&query=INSERT%%20INTO%%20%s.readings%%20FORMAT%%20CSVWithNames"\n' \
      "$HTTP_PORT" "$db"
    printf 'header = "X-ClickHouse-User: default"\nheader = "X-ClickHouse-Key: %s"\nheader = "Expect:"\n' \
      "$PASSWORD"
    printf 'data-binary = "@%s"\noutput = "/dev/null"\nfail-with-body\n' "$f"
  done > "$w/curl.config"
  t0=$(now)
  curl -sS -K "$w/curl.config"
  t1=$(now)
  verify $db "curl x$SMALL_FILES" "$SMALL_TOTAL"
  query "DROP DATABASE $db"
  rm -rf "$w"
  elapsed "$t0" "$t1"
}

measure_sluice_small() {
  local db=bench_sluice_small w=$WORK/sluice-small t0 t1 n
  fresh_db $db
  rm -rf "$w"; mkdir -p "$w/data"
  cp -p "$SMALL"/*.csv "$w/data/"
  t0=$(now)
  "$SLUICE_BIN" once --source "$w/data" --sink "$(db_url $db)" --ledger "$w/ledger.db" \
    --processed "$w/processed" --quarantine "$w/quarantine" --schema "$SCHEMA" \
    --settle-ms 0 >"$w/sluice.log" 2>&1 || die "sluice once exited $? (log: $w/sluice.log)"
  t1=$(now)
  verify $db "sluice x$SMALL_FILES" "$SMALL_TOTAL"
  n=$(find "$w/processed" -type f | wc -l)
  [ "$n" = "$SMALL_FILES" ] || die "sluice once: $n of $SMALL_FILES files in processed/"
  query "DROP DATABASE $db"
  rm -rf "$w"
  elapsed "$t0" "$t1"
}

declare -A b m rss
rss_measure_every_sluice
for what in client curl sluice_plain client_keyed sluice_keyed client_small curl_small sluice_small; do
  runs=()
  rss_reset
  for _ in $(seq "$REPEAT"); do
    case $what in
      client) runs+=("$(measure_client)") ;;
      client_keyed) runs+=("$(measure_client keyed)") ;;
      curl) runs+=("$(measure_curl)") ;;
      sluice_plain) runs+=("$(measure_sluice plain)") ;;
      sluice_keyed) runs+=("$(measure_sluice keyed)") ;;
      client_small) runs+=("$(measure_client_small)") ;;
      curl_small) runs+=("$(measure_curl_small)") ;;
      sluice_small) runs+=("$(measure_sluice_small)") ;;
    esac
  done
  b[$what]=$(best "${runs[@]}")
  m[$what]=$(median "${runs[@]}")
  rss[$what]=$(rss_peak_mib)
  echo "bench: $what ${runs[*]}" >&2
done

results=$OUT/clickhouse-results.md
{
  echo "ClickHouse $(query 'SELECT version()'), $(nproc) cores, best of $REPEAT (median)"
  echo
  echo "| measurement | seconds | rows/s | ratio clickhouse-client/sluice | ratio curl/sluice |"
  echo "|---|---|---|---|---|"
  echo "| clickhouse-client INSERT … FORMAT CSVWithNames, 1M rows, typed table | ${b[client]} (${m[client]}) | $(rate $ROWS "${b[client]}") | | |"
  echo "| curl POST INSERT … FORMAT CSVWithNames, 1M rows, typed table | ${b[curl]} (${m[curl]}) | $(rate $ROWS "${b[curl]}") | | |"
  echo "| sluice once, 1M rows, declared schema | ${b[sluice_plain]} (${m[sluice_plain]}) | $(rate $ROWS "${b[sluice_plain]}") | $(ratio "${b[client]}" "${b[sluice_plain]}") | $(ratio "${b[curl]}" "${b[sluice_plain]}") |"
  echo "| clickhouse-client, 1M rows, ReplacingMergeTree ORDER BY (sensor_id, ts) | ${b[client_keyed]} (${m[client_keyed]}) | $(rate $ROWS "${b[client_keyed]}") | | |"
  echo "| sluice once, 1M rows, key (sensor_id, ts): ReplacingMergeTree | ${b[sluice_keyed]} (${m[sluice_keyed]}) | $(rate $ROWS "${b[sluice_keyed]}") | $(ratio "${b[client_keyed]}" "${b[sluice_keyed]}") (keyed client) | |"
  echo
  echo "| measurement | seconds | files/s | ratio clickhouse-client/sluice | ratio curl/sluice |"
  echo "|---|---|---|---|---|"
  echo "| clickhouse-client x$SMALL_FILES files (a process each) | ${b[client_small]} (${m[client_small]}) | $(rate $SMALL_FILES "${b[client_small]}") | | |"
  echo "| curl x$SMALL_FILES requests, one keep-alive connection | ${b[curl_small]} (${m[curl_small]}) | $(rate $SMALL_FILES "${b[curl_small]}") | | |"
  echo "| sluice once, $SMALL_FILES files × $SMALL_ROWS rows, declared schema | ${b[sluice_small]} (${m[sluice_small]}) | $(rate $SMALL_FILES "${b[sluice_small]}") | $(ratio "${b[client_small]}" "${b[sluice_small]}") | $(ratio "${b[curl_small]}" "${b[sluice_small]}") |"
  echo
  echo "Peak RSS of sluice (MiB, the largest of the runs): plain ${rss[sluice_plain]}, keyed ${rss[sluice_keyed]}, $SMALL_FILES files ${rss[sluice_small]}"
} > "$results"
# The lines of bench/all.sh's table: name label kind vs runs best median rows files rss.
for line in "client|clickhouse-client INSERT … FORMAT CSVWithNames, 1M rows|baseline|sluice_plain|$ROWS|" \
  "curl|curl POST INSERT … FORMAT CSVWithNames, 1M rows|baseline|sluice_plain|$ROWS|" \
  "sluice_plain|sluice once, 1M rows, declared schema|sluice||$ROWS|" \
  "client_keyed|clickhouse-client, 1M rows, ReplacingMergeTree ORDER BY (sensor_id, ts)|baseline|sluice_keyed|$ROWS|" \
  "sluice_keyed|sluice once, 1M rows, key (sensor_id, ts): ReplacingMergeTree|sluice||$ROWS|" \
  "client_small|clickhouse-client x$SMALL_FILES files (a process each)|baseline|sluice_small|$SMALL_TOTAL|$SMALL_FILES" \
  "curl_small|curl x$SMALL_FILES requests, one keep-alive connection|baseline|sluice_small|$SMALL_TOTAL|$SMALL_FILES" \
  "sluice_small|sluice once, $SMALL_FILES files × $SMALL_ROWS rows, declared schema|sluice||$SMALL_TOTAL|$SMALL_FILES"; do
  IFS='|' read -r what label kind vs rows files <<< "$line"
  record_result "$what" "$label" "$kind" "$vs" "$REPEAT" "${b[$what]}" "${m[$what]}" "$rows" "$files" \
    "${rss[$what]}"
done
cat "$results"
echo "bench: results written to $results" >&2
