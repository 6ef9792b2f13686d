// amqp-inspect as a library: decodes AMQP bytes (values, a message, or a connection's byte
// stream) into the text of amqp/text.hpp, or re-encodes them canonically.
//
//   amqp::inspect::options o;
//   o.input = amqp::inspect::mode::frames;
//   std::string out, err;
//   int status = amqp::inspect::run(bytes, o, out, err);   // 0 ok, 1 malformed input
//   std::cout << out;
//   std::cerr << err;   // "amqp-inspect: capture.bin: unknown format code at offset 42\n"
//
// `run` never throws on malformed input, allocates at most in proportion to the input (plus
// the text it writes) and always terminates, so a fuzzer can call it in process.
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/types.hpp"
#include "amqp/text.hpp"

namespace amqp::inspect {

enum class mode : std::uint8_t {
  automatic,  // frames if the input starts with "AMQP", message if with a section descriptor
  value,      // one or more encoded values, back to back
  message,    // one message: its sections back to back
  frames,     // a connection's byte stream, starting with a protocol header
};

struct options {
  mode input = mode::automatic;
  bool hex = false;       // the input is hex digits (whitespace ignored), not raw bytes
  bool reencode = false;  // write the canonical re-encoding as raw bytes instead of text
  text_options text{};
  std::string input_name = "<stdin>";  // names the input in error messages
  decode_limits limits{};
};

// The mode `automatic` picks for these bytes (never `automatic`).
mode detect(bytes_view input) noexcept;

// Decodes `input` as `opts` says and appends the text (one line or block per item, each
// ending in '\n') or the re-encoded bytes to `out`. Returns 0 on success. On malformed input
// returns 1 and appends exactly one line to `err`:
//   "amqp-inspect: <input_name>: <reason> at offset N\n"
// where N counts bytes of the (hex-decoded) input, or bytes of the hex text for hex errors.
// What was decoded before the error stays in `out`.
int run(bytes_view input, const options& opts, std::string& out, std::string& err);

// The command line: [--value|--message|--frames] [--hex] [--reencode] [--one-line]
// [--width N] [FILE]. FILE "-" or none is standard input.
struct command_line {
  options opts;
  std::string file;  // empty: standard input
  bool help = false;
};

// Parses the arguments after the program name. Returns 0, or 2 with a one-line message
// (ending in '\n') in `err` on a usage error.
int parse_command_line(std::span<const std::string_view> args, command_line& cl,
                       std::string& err);

// The --help text.
std::string_view usage() noexcept;

}  // namespace amqp::inspect
