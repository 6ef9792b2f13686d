// Fuzz target: amqp-inspect's in-process entry point, amqp::inspect::run.
//
// The first byte picks the options (bits 0-1 the mode: automatic, value, message, frames;
// bit 2 hex input; bit 3 --reencode; bit 4 one-line text; bits 5-7 the text width); the rest
// is the input. Oracle: run never crashes and returns 0 with nothing on `err`, or 1 with
// exactly one "amqp-inspect: ..." line there; and a successful re-encoding, inspected again in
// the same mode, re-encodes to the very same bytes (canonical encoding is a fixed point).
#include <cstddef>
#include <cstdint>
#include <string>

#include "inspect/inspect.hpp"

namespace {

void check_status(int status, const std::string& err) {
  if (status == 0) {
    if (!err.empty()) __builtin_trap();
    return;
  }
  if (status != 1) __builtin_trap();
  if (err.rfind("amqp-inspect: ", 0) != 0) __builtin_trap();
  if (err.empty() || err.back() != '\n' || err.find('\n') != err.size() - 1) __builtin_trap();
}

amqp::bytes_view bytes_of(const std::string& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::uint8_t b = data[0];
  const amqp::bytes_view input(data + 1, size - 1);

  amqp::inspect::options opts;
  opts.input = static_cast<amqp::inspect::mode>(b & 3);
  opts.hex = (b & 4) != 0;
  opts.reencode = (b & 8) != 0;
  opts.text.multiline = (b & 16) == 0;
  opts.text.width = 20 + 20 * (b >> 5);
  opts.input_name = "fuzz";

  std::string out, err;
  const int status = amqp::inspect::run(input, opts, out, err);
  check_status(status, err);
  if (status != 0 || !opts.reencode) return 0;

  // Inspect the canonical bytes again, raw and in the mode the first run used.
  amqp::inspect::options again = opts;
  again.hex = false;
  // Canonical bytes may nest one level deeper than the input (an array of list0 elements is
  // re-encoded as an array of empty list8) and hold more zero-width elements.
  again.limits.max_depth += 1;
  again.limits.max_zero_width_elements = 0xffffffffu;
  if (again.input == amqp::inspect::mode::automatic) {
    if (opts.hex) return 0;  // the mode was detected on the hex-decoded bytes, not known here
    again.input = amqp::inspect::detect(input);
  }
  std::string out2, err2;
  const int status2 = amqp::inspect::run(bytes_of(out), again, out2, err2);
  check_status(status2, err2);
  if (status2 != 0 || out2 != out) __builtin_trap();
  return 0;
}
