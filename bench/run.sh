#!/usr/bin/env bash
# Runs the codec benchmarks of a bench build (see codec_bench.cpp), the engines moving
# messages in memory (tools/bench, `amqp-bench memory`) and a sender and a receiver process
# over loopback TCP (`amqp-bench tcp`), all beside Qpid Proton, and, when valgrind is
# installed, counts the instructions of each operation and message with callgrind: unlike
# times, those counts barely move on a loaded machine.
#
#   bench/run.sh BUILD_DIR
#   BENCH_MIN_TIME=2 BENCH_REPETITIONS=9 bench/run.sh build/bench   # longer, steadier runs
#   BENCH_TCP_MESSAGES=200000 bench/run.sh build/bench             # a shorter tcp run
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: bench/run.sh BUILD_DIR" >&2
  exit 2
fi
exe="$1/bench/codec_bench"
if [ ! -x "$exe" ]; then
  echo "$exe is not built (configure with -DAMQP_BENCH=ON, or use the bench preset)" >&2
  exit 1
fi

# Pin to one CPU (the last) so that the run does not migrate between cores.
pin=()
if command -v taskset >/dev/null 2>&1; then
  cpu=$(( $(nproc) - 1 ))
  pin=(taskset -c "$cpu")
fi

echo "== codec benchmarks (${pin[*]:-not pinned})"
"${pin[@]}" "$exe" --benchmark_min_time="${BENCH_MIN_TIME:-0.5}" \
  --benchmark_repetitions="${BENCH_REPETITIONS:-5}" --benchmark_report_aggregates_only=true

echo
echo "== engines in memory (amqp-bench memory, ${pin[*]:-not pinned})"
"${pin[@]}" "$1/tools/amqp-bench" memory -n "${BENCH_MESSAGES:-200000}"

# Not under taskset: amqp-bench tcp pins its sender and receiver to two CPUs itself.
echo
echo "== a sender and a receiver process over loopback TCP (amqp-bench tcp, median of 3 runs)"
"$1/tools/amqp-bench" tcp -n "${BENCH_TCP_MESSAGES:-1000000}"

if ! command -v valgrind >/dev/null 2>&1; then
  echo
  echo "(valgrind is not installed: no instruction counts)"
  exit 0
fi

echo
echo "== instructions per message and per handshake (callgrind, measured phase only)"
tools/bench/callgrind.sh "$1" 20000

echo
echo "== instructions per message of each tcp process (callgrind, the other process native)"
tools/bench/tcp_callgrind.sh "$1" "${BENCH_TCP_CALLGRIND_MESSAGES:-50000}"

echo
echo "== instructions per operation (callgrind, inside run_measured only)"
n=2000
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf '%-16s %12s %12s %10s\n' operation ours proton proton/ours
for op in message_encode message_decode transfer_encode transfer_decode; do
  declare -A ir=()
  for impl in ours proton; do
    out="$tmp/$impl.$op"
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*run_measured*' \
      "$exe" --instructions "$impl" "$op" "$n" >/dev/null 2>"$tmp/log" || {
      cat "$tmp/log" >&2
      exit 1
    }
    total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out")
    [ -n "$total" ] || total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out")
    ir[$impl]=$(( total / n ))
  done
  printf '%-16s %12s %12s %9sx\n' "$op" "${ir[ours]}" "${ir[proton]}" \
    "$(awk -v a="${ir[proton]}" -v b="${ir[ours]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')"
done
