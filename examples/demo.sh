#!/usr/bin/env bash
# The demo: starts the example broker on a free loopback port, sends and receives through it,
# runs a request/response pair and a selector, shows the first frames of a conversation, and
# stops the broker.
#
#   examples/demo.sh BUILD_DIR [--io asio|libevent]   (./run.sh demo builds build/release and
#                                                      runs this)
#
# --io is passed to every program, the broker too; without it they run on their default binding.
set -euo pipefail

usage="usage: examples/demo.sh BUILD_DIR [--io asio|libevent]"
build=$(cd "${1:?$usage}" && pwd)
shift
io=()
if [ $# -gt 0 ]; then
  [ $# -eq 2 ] && [ "$1" = --io ] || { echo "$usage" >&2; exit 2; }
  io=(--io "$2")
fi
bin=$build/examples
for program in broker send recv server client colour_send selected_recv helloworld; do
  [ -x "$bin/$program" ] || { echo "demo: $bin/$program is missing; build first" >&2; exit 1; }
done

work=$(mktemp -d)
broker_pid=
cleanup() {
  [ -n "$broker_pid" ] && kill "$broker_pid" 2>/dev/null && wait "$broker_pid" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

if [ -t 1 ]; then
  bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'
else
  bold='' dim='' reset=''
fi
step=0
heading() { step=$((step + 1)); printf '\n%s== %d. %s%s\n\n' "$bold" "$step" "$*" "$reset"; }
say() { printf '%s\n' "$*"; }
run() {  # shows the command (with the build path shortened and quoted), then runs it
  local shown='' arg
  for arg in "$@"; do
    [[ $arg == *" "* ]] && arg="\"$arg\""
    shown+="${shown:+ }${arg#"$bin/"}"
  done
  printf '%s$ %s%s\n' "$dim" "$shown" "$reset"
  "$@"
}

heading "The example broker"
say "In-memory queues made on first use, selectors, dynamic reply-to queues and the anonymous"
say "relay. It listens on a free loopback port and prints it:"
"$bin/broker" "${io[@]}" -a 127.0.0.1:0 > "$work/broker.out" 2>&1 &
broker_pid=$!
for _ in $(seq 100); do
  grep -q 'broker listening on' "$work/broker.out" && break
  kill -0 "$broker_pid" 2>/dev/null || { cat "$work/broker.out" >&2; exit 1; }
  sleep 0.05
done
head -1 "$work/broker.out"
port=$(sed -n 's/.*broker listening on .*:\([0-9]*\)$/\1/p' "$work/broker.out" | head -1)
[ -n "$port" ] || { echo "demo: the broker did not say its port" >&2; exit 1; }
url=127.0.0.1:$port

heading "Reliable send: every message confirmed by the broker"
run "$bin/send" "${io[@]}" -a "$url/examples" -m 10

heading "Receive: each body on its own line"
run "$bin/recv" "${io[@]}" -a "$url/examples" -m 10

heading "Request and response"
say "The server answers on the anonymous relay; the client's reply-to is a dynamic queue."
"$bin/server" "${io[@]}" -a "$url/requests" > "$work/server.out" 2>&1 &
server_pid=$!
for _ in $(seq 100); do grep -q 'server connected' "$work/server.out" && break; sleep 0.05; done
run "$bin/client" "${io[@]}" -a "$url/requests"
kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null || true

heading "Selectors: the broker picks the green ones"
run "$bin/colour_send" "${io[@]}" -a "$url/colours" -m 6
run "$bin/selected_recv" "${io[@]}" -a "$url/colours" -m 3 --selector "colour = 'green'"

heading "On the wire"
say "--trace prints every frame each way (the first ones of Hello World here):"
printf '%s$ %s%s\n' "$dim" "helloworld${io[*]:+ ${io[*]}} -a $url/examples --trace" "$reset"
"$bin/helloworld" "${io[@]}" -a "$url/examples" --trace 2> "$work/trace" | sed 's/^/  (stdout) /'
head -12 "$work/trace" | cut -c1-150

heading "Stopping the broker"
kill -TERM "$broker_pid"
status=0
wait "$broker_pid" || status=$?
broker_pid=
say "the broker exited with status $status on SIGTERM"
[ "$status" -eq 0 ] || exit 1
printf '\n%sDone.%s More: each program takes --help (in %s).\n' "$bold" "$reset" "$bin"
