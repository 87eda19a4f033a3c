#!/usr/bin/env bash
# Installs the Debian 12 packages listed in scripts/packages/*.txt (one name a
# line, '#' comments): what sluice needs to build, and the servers and tools its
# tests and benchmarks use. Idempotent: installs only what is missing.
#
#   scripts/setup.sh            every list but bench.txt and fuzz.txt (build, tests)
#   scripts/setup.sh NAME...    scripts/packages/NAME.txt for each NAME
#                               (bench: the baselines of bench/postgres.sh;
#                               fuzz: clang for scripts/fuzz.sh, which installs it)
set -euo pipefail
cd "$(dirname "$0")"

lists=()
for name in "$@"; do
  [ -f "packages/$name.txt" ] || { echo "setup: no list scripts/packages/$name.txt" >&2; exit 1; }
  lists+=("packages/$name.txt")
done
if [ $# -eq 0 ]; then
  for list in packages/*.txt; do
    case "$list" in
      packages/bench.txt | packages/fuzz.txt) ;;
      *) lists+=("$list") ;;
    esac
  done
fi
mapfile -t packages < <(cat "${lists[@]}" | sed 's/#.*//' | tr -s ' \t' '\n' | grep -v '^$' | sort -u)
# A name an installed package provides counts as installed (a nodejs build that
# bundles npm provides npm and conflicts with Debian's npm package).
provided=" $(dpkg-query -W -f='${db:Status-Abbrev} ${Provides},\n' 2>/dev/null |
  awk '/^ii/ { $1 = ""; print }' | sed 's/([^)]*)//g' | tr -d ' ' | tr ',' ' ' | tr '\n' ' ') "
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" && continue
  [[ "$provided" == *" $p "* ]] && continue
  missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi

sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then sudo_cmd=(sudo); fi
echo "setup: installing ${missing[*]}" >&2
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends \
  "${missing[@]}"
