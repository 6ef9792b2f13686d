#!/usr/bin/env bash
# Start or stop proton-test-broker (proton_test_broker.py) in the background.
#
#   proton-test-broker.sh start [broker options]   e.g. start -a 127.0.0.1:0 -v
#   proton-test-broker.sh stop
#   proton-test-broker.sh status
#
# start prints the broker's "listening on HOST:PORT" line(s) once it accepts connections
# (without -a it adds -a 127.0.0.1:0, i.e. a free port). Its stdout and stderr go to
# $PTB_DIR/broker.out and $PTB_DIR/broker.log; its pid to $PTB_DIR/broker.pid.
# PTB_DIR defaults to ${TMPDIR:-/tmp}/proton-test-broker-$(id -u); PYTHON to /usr/bin/python3.
set -euo pipefail

HERE="$(cd "$(dirname "$0")" && pwd)"
PYTHON="${PYTHON:-/usr/bin/python3}"
PTB_DIR="${PTB_DIR:-${TMPDIR:-/tmp}/proton-test-broker-$(id -u)}"
PID_FILE="$PTB_DIR/broker.pid"
OUT_FILE="$PTB_DIR/broker.out"
LOG_FILE="$PTB_DIR/broker.log"

running_pid() {  # prints the pid when the recorded broker is alive
  [ -f "$PID_FILE" ] || return 1
  local pid
  pid="$(cat "$PID_FILE")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  echo "$pid"
}

start() {
  mkdir -p "$PTB_DIR"
  if pid="$(running_pid)"; then
    echo "proton-test-broker already running (pid $pid):" >&2
    cat "$OUT_FILE" >&2
    exit 1
  fi
  case " $* " in *" -a "* | *" --address "* | *" --address="*) ;; *) set -- -a 127.0.0.1:0 "$@" ;; esac
  : >"$OUT_FILE"
  "$PYTHON" "$HERE/proton_test_broker.py" "$@" >"$OUT_FILE" 2>"$LOG_FILE" </dev/null &
  pid=$!
  echo "$pid" >"$PID_FILE"
  local want=1
  case " $* " in *" --cert "*) want=2 ;; esac
  for _ in $(seq 1 100); do
    if [ "$(grep -c 'listening on' "$OUT_FILE" || true)" -ge "$want" ]; then
      cat "$OUT_FILE"
      return 0
    fi
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      echo "proton-test-broker failed to start:" >&2
      cat "$LOG_FILE" >&2
      exit 1
    fi
    sleep 0.1
  done
  echo "proton-test-broker did not report its address within 10 s (pid $pid)" >&2
  exit 1
}

stop() {
  local pid
  if ! pid="$(running_pid)"; then
    rm -f "$PID_FILE"
    echo "proton-test-broker is not running"
    return 0
  fi
  kill -TERM "$pid"
  for _ in $(seq 1 50); do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$PID_FILE"
      echo "proton-test-broker stopped (pid $pid)"
      return 0
    fi
    sleep 0.1
  done
  echo "proton-test-broker (pid $pid) ignored SIGTERM for 5 s; sending SIGKILL" >&2
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$PID_FILE"
  exit 1
}

case "${1:-}" in
  start) shift; start "$@" ;;
  stop) stop ;;
  status)
    if pid="$(running_pid)"; then echo "running (pid $pid)"; cat "$OUT_FILE"; else echo "not running"; exit 1; fi ;;
  *) sed -n '2,10p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2 ;;
esac
