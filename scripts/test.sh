#!/usr/bin/env bash
# Runs every test: starts the throwaway servers the integration tests need
# (scripts/servers/*.sh, each on 127.0.0.1 in a temporary folder), runs CTest
# with their addresses in the environment, and stops them whatever happens.
#
# A server script takes `start DIR` and prints KEY=VALUE lines for the tests'
# environment on stdout, and `stop DIR`. Under CI=true a server that cannot start
# fails the run; elsewhere its tests report themselves skipped. CTEST_ARGS adds
# arguments to ctest (e.g. "-E REGEX" to leave tests out).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
JOBS=${JOBS:-$(nproc)}
state=$(mktemp -d /tmp/sluice-servers-XXXXXX)
chmod 755 "$state"

root=$PWD
started=()
cleanup() {
  # Absolute: the tests run from $BUILD.
  for name in "${started[@]}"; do
    "$root/scripts/servers/$name.sh" stop "$state/$name" || true
  done
  rm -rf "$state"
}
trap cleanup EXIT

for script in scripts/servers/*.sh; do
  [ -e "$script" ] || continue
  name=$(basename "$script" .sh)
  mkdir -p "$state/$name"
  if env_lines=$("$script" start "$state/$name"); then
    started+=("$name")
    while IFS= read -r line; do
      [ -n "$line" ] && export "${line?}"
    done <<< "$env_lines"
  elif [ "${CI:-}" = "true" ]; then
    echo "test: the $name server did not start" >&2
    exit 1
  else
    echo "test: the $name server did not start; its tests will be skipped" >&2
  fi
done

cd "$BUILD"
read -r -a ctest_args <<< "${CTEST_ARGS:-}"
ctest --output-on-failure -j "$JOBS" "${ctest_args[@]}"
