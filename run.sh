#!/usr/bin/env bash
# The one entry point: ./run.sh demo | test | conformance [OPTIONS] | fuzz [SECONDS] | bench
# Each command installs the Debian packages it needs, builds with the CMake presets, then runs.
set -euo pipefail
cd "$(dirname "$0")"

JOBS=$(nproc 2>/dev/null || echo 2)
BUILD_PACKAGES=(cmake ninja-build g++ pkg-config libgtest-dev libgmock-dev libtinyxml2-dev libssl-dev
                libsasl2-dev libasio-dev libevent-dev nlohmann-json3-dev zlib1g-dev libzstd-dev)
# Cyrus SASL's mechanism plugins and saslpasswd2, for the Cyrus interop tests; Qpid Proton's
# example programs and C++ binding, the peers of the examples' interop tests; openssl, which
# makes their certificates.
TEST_PACKAGES=(python3-qpid-proton libqpid-proton11-dev libsasl2-modules sasl2-bin
               libqpid-proton11-dev-examples libqpid-proton-cpp12-dev openssl)
FUZZ_PACKAGES=(clang-14 libclang-rt-14-dev llvm-14)
BENCH_PACKAGES=(libbenchmark-dev libqpid-proton11-dev libqpid-proton-cpp12-dev)

log() { printf '\n== %s\n' "$*"; }

# Installs the packages that are missing (non-interactive, one apt-get update at most).
need_packages() {
  local missing=() p
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  local sudo=()
  [ "$(id -u)" -ne 0 ] && sudo=(sudo)
  log "installing ${missing[*]}"
  if [ -z "${AMQP_APT_UPDATED:-}" ]; then
    "${sudo[@]}" apt-get update -qq
    export AMQP_APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends \
    "${missing[@]}" >/dev/null
}

build() {  # build PRESET
  log "build ($1)"
  cmake --preset "$1" >/dev/null
  cmake --build --preset "$1" -j "$JOBS"
}

cmd_demo() {
  need_packages "${BUILD_PACKAGES[@]}"
  build release
  examples/demo.sh build/release
}

cmd_test() {
  need_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
  local status=0
  for preset in release asan; do
    build "$preset"
    log "test ($preset)"
    ctest --preset "$preset" -j "$JOBS" || status=1
  done
  log "conformance (the part for CI; ./run.sh conformance runs all of it)"
  /usr/bin/python3 conformance/run.py --ci --build build/release || status=1
  return $status
}

# Every case, interop pair and script against every broker; conformance/run.py --help for the
# options (--broker NAME, --peer NAME, --suite NAME, --case GLOB). The brokers and the other
# implementations are installed by conformance/lib/peers when missing.
cmd_conformance() {
  need_packages "${BUILD_PACKAGES[@]}" "${TEST_PACKAGES[@]}"
  build release
  log "conformance"
  /usr/bin/python3 conformance/run.py --build build/release "$@"
}

cmd_fuzz() {
  local seconds=${1:-60}
  need_packages "${BUILD_PACKAGES[@]}" "${FUZZ_PACKAGES[@]}"
  build fuzz
  fuzz/run.sh build/fuzz "$seconds"
}

cmd_bench() {
  need_packages "${BUILD_PACKAGES[@]}" "${BENCH_PACKAGES[@]}"
  build bench
  bench/run.sh build/bench
}

case "${1:-}" in
  demo) cmd_demo ;;
  test) cmd_test ;;
  conformance) shift; cmd_conformance "$@" ;;
  fuzz) shift; cmd_fuzz "$@" ;;
  bench) cmd_bench ;;
  *)
    echo "usage: ./run.sh demo | test | conformance [OPTIONS] | fuzz [SECONDS] | bench" >&2
    exit 2
    ;;
esac
