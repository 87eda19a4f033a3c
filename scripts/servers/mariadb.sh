#!/usr/bin/env bash
# A throwaway MariaDB server (Debian 12's mariadb-server, 10.11) for the MySQL
# sink's tests and benchmark, run as the mysql user with its own datadir, socket,
# config and logs in DIR, listening only on 127.0.0.1 on a free port. The packaged
# /etc/mysql configuration is not read (--no-defaults / DIR/my.cnf).
#
#   mariadb.sh start DIR   creates the datadir, starts the server, prints for the
#                          tests' environment:
#     SLUICE_TEST_MYSQL_URL=mysql://sluice:PASS@127.0.0.1:PORT/sluice_test
#         every right, as the other servers' test accounts: tests make databases
#         and accounts of their own (a loader with fewer rights among them)
#     SLUICE_TEST_MYSQL_ADMIN_URL=mysql://sluice_admin:PASS@127.0.0.1:PORT/sluice_test
#         every right too, for what a test does to the server itself, e.g.
#         `SET GLOBAL local_infile = OFF` on a private server
#     SLUICE_TEST_MYSQL_SOCKET=DIR/run/mysqld.sock   the server's unix socket
#     SLUICE_TEST_MYSQL_DATA=DIR/data            the datadir
#     SLUICE_TEST_MYSQL_CTL=DIR/ctl.sh           start|stop|kill this very server
#                                                (kill is SIGKILL), for outage tests
#     SLUICE_TEST_MYSQL_SSL_CA=DIR/tls/ca.pem    the CA of the server's certificate
#         (for 127.0.0.1 and localhost); only when openssl could make one
#   mariadb.sh stop DIR    a clean shutdown
#
# local_infile is ON (LOAD DATA LOCAL; a test may turn it off with SET GLOBAL).
# innodb_flush_log_at_trx_commit=2: commits reach the OS at once, so a stopped or
# killed server keeps them; only a machine crash would lose the last second.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
if [ -z "$cmd" ] || [ -z "$dir" ]; then
  echo "usage: $0 start|stop DIR" >&2
  exit 2
fi

server=/usr/sbin/mariadbd
install_db=/usr/bin/mariadb-install-db
lib=$(cd "$(dirname "$0")" && pwd)/lib/daemon.sh
run_as=mysql

# A port nobody listens on now (the kernel's choice for an ephemeral bind).
free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# A password of letters and digits only: it goes into a URL unescaped.
new_password() {
  head -c 30 /dev/urandom | base64 | tr -dc 'A-Za-z0-9' | head -c 24
}

# A CA and a server certificate it signs, for 127.0.0.1 and localhost, in DIR/tls.
# Returns non-zero (and leaves no tls folder) when openssl is missing or fails.
make_certificates() {
  local tls=$1
  command -v openssl >/dev/null || return 1
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=sluice test CA' \
      -keyout ca-key.pem -out ca.pem
    openssl req -newkey rsa:2048 -nodes -subj '/CN=localhost' \
      -keyout server-key.pem -out server.csr
    printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\n' > ext.cnf
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 3650 \
      -extfile ext.cnf -out server-cert.pem
  ) >"$tls.log" 2>&1 || { rm -rf "$tls"; return 1; }
}

case "$cmd" in
  start)
    for bin in "$server" "$install_db"; do
      if [ ! -x "$bin" ]; then
        echo "mariadb: $bin not found (scripts/setup.sh installs mariadb-server)" >&2
        exit 1
      fi
    done
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd)
    # The socket path must fit in sun_path (108 bytes).
    if [ ${#dir} -gt 90 ]; then
      echo "mariadb: DIR is too long for a unix socket path: $dir" >&2
      exit 1
    fi
    # mariadb-install-db leaves an existing datadir as it is (and exits 0): its
    # accounts would not have the passwords printed below.
    if [ -n "$(ls -A "$dir/data" 2>/dev/null)" ]; then
      echo "mariadb: $dir/data already holds a database: stop it and remove DIR, or use a new DIR" >&2
      exit 1
    fi
    mkdir -p "$dir/data" "$dir/tmp" "$dir/log" "$dir/run"
    password=$(new_password)
    admin_password=$(new_password)
    port=$(free_port)

    ssl_conf=""
    if make_certificates "$dir/tls"; then
      ssl_conf="ssl_ca = $dir/tls/ca.pem
ssl_cert = $dir/tls/server-cert.pem
ssl_key = $dir/tls/server-key.pem"
    else
      echo "mariadb: no TLS certificate could be made (openssl); TLS stays off" >&2
    fi

    # Read by the server only (and by ctl.sh's restarts): the same port, paths, options.
    cat > "$dir/my.cnf" <<EOF
[mariadbd]
datadir = $dir/data
tmpdir = $dir/tmp
socket = $dir/run/mysqld.sock
pid_file = $dir/run/mysqld.pid
log_error = $dir/log/error.log
port = $port
bind_address = 127.0.0.1
skip_name_resolve
local_infile = ON
character_set_server = utf8mb4
collation_server = utf8mb4_general_ci
max_connections = 200
max_allowed_packet = 64M
innodb_buffer_pool_size = 256M
innodb_log_file_size = 256M
innodb_flush_log_at_trx_commit = 2
skip_log_bin
$ssl_conf
EOF

    # The accounts are made while the system tables are created, so the server
    # never runs with an account that has no password.
    # (FLUSH PRIVILEGES loads the grant tables, which the bootstrap runs without.)
    cat > "$dir/accounts.sql" <<EOF
FLUSH PRIVILEGES;
DROP USER IF EXISTS ''@'localhost';
CREATE DATABASE sluice_test CHARACTER SET utf8mb4;
CREATE USER 'sluice'@'%' IDENTIFIED BY '$password';
GRANT ALL PRIVILEGES ON *.* TO 'sluice'@'%' WITH GRANT OPTION;
CREATE USER 'sluice_admin'@'%' IDENTIFIED BY '$admin_password';
GRANT ALL PRIVILEGES ON *.* TO 'sluice_admin'@'%' WITH GRANT OPTION;
EOF
    chmod 600 "$dir/accounts.sql" "$dir/my.cnf"

    # ctl.sh starts, stops or kills this very server (same config, data and port).
    cat > "$dir/ctl.sh" <<EOF
#!/usr/bin/env bash
# start|stop|kill the throwaway MariaDB server of $dir.
set -euo pipefail
dir='$dir'
source '$lib'
answers() {
  [ -S "\$dir/run/mysqld.sock" ] &&
    mariadb-admin --no-defaults --protocol=socket -S "\$dir/run/mysqld.sock" -u UNKNOWN_USER \\
      --connect-timeout=2 ping 2>&1 | grep -q -e 'is alive' -e 'Access denied'
}
start() {
  user_opt=()
  if [ "\$(id -u)" -eq 0 ]; then user_opt=(--user=$run_as); fi
  rm -f "\$dir/run/mysqld.sock"
  # Its own session and no shared stdout: whoever reads this script's output
  # is not kept waiting by the server.
  setsid $server --defaults-file="\$dir/my.cnf" "\${user_opt[@]}" \\
    >>"\$dir/log/stdout.log" 2>&1 </dev/null &
  echo \$! > "\$dir/server.pid"
  daemon_wait "\$dir/server.pid" mariadb answers "\$dir/log/error.log" "\$dir/log/stdout.log"
}
# stop: a clean shutdown (SIGTERM); kill: SIGKILL, a crash (InnoDB recovers).
daemon_main "\${1:-}" "\$dir/server.pid" start
EOF
    chmod 755 "$dir/ctl.sh"

    install_opts=(--no-defaults --datadir="$dir/data" --tmpdir="$dir/tmp" --skip-test-db
      --skip-name-resolve --auth-root-authentication-method=socket
      --extra-file="$dir/accounts.sql")
    if [ "$(id -u)" -eq 0 ]; then
      # The server runs as $run_as and must reach DIR (and read the config and certificate).
      chmod 755 "$dir"
      chown -R "$run_as:$run_as" "$dir/data" "$dir/tmp" "$dir/log" "$dir/run" "$dir/my.cnf" "$dir/accounts.sql"
      if [ -d "$dir/tls" ]; then chown -R "$run_as:$run_as" "$dir/tls"; fi
      install_opts+=(--user="$run_as")
    fi
    "$install_db" "${install_opts[@]}" >"$dir/log/install.log" 2>&1 ||
      { tail -n 30 "$dir/log/install.log" >&2; exit 1; }
    rm -f "$dir/accounts.sql"
    "$dir/ctl.sh" start >&2

    echo "SLUICE_TEST_MYSQL_URL=mysql://sluice:$password@127.0.0.1:$port/sluice_test"
    echo "SLUICE_TEST_MYSQL_ADMIN_URL=mysql://sluice_admin:$admin_password@127.0.0.1:$port/sluice_test"
    echo "SLUICE_TEST_MYSQL_SOCKET=$dir/run/mysqld.sock"
    echo "SLUICE_TEST_MYSQL_DATA=$dir/data"
    echo "SLUICE_TEST_MYSQL_CTL=$dir/ctl.sh"
    if [ -d "$dir/tls" ]; then echo "SLUICE_TEST_MYSQL_SSL_CA=$dir/tls/ca.pem"; fi
    ;;
  stop)
    if [ -x "$dir/ctl.sh" ]; then "$dir/ctl.sh" stop; fi
    ;;
  *)
    echo "usage: $0 start|stop DIR" >&2
    exit 2
    ;;
esac
