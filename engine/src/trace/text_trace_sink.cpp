// The text frame trace (amqp/trace.hpp).
#include "amqp/trace.hpp"

#include <utility>

namespace amqp {

text_trace_sink::text_trace_sink(std::function<void(std::string_view)> line,
                                 text_options options)
    : line_(std::move(line)), options_(options) {}

void text_trace_sink::start(trace_direction dir) {
  buf_.clear();
  buf_ += dir == trace_direction::incoming ? "<- " : "-> ";
}

void text_trace_sink::on_protocol_header(trace_direction dir, const protocol_header& h,
                                         std::uint64_t offset) {
  start(dir);
  append_text(buf_, h, offset);
  if (line_) line_(buf_);
}

void text_trace_sink::on_frame(trace_direction dir, const frame_view& f) {
  start(dir);
  append_text(buf_, f, options_);
  if (line_) line_(buf_);
}

}  // namespace amqp
