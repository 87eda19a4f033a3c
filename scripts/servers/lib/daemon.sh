# shellcheck shell=bash
# Sourced by the ctl.sh scripts that scripts/servers/*.sh write: start, wait for
# and stop a server process recorded in a pid file. (A folder below servers/, so
# that scripts/test.sh does not take it for a server script.)

# Whether the process of pid file $1 runs.
daemon_running() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

# daemon_wait PIDFILE NAME READY LOG...: polls READY (a command) every 0.2 s for up
# to 60 s while the process runs; on failure prints the LOGs' tails and returns 1.
daemon_wait() {
  local pidfile=$1 name=$2 ready=$3
  shift 3
  for _ in $(seq 1 300); do
    if "$ready"; then return 0; fi
    if ! daemon_running "$pidfile"; then
      echo "$name: server exited; see $(dirname "$pidfile")" >&2
      tail -n 30 "$@" >&2 2>/dev/null || true
      rm -f "$pidfile"
      return 1
    fi
    sleep 0.2
  done
  echo "$name: server did not answer within 60 s; see $(dirname "$pidfile")" >&2
  return 1
}

# daemon_stop PIDFILE stop|kill: stop is SIGTERM, a clean shutdown; kill is
# SIGKILL, a crash. Waits up to 60 s for the process to end, then kills it.
daemon_stop() {
  local pidfile=$1 pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ "$2" = kill ]; then kill -9 "$pid" 2>/dev/null || true; fi
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 300); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.2
  done
  echo "server $pid did not stop within 60 s; killing it" >&2
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

# daemon_main ACTION PIDFILE START: what a ctl.sh does with its argument. start
# runs the function START unless the process runs already; stop and kill as
# daemon_stop.
daemon_main() {
  case "$1" in
    start) daemon_running "$2" || "$3" ;;
    stop | kill) daemon_stop "$2" "$1" ;;
    *)
      echo "usage: ctl.sh start|stop|kill" >&2
      return 2
      ;;
  esac
}
