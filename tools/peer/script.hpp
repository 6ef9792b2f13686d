// A test script of amqp-peer: what to send, what to expect back, and when to misbehave. The
// grammar is in tools/peer/README.md; frames are written in the text notation of
// amqp/text.hpp, so that a step reads like a line of the frame trace.
//
//   auto s = amqp::peer::parse_script(text, "open.amqp", {{"ADDRESS", "q"}});
//   if (!s) std::cerr << s.error().to_string() << '\n';   // "open.amqp:3:17: ..."
//
// Everything a step sends is encoded when the script is read, with the engine's frame writer
// and value encoder, so a script that parses can be played without further errors of its own.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "amqp/errors.hpp"
#include "amqp/frame.hpp"
#include "peer/pattern.hpp"
#include "peer/text_parser.hpp"

namespace amqp::peer {

using duration = std::chrono::milliseconds;

// Bytes to write: a protocol header, a frame, or raw bytes. Consecutive send steps are written
// together, so a script can pipeline.
struct send_step {
  enum class what : std::uint8_t { header, frame, bytes };
  what kind = what::bytes;
  std::vector<std::uint8_t> bytes;
  // The max-frame-size an open announces (4294967295 when it leaves it out): from then on the
  // peer's frames must fit it.
  std::optional<std::uint32_t> announced_max_frame_size;
};

struct frame_expectation {
  std::optional<frame_type> type;        // checked when written
  std::optional<std::uint16_t> channel;  // checked when written
  bool empty_frame = false;
  pattern performative;
  // The payload: when given as sections, values that the patterns match in order (sections
  // between them allowed); as hex, exactly those bytes; when neither, anything.
  std::optional<std::vector<pattern>> sections;
  std::optional<std::vector<std::uint8_t>> payload;
};
struct end_of_stream {};
using expectation = std::variant<frame_expectation, protocol_header, end_of_stream>;

// A frame an expect step lets go by: any frame, empty frames, or frames of one performative.
struct skip_rule {
  enum class what : std::uint8_t { any, empty_frame, performative };
  what kind = what::any;
  const spec::type_info* type = nullptr;
};

struct expect_step {
  // one: the next item matches the target; unordered: the next items match all targets, in
  // any order; one_of: the next item matches one of them; nothing: no item but those skipped
  // arrives before the wait is over (no targets).
  enum class mode : std::uint8_t { one, unordered, one_of, nothing };
  mode how = mode::one;
  std::vector<expectation> targets;
  std::vector<std::string> target_texts;  // each as written
  std::optional<duration> within;         // unset: the command line's --timeout
  std::vector<skip_rule> skipping;
};

struct delay_step {
  duration how_long{};
};

enum class fault : std::uint8_t { shutdown_write, close, reset };
struct fault_step {
  fault what = fault::close;
};

struct step {
  std::size_t line = 0;  // where the step starts in the script
  std::string text;      // as written (variables substituted), on one line
  std::variant<send_step, expect_step, delay_step, fault_step> action;
};

struct script {
  std::string name;
  std::vector<step> steps;
};

struct script_error {
  std::string file;
  std::size_t line = 0;
  std::size_t column = 0;
  std::string message;
  // "file:line:column: message"
  std::string to_string() const;
};

struct script_limits {
  std::size_t max_size = 16u << 20;               // bytes of script text
  std::size_t max_statement = 1u << 20;           // bytes of one step, variables substituted
  parse_limits values{};                          // each value in it
  duration max_duration = std::chrono::hours(1);  // delays and waits
};

using variables = std::map<std::string, std::string, std::less<>>;

// Reads a script. `name` names it in errors; `vars` are substituted for ${NAME}.
result<script, script_error> parse_script(std::string_view text, std::string_view name,
                                          const variables& vars, const script_limits& limits = {});

}  // namespace amqp::peer
