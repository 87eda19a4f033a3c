# shellcheck shell=bash disable=SC2034  # sourced: the variables are for the scripts
# Shared by the bench/ scripts (sourced, after `cd` to the repository root):
# the data set, its generation, the throwaway servers, the measurement loop (with
# sluice's peak RSS), the arithmetic and layout of the result tables, and the
# rows every script adds to $BENCH_OUT/results.tsv for bench/all.sh's table.
ROOT=$PWD
SLUICE_BIN=${SLUICE_BIN:-$ROOT/build/sluice}
OUT=${BENCH_OUT:-$ROOT/bench/out}
REPEAT=${BENCH_REPEAT:-3}
SCHEMA=$ROOT/bench/sensors.schema.yaml
ROWS=1000000
SMALL_FILES=2000
SMALL_ROWS=50
SMALL_TOTAL=$((SMALL_FILES * SMALL_ROWS))
DATA=$OUT/data
LARGE=$DATA/large/readings.csv
SMALL=$DATA/small

die() { echo "bench: $*" >&2; exit 1; }

# Generates the data (reproducible) when absent or made by other settings.
ensure_data() {
  local stamp
  command -v python3 >/dev/null || die "python3 is not installed"
  stamp="rows=$ROWS small=$SMALL_FILES x $SMALL_ROWS gen=$(cksum < "$ROOT/bench/gen_data.py")"
  if [ "$(cat "$DATA/.stamp" 2>/dev/null)" != "$stamp" ]; then
    rm -rf "$DATA"
    python3 "$ROOT/bench/gen_data.py" "$DATA" --rows "$ROWS" --small-files "$SMALL_FILES" \
      --small-rows "$SMALL_ROWS"
    # Old mtimes: every file counts as settled at once.
    find "$DATA" -type f -exec touch -d '10 minutes ago' {} +
    echo "$stamp" > "$DATA/.stamp"
  fi
}

# Builds build/sluice (as `make build` does) when it is the binary asked for and missing.
ensure_sluice() {
  if [ ! -x "$SLUICE_BIN" ]; then
    [ "$SLUICE_BIN" = "$ROOT/build/sluice" ] || die "no sluice binary at $SLUICE_BIN"
    echo "bench: building $SLUICE_BIN" >&2
    cmake -S "$ROOT" -B "$ROOT/build" -G Ninja -DCMAKE_BUILD_TYPE=Release >&2
    cmake --build "$ROOT/build" --target sluice >&2
  fi
}

# Throwaway servers: start_server NAME starts scripts/servers/NAME.sh in a
# temporary folder and exports the KEY=VALUE lines it prints; stop_servers stops
# every one started (call it from an EXIT trap).
SERVER_DIRS=()
start_server() { # name
  local dir lines line
  dir=$(mktemp -d "/tmp/sluice-bench-$1-XXXXXX")
  chmod 755 "$dir"
  SERVER_DIRS+=("$1:$dir")
  lines=$("$ROOT/scripts/servers/$1.sh" start "$dir") || die "the $1 server did not start"
  while IFS= read -r line; do
    [ -n "$line" ] && export "${line?}"
  done <<< "$lines"
}
stop_servers() {
  local entry
  for entry in "${SERVER_DIRS[@]}"; do
    "$ROOT/scripts/servers/${entry%%:*}.sh" stop "${entry#*:}" || true
    rm -rf "${entry#*:}"
  done
  SERVER_DIRS=()
}

# PostgreSQL (after scripts/setup.sh postgres): start_postgres sets URL to
# $SLUICE_TEST_POSTGRES_URL, or starts a throwaway server for it.
PSQL=/usr/lib/postgresql/15/bin/psql  # the real psql, not Debian's Perl wrapper
start_postgres() {
  [ -n "${SLUICE_TEST_POSTGRES_URL:-}" ] || start_server postgres
  URL=$SLUICE_TEST_POSTGRES_URL
}
# The URL of database $1 on the server of $URL.
db_url() { echo "$URL" | sed -E "s#^([^/]*//[^/]*)/[^?]*#\1/$1#"; }
sql() { "$PSQL" -X -q -d "$1" -v ON_ERROR_STOP=1 -c "SET client_min_messages = warning" -c "$2"; }

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v base="$1" -v s="$2" 'BEGIN { printf "%.2f", base / s }'; }
# The P-th percentile (nearest rank) of the numbers on stdin, one a line.
percentile() {
  sort -g | awk -v p="$1" '{ v[NR] = $1 }
    END { if (NR == 0) exit 1; r = p * NR / 100; i = int(r); if (i < r) i++; if (i < 1) i = 1; print v[i] }'
}

# pandas read_csv + to_sql (bench/pandas_to_sql.py, run by Debian's $PYTHON) of
# the large file or the small files into the typed table readings of $DB_URL,
# between the calling script's `prepare typed` and `finish`; prints the seconds.
measure_pandas() { # large | small
  local t0 t1 expected=$ROWS files=("$LARGE")
  prepare typed
  if [ "$1" = small ]; then files=("$SMALL"/*.csv); expected=$SMALL_TOTAL; fi
  t0=$(now)
  "$PYTHON" bench/pandas_to_sql.py "$DB_URL" readings "${files[@]}"
  t1=$(now)
  finish "$expected" "pandas to_sql ($1)"
  elapsed "$t0" "$t1"
}

# sluice once with the declared schema: the large file (plain, or keyed on
# sensor_id, ts) or the small files into $DB_URL, between the calling script's
# `prepare` and `finish`; prints the seconds. CHECK_SLUICE_LOG, if set, names a
# function that is given sluice's log to check first.
measure_sluice() { # large | keyed | small
  local t0 t1 n expected=$ROWS args=()
  prepare
  mkdir -p "$W/data"
  case $1 in
    large) cp -p "$LARGE" "$W/data/"; args=(--after-load keep) ;;
    keyed) cp -p "$LARGE" "$W/data/"; args=(--after-load keep --key "sensor_id,ts") ;;
    small) cp -p "$SMALL"/*.csv "$W/data/"; expected=$SMALL_TOTAL ;;
  esac
  t0=$(now)
  "$SLUICE_BIN" once --source "$W/data" --sink "$DB_URL" --ledger "$W/ledger.db" \
    --processed "$W/processed" --quarantine "$W/quarantine" --schema "$SCHEMA" \
    --settle-ms 0 "${args[@]}" >"$W/sluice.log" 2>&1 ||
    die "sluice once exited $? (log: $W/sluice.log)"
  t1=$(now)
  if [ "$1" = small ]; then
    n=$(find "$W/processed" -type f | wc -l)
    [ "$n" = "$SMALL_FILES" ] || die "sluice once: $n of $SMALL_FILES files in processed/"
  fi
  if [ -n "${CHECK_SLUICE_LOG:-}" ]; then "$CHECK_SLUICE_LOG" "$W/sluice.log"; fi
  finish "$expected" "sluice once ($1)"
  elapsed "$t0" "$t1"
}

# Peak RSS: rss_measured COMMAND... runs COMMAND with SLUICE_BIN standing for
# bench/peak_rss.sh, which runs the real binary under GNU time (scripts/packages/
# core.txt) and logs each sluice process's peak RSS to RSS_LOG; rss_peak_mib
# prints the largest logged since rss_reset, in MiB (empty when no sluice ran).
# Without GNU time, COMMAND runs as is.
RSS_LOG=
rss_reset() {
  [ -n "$RSS_LOG" ] || { mkdir -p "$OUT"; RSS_LOG=$(mktemp "$OUT/.peak-rss.XXXXXX"); }
  : > "$RSS_LOG"
}
rss_measured() { # command...
  [ -n "$RSS_LOG" ] || rss_reset
  if [ -x /usr/bin/time ]; then
    # shellcheck disable=SC2097,SC2098  # the real binary, for the wrapper to run
    SLUICE_REAL=$SLUICE_BIN SLUICE_RSS_LOG=$RSS_LOG SLUICE_BIN=$ROOT/bench/peak_rss.sh "$@"
  else
    "$@"
  fi
}
# For a script with a measurement loop of its own that runs no sluice in the
# background: from now on every sluice it starts is measured (rss_reset between
# measurements).
rss_measure_every_sluice() {
  rss_reset
  [ -x /usr/bin/time ] || return 0
  export SLUICE_REAL=$SLUICE_BIN SLUICE_RSS_LOG=$RSS_LOG
  SLUICE_BIN=$ROOT/bench/peak_rss.sh
}
rss_peak_mib() {
  awk '$1 == "peak_rss_kib" && $2 > max { max = $2 } END { if (max) printf "%.0f", max / 1024 }' \
    "$RSS_LOG"
}

# Runs the entries of MEASUREMENTS ("name|runs|command|label|rows|files[|vs]",
# files empty for the large file; vs, for a baseline, the name of the sluice
# measurement it is compared with, default base_of's) whose names match
# BENCH_ONLY, each `runs` times; sets
# `selected` and, by name, `b` (best seconds), `m` (median), `all` (every run)
# and `rss` (the peak RSS in MiB of the sluice processes over the runs; empty
# when none ran).
run_measurements() {
  local entry name runs command times
  selected=()
  for entry in "${MEASUREMENTS[@]}"; do
    [[ ${entry%%|*} =~ ^(${BENCH_ONLY:-.*})$ ]] && selected+=("$entry")
  done
  [ ${#selected[@]} -gt 0 ] || die "BENCH_ONLY=$BENCH_ONLY matches no measurement"
  declare -gA b m all rss
  for entry in "${selected[@]}"; do
    IFS='|' read -r name runs command _ <<< "$entry"
    times=()
    rss_reset
    # shellcheck disable=SC2086  # command is a function and its arguments
    for _ in $(seq "$runs"); do times+=("$(rss_measured $command)"); done
    b[$name]=$(best "${times[@]}")
    m[$name]=$(median "${times[@]}")
    all[$name]="${times[*]}"
    rss[$name]=$(rss_peak_mib)
    echo "bench: $name ${times[*]}${rss[$name]:+ (peak RSS ${rss[$name]} MiB)}" >&2
  done
  rm -f "$RSS_LOG"
  RSS_LOG=
}

# The combined results, $OUT/results.tsv: a header line, then one line a
# measurement, tab-separated:
#   script name label kind vs runs best_s median_s rows files peak_rss_mib
# script: the bench script (BENCH_NAME, default its file name without .sh);
# kind: sluice or baseline; vs: for a baseline, the name of the sluice
# measurement of the same script it is compared with (may be empty); files:
# empty unless the data is many files; peak_rss_mib: sluice's, empty for a
# baseline. A script's first record_result drops the lines of its previous run,
# so the file holds the last run of each script; bench/all.sh renders it.
RESULTS_TSV=$OUT/results.tsv
RESULTS_TSV_HEADER=$'script\tname\tlabel\tkind\tvs\truns\tbest_s\tmedian_s\trows\tfiles\tpeak_rss_mib'
RESULTS_TSV_STARTED=
record_result() { # name label kind vs runs best median rows files rss
  local script=${BENCH_NAME:-$(basename "$0" .sh)} field line
  line=$script
  mkdir -p "$OUT"
  if [ -z "$RESULTS_TSV_STARTED" ]; then
    {
      echo "$RESULTS_TSV_HEADER"
      [ -f "$RESULTS_TSV" ] && awk -F'\t' -v s="$script" 'NR > 1 && $1 != s' "$RESULTS_TSV"
    } > "$RESULTS_TSV.new"
    mv "$RESULTS_TSV.new" "$RESULTS_TSV"
    RESULTS_TSV_STARTED=1
  fi
  for field in "$@"; do line+=$'\t'${field//$'\t'/ }; done
  echo "$line" >> "$RESULTS_TSV"
}
# record_result for each measurement run_measurements selected (ROWS for an
# entry that gives no rows); the ratio base as in write_results. For scripts
# that lay out a table of their own.
# shellcheck disable=SC2120  # the argument is optional
record_measurements() { # [rows]
  local entry name runs label rows files vs kind peak
  for entry in "${selected[@]}"; do
    IFS='|' read -r name runs _ label rows files vs <<< "$entry"
    rows=${rows:-${1:-}}
    kind=sluice peak=${rss[$name]:-}
    if is_sluice "$name"; then
      vs=
    else
      kind=baseline vs=$(base_of "$files" "$vs") peak=
      [ -n "${b[$vs]:-}" ] || vs=
    fi
    record_result "$name" "${label:-$name}" "$kind" "$vs" "$runs" "${b[$name]}" "${m[$name]}" \
      "$rows" "${files:-}" "$peak"
  done
}
# Whether measurement NAME times sluice (the others time a baseline, which may
# run sluice untimed to prepare its data): its name matches SLUICE_NAMES, a
# regular expression, default sluice_.*
is_sluice() { [[ $1 =~ ^(${SLUICE_NAMES:-sluice_.*})$ ]]; }
# The sluice measurement a tool is compared with: the entry's own `vs` if it
# names one, else sluice_small for many files, else $RESULTS_BASE or sluice_large.
base_of() { # files [vs]
  if [ -n "${2:-}" ]; then
    echo "$2"
  elif [ -n "$1" ]; then
    echo sluice_small
  else
    echo "${RESULTS_BASE:-sluice_large}"
  fi
}

# Writes the table of run_measurements' results to FILE (and stdout), under a
# line about the run and the line ABOUT (versions): each tool's ratio is against
# base_of's sluice measurement; the lines go to results.tsv too.
write_results() { # file about
  local entry name runs label rows files vs base fps r peak
  {
    echo "Benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git describe --always --dirty 2>/dev/null || echo '?'), $("$SLUICE_BIN" --version 2>/dev/null || echo 'sluice ?')"
    echo "$2"
    echo "Best of the runs (median in brackets). Ratio = the tool's seconds / sluice's seconds on the same data (>1: sluice faster). Peak RSS: sluice's largest over the runs."
    echo
    echo "| measurement | runs | seconds | rows/s | files/s | ratio tool/sluice | peak RSS (MiB) |"
    echo "|---|---:|---:|---:|---:|---:|---:|"
    for entry in "${selected[@]}"; do
      IFS='|' read -r name runs _ label rows files vs <<< "$entry"
      base=$(base_of "$files" "$vs")
      fps=
      [ -z "$files" ] || fps=$(rate "$files" "${b[$name]}")
      r='' peak=${rss[$name]:-}
      if ! is_sluice "$name"; then
        peak=
        [ -z "${b[$base]:-}" ] || r=$(ratio "${b[$name]}" "${b[$base]}")
      fi
      echo "| $label | $runs | ${b[$name]} (${m[$name]}) | $(rate "$rows" "${b[$name]}") | $fps | $r | $peak |"
    done
    echo
    echo "All runs (seconds):"
    for entry in "${selected[@]}"; do
      IFS='|' read -r name _ <<< "$entry"
      echo "- $name: ${all[$name]}"
    done
  } > "$1"
  # shellcheck disable=SC2119  # every entry of write_results gives its rows
  record_measurements
  cat "$1"
  echo "bench: results written to $1" >&2
}
