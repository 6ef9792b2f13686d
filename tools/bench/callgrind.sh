#!/usr/bin/env bash
# Counts the instructions per message of `amqp-bench memory` for each implementation compiled
# in and each mode, with valgrind's callgrind collecting inside run_measured_phase only (the
# warm-up, connection setup and close are left out). Unlike times, these counts repeat
# exactly on a loaded machine.
#
#   tools/bench/callgrind.sh BUILD_DIR [N]     # N: as amqp-bench's -n (default 20000)
#
# Prints `IMPL.memory.MODE.instructions_per_msg X` lines, then amqp/proton ratios when both
# implementations are compiled in.
set -euo pipefail

if [ $# -lt 1 ] || [ $# -gt 2 ]; then
  echo "usage: tools/bench/callgrind.sh BUILD_DIR [N]" >&2
  exit 2
fi
exe="$1/tools/amqp-bench"
n="${2:-20000}"
if [ ! -x "$exe" ]; then
  echo "$exe is not built (cmake --build $1 --target amqp-bench)" >&2
  exit 1
fi
if ! command -v valgrind >/dev/null 2>&1; then
  echo "valgrind is not installed" >&2
  exit 1
fi

impls=$("$exe" --help | sed -n 's/^implementations compiled in://p')
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

for mode in presettled at_least_once large_at_least_once; do
  declare -A ir=()
  for impl in $impls; do
    out="$tmp/$impl.$mode"
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*run_measured_phase*' \
      "$exe" memory -n "$n" --mode "$mode" --impl "$impl" >"$tmp/figures" 2>"$tmp/log" || {
      cat "$tmp/log" >&2
      exit 1
    }
    # The count the tool measured (the large mode moves fewer messages than -n).
    messages=$(sed -n "s/^$impl\.memory\.$mode\.messages //p" "$tmp/figures")
    total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out")
    [ -n "$total" ] || total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out")
    ir[$impl]=$(( total / messages ))
    echo "$impl.memory.$mode.instructions_per_msg ${ir[$impl]}"
  done
  if [ -n "${ir[amqp]:-}" ] && [ -n "${ir[proton]:-}" ]; then
    # Instructions of ours over Proton's: below 1, ours does less work per message.
    echo "ratio.memory.$mode.instructions_per_msg" \
      "$(awk -v a="${ir[amqp]}" -v p="${ir[proton]}" 'BEGIN { printf "%.2f", a / p }')"
  fi
  unset ir
done
