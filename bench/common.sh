# shellcheck shell=bash disable=SC2034  # sourced: the variables are for the scripts
# Shared by the bench/ scripts (sourced, after `cd` to the repository root):
# the data set, its generation, the PostgreSQL server and the arithmetic of the
# result tables.
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

# PostgreSQL (after scripts/setup.sh postgres): start_postgres sets URL to
# $SLUICE_TEST_POSTGRES_URL, or starts a throwaway server with
# scripts/servers/postgres.sh that stop_postgres stops (call it from an EXIT trap).
PSQL=/usr/lib/postgresql/15/bin/psql  # the real psql, not Debian's Perl wrapper
PG_SERVER_DIR=
start_postgres() {
  URL=${SLUICE_TEST_POSTGRES_URL:-}
  if [ -z "$URL" ]; then
    PG_SERVER_DIR=$(mktemp -d /tmp/sluice-bench-pg-XXXXXX)
    chmod 755 "$PG_SERVER_DIR"
    URL=$("$ROOT/scripts/servers/postgres.sh" start "$PG_SERVER_DIR" |
      sed -n 's/^SLUICE_TEST_POSTGRES_URL=//p')
    [ -n "$URL" ] || die "the PostgreSQL server did not start"
  fi
}
stop_postgres() {
  if [ -n "$PG_SERVER_DIR" ]; then
    "$ROOT/scripts/servers/postgres.sh" stop "$PG_SERVER_DIR" || true
    rm -rf "$PG_SERVER_DIR"
    PG_SERVER_DIR=
  fi
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
