#!/usr/bin/env bash
# Every sink's benchmark in one run (make bench), then one table of all their
# measurements: each script adds its lines to $BENCH_OUT/results.tsv (through
# bench/common.sh's record_result), and this script renders them into
# $BENCH_OUT/results.md (also printed).
#
#   bench/all.sh              every script of SCRIPTS below that exists
#   bench/all.sh --table      only render the table of the results.tsv there is
#
# Environment: BENCH_SCRIPTS (the scripts to run, names without .sh, default the
# list below), and what the scripts read (SLUICE_BIN, BENCH_OUT, BENCH_REPEAT,
# ...). Each script starts and stops its own servers; its output goes to the
# terminal and to $BENCH_OUT/logs/NAME.log. A missing script is skipped with a
# note, a failing one noted under the table (the others still run), and the exit
# status is 1 if any failed. The latency benchmark is separate: make
# bench-latency. See docs/benchmarks.md ("Running").
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=${BENCH_OUT:-$ROOT/bench/out}
TSV=$OUT/results.tsv
RESULTS=$OUT/results.md
# run.sh is SQLite's; reader.sh measures the readers alone (no sink).
SCRIPTS=${BENCH_SCRIPTS:-run postgres clickhouse mysql parquet transforms reader}

# The markdown table of results.tsv (see bench/common.sh for its columns): a
# line for each baseline beside the sluice measurement it is compared with, and
# one for each sluice measurement no baseline is compared with, in file order.
render_table() { # tsv
  awk -F'\t' '
    function num(x) { return x == "" ? "" : x }
    function rate(n, s) { return (n == "" || s == "" || s + 0 == 0) ? "" : sprintf("%.0f", n / s) }
    NR == 1 { next }
    {
      n++; script[n] = $1; name[n] = $2; label[n] = $3; kind[n] = $4; vs[n] = $5
      best[n] = $7; rows[n] = $9; files[n] = $10; rss[n] = $11
      id[$1 SUBSEP $2] = n
      if ($4 == "baseline" && $5 != "") compared[$1 SUBSEP $5] = 1
    }
    END {
      print "| script | measurement | sluice s | baseline | baseline s | ratio baseline/sluice | rows/s | files/s | sluice peak RSS (MiB) |"
      print "|---|---|---:|---|---:|---:|---:|---:|---:|"
      for (i = 1; i <= n; i++) {
        if (kind[i] == "sluice") {
          if (!((script[i] SUBSEP name[i]) in compared))
            printf "| %s | %s | %s | | | | %s | %s | %s |\n", script[i], label[i], best[i],
              rate(rows[i], best[i]), rate(files[i], best[i]), rss[i]
          continue
        }
        j = (vs[i] != "") ? id[script[i] SUBSEP vs[i]] : 0
        if (j) {
          ratio = (best[j] + 0 > 0) ? sprintf("%.2f", best[i] / best[j]) : ""
          printf "| %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", script[i], label[j], best[j],
            label[i], best[i], ratio, rate(rows[j], best[j]), rate(files[j], best[j]), rss[j]
        } else {
          printf "| %s | | | %s | %s | | %s | %s | |\n", script[i], label[i], best[i],
            rate(rows[i], best[i]), rate(files[i], best[i])
        }
      }
    }' "$1"
}

write_table() { # notes...
  local note
  {
    echo "Benchmark table of $(date -u +%Y-%m-%dT%H:%M:%SZ), tree $(git describe --always --dirty 2>/dev/null || echo '?'), $(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "Seconds: best of the runs (each script's own results file has the medians and every run)."
    echo "Ratio = baseline seconds / sluice seconds on the same data (>1: sluice faster); rows/s and files/s are sluice's (the baseline's where no sluice measurement is beside it)."
    echo
    render_table "$TSV"
    if [ $# -gt 0 ]; then echo; echo "Scripts:"; fi
    for note in "$@"; do echo "- $note"; done
  } > "$RESULTS"
  cat "$RESULTS"
  echo "bench: results written to $RESULTS (lines: $TSV)" >&2
}

if [ "${1:-}" = --table ]; then
  [ -f "$TSV" ] || { echo "bench: no $TSV (run bench/all.sh first)" >&2; exit 1; }
  write_table
  exit 0
fi

mkdir -p "$OUT/logs"
rm -f "$TSV"
notes=()
failed=0
for name in $SCRIPTS; do
  script=bench/$name.sh
  if [ ! -f "$script" ]; then
    notes+=("$script: not present, skipped")
    echo "bench: $script is not present, skipped" >&2
    continue
  fi
  echo "bench: === $script ===" >&2
  if bash "$script" 2>&1 | tee "$OUT/logs/$name.log"; then
    notes+=("$script: done (log: $OUT/logs/$name.log)")
  else
    notes+=("$script: FAILED, its lines are missing (log: $OUT/logs/$name.log)")
    failed=1
  fi
done
[ -f "$TSV" ] || { echo "bench: no script recorded a result" >&2; exit 1; }
write_table "${notes[@]}"
exit "$failed"
