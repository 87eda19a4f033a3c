#!/usr/bin/env bash
# A throwaway PostgreSQL 15 for the tests, in DIR, listening only on 127.0.0.1
# on a free port (its unix socket also lives in DIR).
#
#   postgres.sh start DIR   initdb + start; prints for the tests' environment:
#     SLUICE_TEST_POSTGRES_URL=postgresql://sluice:PASS@127.0.0.1:PORT/sluice_test
#     SLUICE_TEST_POSTGRES_DATA=DIR/data           the cluster's data folder
#     SLUICE_TEST_POSTGRES_CTL=<command prefix>    runs pg_ctl as the cluster's owner,
#                                                  e.g. "$CTL -D $DATA stop -m fast"
#   postgres.sh stop DIR    pg_ctl stop -m immediate
#
# The server's settings (port, addresses, socket folder) are written into the
# cluster's postgresql.conf, so a plain `pg_ctl -D DATA start` restarts it as it
# was. fsync is off: the data is thrown away, and a stopped server still keeps
# everything it committed (only a machine crash would lose it).
set -euo pipefail

BIN=/usr/lib/postgresql/15/bin
cmd=${1:?usage: postgres.sh start|stop DIR}
dir=${2:?usage: postgres.sh start|stop DIR}
[ "$cmd" != start ] || mkdir -p "$dir"
dir=$(realpath "$dir")

# initdb and the server refuse to run as root: run them as postgres.
as_owner=()
if [ "$(id -u)" -eq 0 ]; then as_owner=(runuser -u postgres --); fi

case "$cmd" in
  start)
    [ -x "$BIN/pg_ctl" ] || { echo "postgres: $BIN/pg_ctl not found (postgresql-15)" >&2; exit 1; }
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    password=$(head -c 18 /dev/urandom | base64 | tr -dc 'A-Za-z0-9')
    printf '%s\n' "$password" > "$dir/pwfile"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir/pwfile"; fi
    "${as_owner[@]}" "$BIN/initdb" -D "$dir/data" -U sluice --pwfile="$dir/pwfile" \
      --auth-local=trust --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
      { cat "$dir/initdb.log" >&2; exit 1; }
    rm -f "$dir/pwfile"
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    cat >> "$dir/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir'
fsync = off
full_page_writes = off
max_connections = 100
CONF
    "${as_owner[@]}" "$BIN/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >&2 ||
      { tail -n 50 "$dir/server.log" >&2; exit 1; }
    "${as_owner[@]}" "$BIN/psql" -h "$dir" -p "$port" -U sluice -d postgres -v ON_ERROR_STOP=1 -q \
      -c 'CREATE DATABASE sluice_test' >&2
    echo "SLUICE_TEST_POSTGRES_URL=postgresql://sluice:$password@127.0.0.1:$port/sluice_test"
    echo "SLUICE_TEST_POSTGRES_DATA=$dir/data"
    echo "SLUICE_TEST_POSTGRES_CTL=${as_owner[*]}${as_owner[*]:+ }$BIN/pg_ctl"
    ;;
  stop)
    [ -f "$dir/data/postmaster.pid" ] || exit 0
    "${as_owner[@]}" "$BIN/pg_ctl" -D "$dir/data" -m immediate -w stop >&2
    ;;
  *)
    echo "usage: postgres.sh start|stop DIR" >&2
    exit 2
    ;;
esac
