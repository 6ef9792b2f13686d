#!/usr/bin/env bash
# Counts the user-space instructions per message of each process of `amqp-bench tcp`, for each
# implementation compiled in, with valgrind's callgrind: the receiver under callgrind beside a
# sender running natively, then the sender under callgrind beside a native receiver.
# Collection runs inside the implementation's send or receive function only (process start
# and exit are left out; connection setup and close are in, a few thousand instructions).
# Unlike times, these counts barely move on a loaded machine. The process under callgrind runs
# some fifty times slower than its peer, which therefore always has work waiting: batches (bytes
# per read and write, messages per credit refill) are as large as the window allows, so the
# counts are those of a busy process, as in the real run at high throughput.
#
#   tools/bench/tcp_callgrind.sh BUILD_DIR [N [WINDOW...]]  # N messages (default 200000),
#                                                            # windows (default 1000 10000)
#
# Prints `NAME.tcp.window_W.sender_instructions_per_msg X` and `..receiver_...` lines, NAME as
# amqp-bench tcp names them (amqp/asio, amqp/libevent, proton-cpp, proton-c), then ratios of
# each of ours over each Proton implementation (below 1: ours executes fewer instructions).
# TCP_IMPLS="amqp/libevent proton-cpp" measures only those.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: tools/bench/tcp_callgrind.sh BUILD_DIR [N [WINDOW...]]" >&2
  exit 2
fi
exe="$1/tools/amqp-bench"
n="${2:-200000}"
shift $(( $# < 2 ? $# : 2 ))
windows=("$@")
[ ${#windows[@]} -gt 0 ] || windows=(1000 10000)
if [ ! -x "$exe" ]; then
  echo "$exe is not built (cmake --build $1 --target amqp-bench)" >&2
  exit 1
fi
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind is not installed" >&2
  exit 1
fi

# TCP_IMPLS="amqp/libevent proton-cpp" limits the run to those.
impls=${TCP_IMPLS:-$("$exe" --help | sed -n 's/^tcp implementations compiled in://p')}
tmp=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
trap cleanup EXIT

# The instructions callgrind collected in its output file $1.
collected() {
  local total
  total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$1")
  [ -n "$total" ] || total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$1")
  echo "$total"
}

# Waits for the receiver whose output is $1 to say its port, and prints it.
port_of() {
  local i
  for i in $(seq 600); do
    if grep -q '^port ' "$1" 2>/dev/null; then
      sed -n 's/^port //p' "$1"
      return
    fi
    sleep 0.1
  done
  echo "the receiver did not start" >&2
  exit 1
}

# Runs one pair, `side` (sender or receiver) under callgrind; prints its instructions.
measure() {
  local impl=$1 window=$2 side=$3
  local common=(--impl "${impl%%/*}" -n "$n")
  # Ours is named amqp/IO; its children are given --impl amqp --io IO.
  [[ $impl != */* ]] || common+=(--io "${impl#*/}")
  local cg=(valgrind --tool=callgrind --callgrind-out-file="$tmp/out" --collect-atstart=no
            "--toggle-collect=*_tcp_receive*" "--toggle-collect=*_tcp_send*")
  local recv=("$exe" tcp-receiver --window "$window" "${common[@]}")
  rm -f "$tmp/out" "$tmp/port"
  if [ "$side" = receiver ]; then
    "${cg[@]}" "${recv[@]}" >"$tmp/port" 2>"$tmp/log" &
  else
    "${recv[@]}" >"$tmp/port" 2>"$tmp/log" &
  fi
  local rpid=$!
  pids=("$rpid")
  local port
  port=$(port_of "$tmp/port")
  local send=("$exe" tcp-sender --port "$port" "${common[@]}")
  if [ "$side" = sender ]; then
    "${cg[@]}" "${send[@]}" >/dev/null 2>>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
  else
    "${send[@]}" >/dev/null 2>>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
  fi
  wait "$rpid" || { cat "$tmp/log" >&2; exit 1; }
  pids=()
  echo $(( $(collected "$tmp/out") / n ))
}

for window in "${windows[@]}"; do
  declare -A ir=()
  for impl in $impls; do
    for side in sender receiver; do
      ir[$impl.$side]=$(measure "$impl" "$window" "$side")
      echo "$impl.tcp.window_$window.${side}_instructions_per_msg ${ir[$impl.$side]}"
    done
  done
  for mine in $impls; do
    [[ $mine == amqp/* ]] || continue
    for other in $impls; do
      [[ $other != amqp/* ]] || continue
      for side in sender receiver; do
        echo "ratio_${mine}_vs_$other.tcp.window_$window.${side}_instructions_per_msg" \
          "$(awk -v a="${ir[$mine.$side]}" -v p="${ir[$other.$side]}" \
            'BEGIN { printf "%.2f", a / p }')"
      done
    done
  done
  unset ir
done
