// The frame trace: the engine reports every protocol header and frame it reads or writes to
// an injected sink; the engine itself never prints.
//
//   amqp::text_trace_sink sink([](std::string_view line) { std::clog << line << '\n'; });
//   engine_config.trace = &sink;
//   // <- [0] AMQP 1.0.0
//   // -> [8] ch 0 @open(0x10) {container-id: "c1"}
#pragma once

#include <functional>
#include <string_view>

#include "amqp/frame.hpp"
#include "amqp/text.hpp"

namespace amqp {

enum class trace_direction : std::uint8_t { incoming, outgoing };

class trace_sink {
 public:
  virtual ~trace_sink() = default;
  virtual void on_protocol_header(trace_direction dir, const protocol_header& h) = 0;
  virtual void on_frame(trace_direction dir, const frame_view& f) = 0;
};

// Formats each header and frame as one line of amqp-inspect text (single-line form), prefixed
// "<- " for incoming and "-> " for outgoing, and hands it to a callback.
class text_trace_sink final : public trace_sink {
 public:
  explicit text_trace_sink(std::function<void(std::string_view)> line,
                           text_options options = {.multiline = false});
  void on_protocol_header(trace_direction dir, const protocol_header& h) override;
  void on_frame(trace_direction dir, const frame_view& f) override;

 private:
  std::function<void(std::string_view)> line_;
  text_options options_;
  std::string buf_;
};

}  // namespace amqp
