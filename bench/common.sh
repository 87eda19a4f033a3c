# shellcheck shell=bash disable=SC2034  # sourced: the variables are for the scripts
# Shared by the bench/ scripts (sourced, after `cd` to the repository root):
# the data set, its generation, the throwaway servers, the measurement loop and
# the arithmetic and layout of the result tables.
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

# Runs the entries of MEASUREMENTS ("name|runs|command|label|rows|files", files
# empty for the large file) whose names match BENCH_ONLY, each `runs` times; sets
# `selected` and, by name, `b` (best seconds), `m` (median) and `all` (every run).
run_measurements() {
  local entry name runs command times
  selected=()
  for entry in "${MEASUREMENTS[@]}"; do
    [[ ${entry%%|*} =~ ^(${BENCH_ONLY:-.*})$ ]] && selected+=("$entry")
  done
  [ ${#selected[@]} -gt 0 ] || die "BENCH_ONLY=$BENCH_ONLY matches no measurement"
  declare -gA b m all
  for entry in "${selected[@]}"; do
    IFS='|' read -r name runs command _ <<< "$entry"
    times=()
    for _ in $(seq "$runs"); do times+=("$($command)"); done
    b[$name]=$(best "${times[@]}")
    m[$name]=$(median "${times[@]}")
    all[$name]="${times[*]}"
    echo "bench: $name ${times[*]}" >&2
  done
}

# Writes the table of run_measurements' results to FILE (and stdout), under a
# line about the run and the line ABOUT (versions): each tool's ratio is against
# sluice_large (or $RESULTS_BASE if set), or sluice_small for the measurements of
# many files.
write_results() { # file about
  local entry name runs label rows files base fps r
  {
    echo "Benchmark run $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git describe --always --dirty 2>/dev/null || echo '?'), $("$SLUICE_BIN" --version 2>/dev/null || echo 'sluice ?')"
    echo "$2"
    echo "Best of the runs (median in brackets). Ratio = the tool's seconds / sluice's seconds on the same data (>1: sluice faster)."
    echo
    echo "| measurement | runs | seconds | rows/s | files/s | ratio tool/sluice |"
    echo "|---|---:|---:|---:|---:|---:|"
    for entry in "${selected[@]}"; do
      IFS='|' read -r name runs _ label rows files <<< "$entry"
      if [ -n "$files" ]; then base=sluice_small; fps=$(rate "$files" "${b[$name]}"); else base=${RESULTS_BASE:-sluice_large}; fps=; fi
      r=
      case $name in sluice_*) ;; *) [ -n "${b[$base]:-}" ] && r=$(ratio "${b[$name]}" "${b[$base]}") ;; esac
      echo "| $label | $runs | ${b[$name]} (${m[$name]}) | $(rate "$rows" "${b[$name]}") | $fps | $r |"
    done
    echo
    echo "All runs (seconds):"
    for entry in "${selected[@]}"; do
      IFS='|' read -r name _ <<< "$entry"
      echo "- $name: ${all[$name]}"
    done
  } > "$1"
  cat "$1"
  echo "bench: results written to $1" >&2
}
