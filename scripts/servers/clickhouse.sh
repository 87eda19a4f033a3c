#!/usr/bin/env bash
# A throwaway ClickHouse server for the ClickHouse sink's tests (Debian 12's
# clickhouse-server, 18.16.1), run as the clickhouse user with its own minimal
# config in DIR: it listens on 127.0.0.1 only, on free ports, and keeps its data,
# temporary files and logs in DIR. The packaged /etc/clickhouse-server/config.xml
# is not used (it listens on every interface).
#
#   clickhouse.sh start DIR   starts it, creates database "sluice_test", prints
#                             SLUICE_TEST_CLICKHOUSE_URL=clickhouse://default:PASS@127.0.0.1:PORT/sluice_test
#                             SLUICE_TEST_CLICKHOUSE_CTL=DIR/ctl.sh (takes start|stop|kill, for
#                             outage tests; kill is SIGKILL)
#   clickhouse.sh stop DIR    stops it
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

server=/usr/sbin/clickhouse-server
run_as=clickhouse
lib=$(cd "$(dirname "$0")" && pwd)/lib/daemon.sh

# A port nobody listens on now (the kernel's choice for an ephemeral bind).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

case "$cmd" in
  start)
    if [ ! -x "$server" ]; then
      echo "clickhouse: $server not found (scripts/setup.sh installs clickhouse-server)" >&2
      exit 1
    fi
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/log" "$dir/format_schemas"
    password=$(head -c 18 /dev/urandom | base64 | tr -d '/+=' | head -c 20)
    http_port=$(free_port)
    tcp_port=$(free_port)
    while [ "$tcp_port" = "$http_port" ]; do tcp_port=$(free_port); done

    cat > "$dir/config.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$dir/log/server.log</log>
    <errorlog>$dir/log/server.err.log</errorlog>
    <size>100M</size>
    <count>2</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <max_connections>256</max_connections>
  <keep_alive_timeout>30</keep_alive_timeout>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mark_cache_size>67108864</mark_cache_size>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mlock_executable>false</mlock_executable>
</yandex>
EOF
    cat > "$dir/users.xml" <<EOF
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>2000000000</max_memory_usage>
      <load_balancing>random</load_balancing>
    </default>
  </profiles>
  <users>
    <default>
      <password>$password</password>
      <networks><ip>127.0.0.1</ip><ip>::1</ip></networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
EOF
    chmod 600 "$dir/users.xml"
    # ctl.sh stops and restarts this very server (same config, data and ports).
    cat > "$dir/ctl.sh" <<EOF
#!/usr/bin/env bash
# start|stop|kill the throwaway ClickHouse server of $dir.
set -euo pipefail
dir='$dir'
source '$lib'
answers() {
  curl -sf -H 'X-ClickHouse-User: default' -H "X-ClickHouse-Key: \$(cat "\$dir/password")" \\
    --data-binary 'SELECT 1' 'http://127.0.0.1:$http_port/' 2>/dev/null | grep -qx 1
}
start() {
  setpriv_cmd=()
  if [ "\$(id -u)" -eq 0 ]; then setpriv_cmd=(setpriv --reuid=$run_as --regid=$run_as --init-groups); fi
  cd "\$dir"
  "\${setpriv_cmd[@]}" $server --config-file="\$dir/config.xml" \\
    >>"\$dir/log/stdout.log" 2>&1 </dev/null &
  echo \$! > "\$dir/server.pid"
  daemon_wait "\$dir/server.pid" clickhouse answers "\$dir/log/stdout.log" "\$dir/log/server.err.log"
}
# stop: a clean shutdown (running queries may finish); kill: SIGKILL, a crash.
daemon_main "\${1:-}" "\$dir/server.pid" start
EOF
    chmod 755 "$dir/ctl.sh"
    printf '%s' "$password" > "$dir/password"
    chmod 600 "$dir/password"
    if [ "$(id -u)" -eq 0 ]; then
      chown -R "$run_as:$run_as" "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/log" \
        "$dir/format_schemas" "$dir/users.xml" "$dir/config.xml"
      # The server runs as $run_as and must reach DIR.
      chmod 755 "$dir"
    fi
    "$dir/ctl.sh" start >&2
    curl -sf -H 'X-ClickHouse-User: default' -H "X-ClickHouse-Key: $password" \
      --data-binary 'CREATE DATABASE IF NOT EXISTS sluice_test' "http://127.0.0.1:$http_port/" >&2
    echo "SLUICE_TEST_CLICKHOUSE_URL=clickhouse://default:$password@127.0.0.1:$http_port/sluice_test"
    echo "SLUICE_TEST_CLICKHOUSE_CTL=$dir/ctl.sh"
    ;;
  stop)
    if [ -x "$dir/ctl.sh" ]; then "$dir/ctl.sh" stop; fi
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
