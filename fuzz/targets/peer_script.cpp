// Fuzz target: amqp-peer's script parser (tools/peer/script.hpp) on arbitrary text, with a
// few variables set (one of them holding a variable's syntax, which stays text).
//
// Oracles (a mismatch traps):
// - an error names the script, a line within it (or the one after its last) and a column
//   from 1, with a one-line printable message;
// - every step has a line within the script, in order, and one-line text; a send's bytes are
//   a protocol header (8 bytes), a frame whose header's size is its length, or raw bytes;
//   an expect step has targets (one each for its texts), but for `expect nothing`, which has
//   a wait.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "amqp/frame.hpp"
#include "peer/script.hpp"

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "peer_script oracle broken: %s\n", what);
  std::fflush(stderr);
  __builtin_trap();
}
void check(bool ok, const char* what) {
  if (!ok) broken(what);
}

bool printable_line(std::string_view s) {
  for (char c : s)
    if (static_cast<unsigned char>(c) < 0x20 || static_cast<unsigned char>(c) > 0x7e) return false;
  return !s.empty();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t lines = 1;
  for (char c : text) lines += c == '\n' ? 1 : 0;
  const amqp::peer::variables vars{{"ADDRESS", "queue"}, {"N", "uint 7"}, {"LOOP", "${LOOP}"}};
  const amqp::peer::script_limits limits{.max_size = 1u << 16,
                                         .max_statement = 1u << 14,
                                         .values = {.max_length = 1u << 14, .max_depth = 16}};
  auto s = amqp::peer::parse_script(text, "fuzz.amqp", vars, limits);
  if (!s) {
    const amqp::peer::script_error& e = s.error();
    check(e.file == "fuzz.amqp", "an error does not name the script");
    check(e.line >= 1 && e.line <= lines, "an error's line is outside the script");
    check(e.column >= 1, "an error's column is below 1");
    check(printable_line(e.message), "an error message is not one printable line");
    check(printable_line(e.to_string()), "an error's text is not one printable line");
    return 0;
  }
  std::size_t last_line = 0;
  for (const amqp::peer::step& st : s->steps) {
    check(st.line >= last_line && st.line >= 1 && st.line <= lines, "a step's line is off");
    last_line = st.line;
    check(st.text.find('\n') == std::string::npos, "a step's text is not one line");
    if (const auto* send = std::get_if<amqp::peer::send_step>(&st.action)) {
      check(!send->bytes.empty(), "a send sends nothing");
      const amqp::bytes_view bytes{send->bytes.data(), send->bytes.size()};
      if (send->kind == amqp::peer::send_step::what::header) {
        check(bytes.size() == 8 && amqp::parse_protocol_header(bytes).has_value(),
              "a header step does not send a protocol header");
      } else if (send->kind == amqp::peer::send_step::what::frame) {
        auto h = amqp::parse_frame_header(bytes, 0xffffffffu);
        check(h && h->size == bytes.size(), "a frame step does not send one frame");
      }
    } else if (const auto* e = std::get_if<amqp::peer::expect_step>(&st.action)) {
      check(e->targets.size() == e->target_texts.size(), "targets and their texts differ");
      if (e->how == amqp::peer::expect_step::mode::nothing)
        check(e->targets.empty() && e->within.has_value(), "expect nothing has targets or no wait");
      else
        check(!e->targets.empty(), "an expect step has no targets");
    }
  }
  return 0;
}
