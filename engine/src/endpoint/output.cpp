// Writing: protocol headers and frames go straight into the output buffer the application
// drains with pending_output() / consume_output(); the trace sees each one as it is written.
#include <algorithm>

#include "engine_impl.hpp"

namespace amqp {

void connection_engine::impl::write_header() {
  const std::size_t from = out.size();
  write_protocol_header(out, protocol_id::amqp);
  header_sent = true;
  if (config.trace)
    config.trace->on_protocol_header(trace_direction::outgoing, protocol_header{},
                                     out_offset + from);
  sent();
}

void connection_engine::impl::write_heartbeat() {
  const std::size_t from = out.size();
  write_empty_frame(out);
  traced_output(from);
  sent();
}

// The frame just written at `from`, decoded again for the trace (SASL credentials shown by
// length only): tracing costs nothing when off.
void connection_engine::impl::traced_output(std::size_t from) {
  if (!config.trace) return;
  const bytes_view frame = out.view().subspan(from);
  const auto h = parse_frame_header(frame, 0xffffffffu);
  if (!h) return;
  auto f = decode_frame_body(*h, frame.subspan(frame_header_size),
                             decode_limits{.max_depth = ~0u, .max_zero_width_elements = ~0u});
  if (!f) return;
  f->offset = out_offset + from;
  config.trace->on_frame(trace_direction::outgoing, detail::redact_sasl_frame(*f, trace_scratch));
}

void connection_engine::impl::sent() { last_sent = now; }

std::uint32_t connection_engine::impl::max_frame_size() const noexcept {
  if (!open_received) return spec::min_max_frame_size;
  return std::min(remote.max_frame_size, config.limits.max_frame_size);
}

}  // namespace amqp
