// The frame trace: the engine reports every protocol header and frame it reads or writes to
// an injected sink; the engine itself never prints.
//
//   amqp::text_trace_sink sink([](std::string_view line) { std::clog << line << '\n'; });
//   engine_config.trace = &sink;
//   // <- [0] AMQP 1.0.0
//   // -> [8] ch 0 @open(0x10) {container-id: "c1"}
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "amqp/frame.hpp"
#include "amqp/text.hpp"

namespace amqp {

enum class trace_direction : std::uint8_t { incoming, outgoing };

class trace_sink {
 public:
  virtual ~trace_sink() = default;
  // `offset`: where the header starts in its direction's byte stream.
  virtual void on_protocol_header(trace_direction dir, const protocol_header& h,
                                  std::uint64_t offset) = 0;
  // The frame's views are valid only during the call.
  virtual void on_frame(trace_direction dir, const frame_view& f) = 0;
};

// Formats each header and frame as amqp-inspect text (amqp/text.hpp), prefixed "<- " for
// incoming and "-> " for outgoing, and hands it to a callback: one call per item. With the
// default options (multiline off) each item is exactly one line; the string_view passed to the
// callback is valid only during the call.
class text_trace_sink final : public trace_sink {
 public:
  explicit text_trace_sink(std::function<void(std::string_view)> line,
                           text_options options = {.multiline = false});
  void on_protocol_header(trace_direction dir, const protocol_header& h,
                          std::uint64_t offset) override;
  void on_frame(trace_direction dir, const frame_view& f) override;

 private:
  void start(trace_direction dir);

  std::function<void(std::string_view)> line_;
  text_options options_;
  std::string buf_;  // reused, so a warm sink formats without allocating per line
};

}  // namespace amqp
