#!/usr/bin/env bash
# Counts the instructions per message of `amqp-bench memory` for each implementation compiled
# in and each mode (per connection in the handshake modes), with valgrind's callgrind
# collecting inside run_measured_phase only (the warm-up, connection setup and close are left
# out). Unlike times, these counts repeat exactly on a loaded machine; with TLS they are
# OpenSSL's code paths for the CPU valgrind emulates, which may differ from the real CPU's.
#
#   tools/bench/callgrind.sh BUILD_DIR [N [MODE...]]  # N: as amqp-bench's -n (default 20000)
#
# Prints `IMPL.memory.MODE.instructions_per_msg X` lines (`instructions_per_handshake` in the
# handshake modes), then amqp/proton ratios when both implementations are compiled in. The
# seven modes take about four minutes at the default N on an idle machine; name some modes to
# run only those.
set -euo pipefail

if [ $# -lt 1 ]; then
  echo "usage: tools/bench/callgrind.sh BUILD_DIR [N [MODE...]]" >&2
  exit 2
fi
exe="$1/tools/amqp-bench"
n="${2:-20000}"
shift $(( $# < 2 ? $# : 2 ))
modes=("$@")
[ ${#modes[@]} -gt 0 ] || modes=(presettled at_least_once large_at_least_once tls_at_least_once
                                 tls_large_at_least_once tls_handshake tls_resumed_handshake)
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

for mode in "${modes[@]}"; do
  case "$mode" in
    *handshake) count=handshakes unit=handshake ;;
    *) count=messages unit=msg ;;
  esac
  declare -A ir=()
  for impl in $impls; do
    out="$tmp/$impl.$mode"
    valgrind --tool=callgrind --callgrind-out-file="$out" --toggle-collect='*run_measured_phase*' \
      "$exe" memory -n "$n" --mode "$mode" --impl "$impl" >"$tmp/figures" 2>"$tmp/log" || {
      cat "$tmp/log" >&2
      exit 1
    }
    # The count the tool measured (the other modes scale -n; see amqp-bench --help).
    measured=$(sed -n "s/^$impl\.memory\.$mode\.$count //p" "$tmp/figures")
    total=$(sed -n 's/^summary: *\([0-9]*\).*/\1/p' "$out")
    [ -n "$total" ] || total=$(sed -n 's/^totals: *\([0-9]*\).*/\1/p' "$out")
    ir[$impl]=$(( total / measured ))
    echo "$impl.memory.$mode.instructions_per_$unit ${ir[$impl]}"
  done
  if [ -n "${ir[amqp]:-}" ] && [ -n "${ir[proton]:-}" ]; then
    # Instructions of ours over Proton's: below 1, ours does less work per message.
    echo "ratio.memory.$mode.instructions_per_$unit" \
      "$(awk -v a="${ir[amqp]}" -v p="${ir[proton]}" 'BEGIN { printf "%.2f", a / p }')"
  fi
  unset ir
done
