# shellcheck shell=bash disable=SC2034  # sourced: the variables are for the scripts
# Shared by the bench/ scripts (sourced, after `cd` to the repository root):
# the data set, its generation and the arithmetic of the result tables.
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

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }
best() { printf '%s\n' "$@" | sort -g | head -n 1; }
median() { printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
ratio() { awk -v base="$1" -v s="$2" 'BEGIN { printf "%.2f", base / s }'; }
