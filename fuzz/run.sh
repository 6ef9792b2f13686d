#!/usr/bin/env bash
# Runs every libFuzzer target of a fuzz build for a while and summarises what each did.
#
#   fuzz/run.sh BUILD_DIR [SECONDS=60]
#
# Each target fuzzes for SECONDS with a working corpus in BUILD_DIR/fuzz-work/<target>, seeded
# from fuzz/corpus/<target> and from the public corpora in ../shared/corpus when they are there
# (read in place, never written). Leak detection is on. A crash, leak, timeout or out-of-memory
# input is copied into fuzz/regressions/<target>/, where ctest replays it from then on, and the
# script exits non-zero.
#
# Targets belong to one of two jobs, run one after the other: "fast" (the parsers, the engine
# and the SCRAM targets) first, then "slow" (the TLS-stage targets, where every input costs
# OpenSSL handshake work: key exchange and signatures).
#
# Environment:
#   AMQP_FUZZ_TARGETS="engine_server engine_client"   fuzz only these targets (default: all)
#   AMQP_FUZZ_JOB=fast|slow  run only that job's targets (default: both, fast first)
#   AMQP_FUZZ_KEEP_GOING=1   fuzz on past a crash (libFuzzer's -fork=1 with -ignore_crashes,
#                            -ignore_timeouts, -ignore_ooms): a known bug the seeds already hit
#                            then no longer ends the run at once, and each crash found is still
#                            saved and still makes the script exit non-zero
set -uo pipefail

if [ $# -lt 1 ]; then
  echo "usage: fuzz/run.sh BUILD_DIR [SECONDS=60]" >&2
  exit 2
fi
build=$(cd "$1" && pwd)
seconds=${2:-60}
here=$(cd "$(dirname "$0")" && pwd)

# The shared folder the build was configured with, or ../shared beside the checkout.
shared=${AMQP_SHARED_DIR:-}
if [ -z "$shared" ] && [ -f "$build/CMakeCache.txt" ]; then
  shared=$(sed -n 's/^AMQP_SHARED_DIR:[A-Z]*=//p' "$build/CMakeCache.txt")
fi
[ -n "$shared" ] || shared="$here/../../shared"

# target | public corpora | longest input libFuzzer generates | job
targets=(
  "value_decode|type-vectors go-amqp-marshal|4096|fast"
  "message_decode|message-decode|4096|fast"
  "composite_decode|type-vectors|4096|fast"
  "frame_reader|connection-driver proactor-receive go-amqp-conn|16384|fast"
  "inspect|connection-driver proactor-receive go-amqp-conn|8192|fast"
  "engine_server|connection-driver proactor-receive go-amqp-conn|16384|fast"
  "engine_client|connection-driver proactor-receive go-amqp-conn|16384|fast"
  "engine_server_sasl|connection-driver proactor-receive go-amqp-conn|16384|fast"
  "engine_client_sasl|connection-driver proactor-receive go-amqp-conn|16384|fast"
  # An options byte, then a SASL exchange: a few frames of at most 512 bytes each, and more to
  # pass the limit.
  "sasl_frame||4096|fast"
  "engine_commands||4096|fast"
  "engine_pair||4096|fast"
  # Two SCRAM messages of up to 8192 bytes each (scram_max_message_size), so both bounds can
  # be passed.
  "scram_server||17000|fast"
  "scram_client||17000|fast"
  "saslprep_base64||4096|fast"
  "url||4096|fast"
  # The peer's text parser refuses past 4096 bytes; its scripts are read whole.
  "peer_text||5000|fast"
  "peer_script||8192|fast"
  # Selectors are refused past 4096 bytes; the user file target reads at most 512.
  "selector||5000|fast"
  "user_file||512|fast"
  # A few records of up to 16 KiB each.
  "tls_server||40000|slow"
  "tls_client||40000|slow"
)
only=" ${AMQP_FUZZ_TARGETS:-} "
jobs=(fast slow)
case "${AMQP_FUZZ_JOB:-}" in
  "") ;;
  fast | slow) jobs=("$AMQP_FUZZ_JOB") ;;
  *)
    echo "AMQP_FUZZ_JOB must be fast or slow" >&2
    exit 2
    ;;
esac
keep_going=()
if [ "${AMQP_FUZZ_KEEP_GOING:-0}" = 1 ]; then
  keep_going=(-fork=1 -ignore_crashes=1 -ignore_timeouts=1 -ignore_ooms=1)
fi

export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1:${ASAN_OPTIONS:-}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:${UBSAN_OPTIONS:-}"

# The targets in the order they run: the fast job's, then the slow job's.
ordered=()
for job in "${jobs[@]}"; do
  for entry in "${targets[@]}"; do
    [ "${entry##*|}" = "$job" ] && ordered+=("$entry")
  done
done

status=0
summary=()
last_job=
for entry in "${ordered[@]}"; do
  IFS='|' read -r name public max_len job <<<"$entry"
  if [ "$only" != "  " ] && [[ "$only" != *" $name "* ]]; then
    continue
  fi
  if [ "$job" != "$last_job" ]; then
    echo "== $job job"
    summary+=("-- $job job")
    last_job=$job
  fi
  exe="$build/fuzz/fuzz_$name"
  if [ ! -x "$exe" ]; then
    echo "== $name: $exe not built, skipped"
    summary+=("$(printf '%-15s %s' "$name" "not built")")
    continue
  fi
  work="$build/fuzz-work/$name"
  artifacts="$build/fuzz-work/$name-artifacts"
  mkdir -p "$work" "$artifacts"
  rm -f "$artifacts"/*
  seeds=()
  [ -d "$here/corpus/$name" ] && seeds+=("$here/corpus/$name")
  [ -d "$here/regressions/$name" ] && seeds+=("$here/regressions/$name")
  for p in $public; do
    [ -d "$shared/corpus/$p" ] && seeds+=("$shared/corpus/$p")
  done
  log="$build/fuzz-work/$name.log"
  echo "== $name: fuzzing for ${seconds}s (log: $log)"
  # The working corpus comes first: libFuzzer writes new inputs only into the first folder.
  "$exe" "$work" "${seeds[@]}" \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len="$max_len" \
    -print_final_stats=1 -detect_leaks=1 -artifact_prefix="$artifacts/" ${keep_going[@]+"${keep_going[@]}"} \
    >"$log" 2>&1
  rc=$?

  last=$(grep -E '^#[0-9]+' "$log" | tail -n 1)
  cov=$(sed -n 's/.* cov: \([0-9]*\).*/\1/p' <<<"$last")
  ft=$(sed -n 's/.* ft: \([0-9]*\).*/\1/p' <<<"$last")
  execs=$(sed -n 's/^stat::number_of_executed_units: //p' "$log" | tail -n 1)
  rate=$(sed -n 's/^stat::average_exec_per_sec: //p' "$log" | tail -n 1)
  added=$(sed -n 's/^stat::new_units_added: //p' "$log" | tail -n 1)
  if [ ${#keep_going[@]} -gt 0 ]; then
    # Fork mode prints no final stats: its status lines read
    # "#N: cov: C ft: F corp: U exec/s R oom/timeout/crash: a/b/c time: Ts job: J ...".
    execs=$(sed -n 's/^#\([0-9]*\):.*/\1/p' <<<"$last")
    rate=$(sed -n 's/.* exec\/s \([0-9]*\).*/\1/p' <<<"$last")
    first=$(grep -E '^#[0-9]+: cov' "$log" | head -n 1)
    c0=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$first")
    c1=$(sed -n 's/.* corp: \([0-9]*\).*/\1/p' <<<"$last")
    [ -n "$c0" ] && [ -n "$c1" ] && added=$((c1 - c0))
    # Crashes are ignored there, so the exit code does not tell: the artifacts do.
    if compgen -G "$artifacts/*" >/dev/null; then
      [ $rc -ne 0 ] || rc=1
    fi
  fi
  line=$(printf '%-15s execs %-10s exec/s %-7s cov %-6s ft %-7s new units %s' \
    "$name" "${execs:-?}" "${rate:-?}" "${cov:-?}" "${ft:-?}" "${added:-?}")

  if [ $rc -ne 0 ]; then
    status=1
    mkdir -p "$here/regressions/$name"
    found=0
    for f in "$artifacts"/crash-* "$artifacts"/leak-* "$artifacts"/timeout-* "$artifacts"/oom-*; do
      [ -f "$f" ] || continue
      cp "$f" "$here/regressions/$name/"
      echo "   saved $(basename "$f") to fuzz/regressions/$name/"
      found=1
    done
    [ $found -eq 1 ] || echo "   exited $rc without a reproducer; see $log"
    grep -E 'ERROR: |SUMMARY: |runtime error' "$log" | head -n 5 | sed 's/^/   /'
    line="$line  FAILED (exit $rc)"
  fi
  echo "   $line"
  summary+=("$line")
done

echo
echo "== fuzz summary (${seconds}s per target)"
printf '%s\n' "${summary[@]}"
exit $status
