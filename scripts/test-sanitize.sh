#!/usr/bin/env bash
# Builds sluice and its tests with AddressSanitizer and UndefinedBehaviorSanitizer
# (any error fatal, -O1 -g) in their own build folder and runs them through
# scripts/test.sh: every unit test and the fuzz regressions, and the end-to-end
# modules that need no PostgreSQL or ClickHouse (those run in `make test`; so does
# test_memory, whose resident-memory bounds mean nothing under ASan's shadow memory).
#
# Sanitizer reports go to $BUILD/sanitizer-logs/ as well as failing the process:
# a test that does not look at the exit status of a sluice it ran (one it stops
# with a signal, say) cannot hide a report. Any report fails the run.
#
#   scripts/test-sanitize.sh      BUILD (default build-asan), JOBS
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build-asan}
JOBS=${JOBS:-$(nproc)}

cmake -S . -B "$BUILD" -G Ninja -DCMAKE_BUILD_TYPE=Debug -DCMAKE_CXX_FLAGS_DEBUG="-O1 -g" \
  -DSLUICE_SANITIZE=ON >/dev/null
cmake --build "$BUILD" -j "$JOBS"

logs=$(cd "$BUILD" && pwd)/sanitizer-logs
rm -rf "$logs"
mkdir -p "$logs"
export ASAN_OPTIONS="log_path=$logs/asan:detect_leaks=1"
export SLUICE_SANITIZED=1  # the e2e tests leave resident-memory bounds unchecked
export UBSAN_OPTIONS="log_path=$logs/ubsan:print_stacktrace=1:halt_on_error=1"
status=0
BUILD=$BUILD JOBS=$JOBS CTEST_ARGS='-E ^e2e\.test_(postgres|clickhouse|memory)$' scripts/test.sh ||
  status=$?
if compgen -G "$logs/*" > /dev/null; then
  echo "test-sanitize: sanitizer reports:" >&2
  for report in "$logs"/*; do
    echo "== $report" >&2
    cat "$report" >&2
  done
  status=1
fi
exit $status
