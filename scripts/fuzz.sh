#!/usr/bin/env bash
# Builds the libFuzzer targets (fuzz/<name>_fuzz.cc) with clang, ASan and UBSan in
# their own build folder and runs each for SECONDS (default 60) from its seed
# corpus (tests/data, listed per target in fuzz/CMakeLists.txt) and its past
# crashes (tests/data/fuzz-regressions/<name>/). Exits non-zero if any target
# crashes, leaks, times out (one input over 25 s) or runs out of memory (2 GiB);
# the input is left in $FUZZ_BUILD/artifacts/<name>/. Prints CPU seconds and runs
# per target.
#
#   scripts/fuzz.sh [SECONDS] [TARGET...]     FUZZ_BUILD (default build-fuzz), JOBS
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${1:-60}
shift || true
build=${FUZZ_BUILD:-build-fuzz}
jobs=${JOBS:-$(nproc)}

scripts/setup.sh core fuzz
targets=("$@")
if [ ${#targets[@]} -eq 0 ]; then
  for src in fuzz/*_fuzz.cc; do targets+=("$(basename "$src" _fuzz.cc)"); done
fi

cmake -S . -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Debug \
  -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" -DSLUICE_FUZZ=ON -DBUILD_TESTING=OFF >/dev/null
cmake --build "$build" -j "$jobs" --target "${targets[@]/%/_fuzz}"

failed=()
summary=()
for name in "${targets[@]}"; do
  corpus=$build/corpus/$name        # what this machine found; grows run after run
  artifacts=$build/artifacts/$name/
  log=$build/logs/$name.log
  mkdir -p "$corpus" "$artifacts" "$(dirname "$log")"
  mapfile -t seeds < <(grep -v '^$' "$build/fuzz/$name.seeds")
  echo "fuzz: $name for ${seconds}s" >&2
  # CPU time of the fuzzer process, from its rusage (it runs one worker, in-process).
  set +e
  python3 - "$log" "$build/fuzz/${name}_fuzz" -max_total_time="$seconds" -timeout=25 \
    -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$artifacts" \
    "$corpus" "tests/data/fuzz-regressions/$name" "${seeds[@]}" > "$build/logs/$name.cpu" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "wb") as log:
    rc = subprocess.call(sys.argv[2:], stdout=log, stderr=subprocess.STDOUT)
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(f"{usage.ru_utime + usage.ru_stime:.1f}")
sys.exit(rc)
PY
  rc=$?
  set -e
  cpu=$(cat "$build/logs/$name.cpu")
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -n 1)
  if [ $rc -ne 0 ]; then
    failed+=("$name")
    echo "fuzz: $name FAILED (exit $rc); input in $artifacts; log $log:" >&2
    grep -E -A40 '^==[0-9]+==|SUMMARY|FUZZ_CHECK|runtime error|Timeout|out-of-memory' "$log" | head -n 80 >&2 || tail -n 40 "$log" >&2
  fi
  summary+=("$(printf '%-12s %8s CPU s %12s runs  %s' "$name" "$cpu" "${runs:-?}" \
    "$([ $rc -eq 0 ] && echo ok || echo FAILED)")")
done
printf '%s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "fuzz: failed: ${failed[*]}" >&2
  exit 1
fi
