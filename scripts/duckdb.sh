#!/usr/bin/env bash
# Runs SQL in an in-memory DuckDB (the Parquet test oracle) and prints the result
# of every statement as one JSON document on stdout:
#   {"results": [{"columns": [...], "types": [...], "rows": [[...], ...]}, ...]}
# Values are DuckDB's JSON forms (cast to VARCHAR in the SQL to compare exactly).
#
#   scripts/duckdb.sh FILE.sql      the statements in FILE.sql
#   scripts/duckdb.sh -c 'SQL'      the statements given
#
# @duckdb/node-api (pinned below) is installed on first use with npm into
# ${XDG_CACHE_HOME:-~/.cache}/sluice-npm. Exit status 77 means Node.js, npm or the
# package cannot be had (tests skip on it, or fail when CI=true); 1 is a failed query.
set -euo pipefail
readonly version="1.5.6-r.1"
readonly cache="${XDG_CACHE_HOME:-$HOME/.cache}/sluice-npm"
here="$(cd "$(dirname "$0")" && pwd)"

if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
  echo "duckdb.sh: node and npm are needed (scripts/setup.sh parquet installs them)" >&2
  exit 77
fi
package="$cache/node_modules/@duckdb/node-api/package.json"
if ! grep -q "\"version\": \"$version\"" "$package" 2>/dev/null; then
  mkdir -p "$cache"
  # Tests run in parallel: one installs, the others wait for it.
  exec 9>"$cache/.install.lock"
  flock 9
  if ! grep -q "\"version\": \"$version\"" "$package" 2>/dev/null; then
    if ! npm install --prefix "$cache" --no-audit --no-fund --silent \
      "@duckdb/node-api@$version" >&2; then
      echo "duckdb.sh: npm could not install @duckdb/node-api@$version" >&2
      exit 77
    fi
  fi
  exec 9>&-
fi

if [ "${1:-}" = "-c" ]; then
  sql="$2"
else
  sql="$(cat "$1")"
fi
SLUICE_NPM_CACHE="$cache" exec node "$here/duckdb_query.mjs" "$sql"
