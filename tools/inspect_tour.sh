#!/usr/bin/env bash
# A tour of amqp-inspect: encode a message and a whole connection with the library, look at
# the bytes, decode them to text, and check that re-encoding gives the same bytes back. (The
# messaging demo, ./run.sh demo, is examples/demo.sh.)
#
#   tools/inspect_tour.sh BUILD_DIR
set -euo pipefail

build=$(cd "${1:?usage: tools/inspect_tour.sh BUILD_DIR}" && pwd)
inspect_bin=$build/tools/amqp-inspect
samples_bin=$build/tools/amqp-demo-samples
for tool in "$inspect_bin" "$samples_bin"; do
  [ -x "$tool" ] || { echo "demo: $tool is missing; build first" >&2; exit 1; }
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cd "$work"

if [ -t 1 ]; then
  bold=$'\e[1m' dim=$'\e[2m' green=$'\e[32m' reset=$'\e[0m'
else
  bold='' dim='' green='' reset=''
fi
step=0
heading() { step=$((step + 1)); printf '\n%s== %d. %s%s\n\n' "$bold" "$step" "$*" "$reset"; }
say() { printf '%s\n' "$*"; }
show() { printf '%s$ %s%s\n' "$dim" "$*" "$reset"; }  # the command about to run
amqp-inspect() { "$inspect_bin" "$@"; }
amqp-demo-samples() { "$samples_bin" "$@"; }

# Hex dump with decimal offsets (the offsets amqp-inspect prints), at most $2 lines.
hexdump() {
  local lines
  lines=$(od -A d -t x1 -v "$1" | sed '$d')
  if [ "$(printf '%s\n' "$lines" | wc -l)" -gt "$2" ]; then
    printf '%s\n' "$lines" | head -n "$2"
    printf '...     (%d bytes in all)\n' "$(wc -c < "$1")"
  else
    printf '%s\n' "$lines"
  fi
}
same_bytes() {  # same_bytes A B: fails unless the two files are identical
  if cmp -s "$1" "$2"; then
    printf '%sidentical%s: %s and %s, %d bytes each\n' "$green" "$reset" "$1" "$2" "$(wc -c < "$1")"
  else
    echo "demo: $1 and $2 differ" >&2
    exit 1
  fi
}

heading "A message, encoded with the library"
say "amqp-demo-samples builds an amqp::message (header, properties, application"
say "properties, a JSON data body) and encodes it with amqp::encode_message."
show "amqp-demo-samples message > message.bin"
amqp-demo-samples message > message.bin
show "od -A d -t x1 message.bin"
hexdump message.bin 20
say ""
say "The first bytes are a message section descriptor (00 53 70: header), so amqp-inspect"
say "decodes a message, one section a line:"
show "amqp-inspect message.bin"
amqp-inspect message.bin

heading "A whole connection, as a capture holds it"
say "A SASL PLAIN exchange, then open, begin, attach, flow, a transfer carrying the message,"
say "a disposition, a heartbeat, detach, end and close, written with amqp::write_frame."
show "amqp-demo-samples frames > connection.bin"
amqp-demo-samples frames > connection.bin
show "od -A d -t x1 connection.bin"
hexdump connection.bin 8
say ""
say "It starts with \"AMQP\", so amqp-inspect reads frames: [offset] ch channel performative,"
say "fields by their spec names, the transfer's payload decoded as a message:"
show "amqp-inspect connection.bin"
amqp-inspect connection.bin

heading "Hex on the command line"
say "--hex reads hex digits (whitespace ignored); --one-line keeps each item on one line."
show 'echo "00 53 77 a1 05 68 65 6c 6c 6f  72 3f c0 00 00" | amqp-inspect --hex --value'
echo "00 53 77 a1 05 68 65 6c 6c 6f  72 3f c0 00 00" | amqp-inspect --hex --value
show "amqp-inspect --one-line connection.bin | grep -E 'attach|disposition'"
amqp-inspect --one-line connection.bin | grep -E 'attach|disposition'

heading "Re-encoding round-trips"
say "--reencode writes the canonical encoding of what was decoded. The library encodes"
say "canonically, so its own bytes come back unchanged:"
show "amqp-inspect --reencode message.bin > message.again"
amqp-inspect --reencode message.bin > message.again
same_bytes message.bin message.again
show "amqp-inspect --reencode connection.bin > connection.again"
amqp-inspect --reencode connection.bin > connection.again
same_bytes connection.bin connection.again
say ""
say "Other encoders may choose larger encodings (uint in 4 bytes, str32, list32); the"
say "re-encoding is smaller and decodes to the same values:"
show 'echo "70 00 00 00 07  b1 00 00 00 02 68 69  d0 00 00 00 05 00 00 00 01 41" | amqp-inspect --hex --reencode > small.bin'
echo "70 00 00 00 07  b1 00 00 00 02 68 69  d0 00 00 00 05 00 00 00 01 41" |
  amqp-inspect --hex --reencode > small.bin
show "od -A d -t x1 small.bin"
hexdump small.bin 4
show "amqp-inspect --value small.bin"
amqp-inspect --value small.bin

heading "Malformed input"
say "A wrong byte gives exit status 1 and one line naming the reason and the byte offset."
say "Here byte 128, the constructor of the open frame's field list (c0), becomes ff:"
cp connection.bin broken.bin
printf '\xff' | dd of=broken.bin bs=1 seek=128 conv=notrunc status=none
show "amqp-inspect broken.bin > /dev/null"
status=0
amqp-inspect broken.bin 2>&1 > /dev/null || status=$?
say "(exit status $status)"
[ "$status" -eq 1 ] || { echo "demo: expected exit status 1" >&2; exit 1; }

printf '\n%sDone.%s More: amqp-inspect --help (in %s)\n' "$bold" "$reset" "$build/tools"
