// Reading: the frame reader cuts the input into protocol headers and frames; each frame's
// performative is dispatched to the state machine that owns it.
#include <string>

#include "amqp/spec.hpp"
#include "engine_impl.hpp"

namespace amqp {

namespace {

// The condition for a stream the frame reader cannot go on reading (spec Part 2, 2.8.15 and
// 2.8.16): bad framing, or a frame body the codec refuses.
std::string_view condition_for(errc e) noexcept {
  switch (e) {
    case errc::frame_size_too_small:
    case errc::frame_size_too_large:
    case errc::invalid_data_offset:
    case errc::unknown_frame_type:
    case errc::invalid_frame_body:
    case errc::invalid_protocol_header:
    case errc::unsupported_protocol:
      return spec::connection_error::framing_error.str;
    default:
      return spec::amqp_error::decode_error.str;
  }
}

}  // namespace

std::size_t connection_engine::impl::feed(bytes_view bytes) {
  std::size_t used = 0;
  while (used < bytes.size()) {
    // Past the end of the conversation, or while the application has too much to read,
    // nothing more is read (in the first case, nothing more ever will be).
    if (input_ended || aborted) return bytes.size();
    if (events.size() >= config.limits.max_pending_events) break;
    if (out.size() - out_pos > config.limits.max_pending_output) break;
    // Read now, the header would find the exchange unfinished (Part 5, 5.3.2: AMQP follows
    // the outcome); Qpid Proton's clients send it that early all the same.
    if (holds_pipelined_header(bytes[used])) break;
    const auto r = reader.read(bytes.subspan(used));
    used += r.consumed;
    reading_item = !r.item && r.consumed > 0;
    if (r.error) {
      on_reader_error(*r.error);
      return bytes.size();
    }
    if (!r.item) break;  // all consumed, within an item
    last_received = now;
    on_item(*r.item);
  }
  return used;
}

void connection_engine::impl::on_item(const frame_reader::item_type& item) {
  if (const auto* h = std::get_if<protocol_header>(&item)) {
    if (config.trace)
      config.trace->on_protocol_header(trace_direction::incoming, *h,
                                       reader.position() - protocol_header_size);
    if (sasl_running())
      on_sasl_header(*h);
    else
      on_protocol_header(*h);
    return;
  }
  const frame_view& f = std::get<frame_view>(item);
  if (f.type == frame_type::sasl) {
    // The reader reads SASL frames only after a SASL header, which only a running SASL layer
    // accepts; their credentials stay out of the trace.
    if (config.trace)
      config.trace->on_frame(trace_direction::incoming,
                             detail::redact_sasl_frame(f, trace_scratch));
    if (sasl_running()) on_sasl_frame(f);
    return;
  }
  if (config.trace) config.trace->on_frame(trace_direction::incoming, traced(f));
  on_frame(f);
}

// The frame as the trace shows it: its performative decoded apart from its payload (the
// reader leaves it undecoded). A performative that does not decode is shown as the payload's
// bytes; the frame's handler reports why.
frame_view connection_engine::impl::traced(const frame_view& f) const {
  frame_view shown = f;
  std::size_t used = 0;
  if (!f.payload.empty()) {
    if (auto v = decode_value_prefix(f.payload, used, config.limits.decode)) {
      shown.performative = *v;
      shown.payload = f.payload.subspan(used);
    }
  }
  return shown;
}

// The type a frame body's performative names, from its descriptor alone (the handler decodes
// the rest): null for a descriptor that names no known type or does not decode.
const spec::type_info* connection_engine::impl::performative_type(bytes_view body) const {
  // The reader checked that the body starts with a described value (0x00). Every
  // performative this side sends, and most peers, use a one-byte code (smallulong 0x53).
  if (body.size() >= 3 && body[1] == 0x53) return spec::find_type(body[2]);
  std::size_t used = 0;
  auto descriptor = decode_value_prefix(body.subspan(1), used, config.limits.decode);
  return descriptor ? spec::find_type(*descriptor) : nullptr;
}

void connection_engine::impl::on_reader_error(const decode_error& e) {
  condition c{std::string(condition_for(e.code)), e.message() + " of the input stream", {}};
  if (e.code == errc::invalid_protocol_header || e.code == errc::unsupported_protocol) {
    // Not an AMQP 1.0 peer: answer with the header we speak and close (spec Part 2, 2.2).
    if (!header_sent) write_header();
    c.description = "the peer's protocol header is not AMQP 1.0: " + c.description;
    fail_transport(std::move(c));
    return;
  }
  // The stream cannot be read past this point, so the peer's close will never be seen: close
  // (when a connection is open to close) and end the conversation.
  if (header_received && !close_sent) violation(c);
  fail_transport(std::move(c));
}

void connection_engine::impl::on_frame(const frame_view& f) {
  if (f.is_empty()) return;  // a heartbeat: receiving it was the point
  const spec::type_info* t = performative_type(f.payload);
  const std::uint64_t code = t ? t->code : 0;
  // After our close, only the peer's close matters (spec Part 2, 2.4.3 and 2.4.6, DISCARDING),
  // and its open while it has not come: a close pipelined right after our open may cross the
  // peer's open, which still precedes its close.
  const bool awaited = code == spec::traits<spec::close>::info.code ||
                       (code == spec::traits<spec::open>::info.code && !open_received);
  if ((discarding || close_sent) && !awaited) return;
  if (!open_received && code != spec::traits<spec::open>::info.code) {
    violation({std::string(spec::amqp_error::illegal_state.str),
               "the first frame after the protocol header must be open (spec Part 2, 2.4.1), "
               "not " + std::string(t ? t->name : "an unknown performative"),
               {}});
    return;
  }
  switch (code) {
    case spec::traits<spec::open>::info.code:
      return on_open(f);
    case spec::traits<spec::close>::info.code:
      return on_close(f);
    case spec::traits<spec::begin>::info.code:
      return on_begin(f);
    case spec::traits<spec::end>::info.code:
      return on_end(f);
    case spec::traits<spec::attach>::info.code:
    case spec::traits<spec::flow>::info.code:
    case spec::traits<spec::transfer>::info.code:
    case spec::traits<spec::disposition>::info.code:
    case spec::traits<spec::detach>::info.code:
      return on_session_frame(f, *t);
    default:
      violation({std::string(spec::amqp_error::decode_error.str),
                 "the frame at offset " + std::to_string(f.offset) +
                     " holds no performative" +
                     (t ? std::string(" but a ") + std::string(t->name) : std::string()),
                 {}});
      return;
  }
}

}  // namespace amqp
