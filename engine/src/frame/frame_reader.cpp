// Cutting a connection's byte stream into protocol headers and frames (spec Part 2, 2.2 and
// 2.3; Part 5, 5.2 and 5.3), whatever chunks the transport delivers it in.
//
// The reader keeps at most one partial item in `buffer_`. A frame that arrives whole in one
// `input` is decoded in place; the buffer only gathers items that straddle calls, and never
// holds more than the frame size limit, which is checked on the frame header before any body
// byte is buffered.
#include <algorithm>
#include <cstring>
#include <variant>

#include "amqp/frame.hpp"
#include "amqp/spec/constants.hpp"
#include "amqp/spec/security.hpp"
#include "frame/wire.hpp"

namespace amqp {

struct frame_reader_impl {
  using state = frame_reader::state;
  using read_result = frame_reader::read_result;

  static read_result fail(frame_reader& r, std::size_t consumed, std::uint64_t stream_offset,
                          errc code) {
    r.position_ += consumed;
    r.error_ = {code, static_cast<std::size_t>(stream_offset)};
    r.state_ = state::failed;
    r.buffer_.clear();
    r.buffer_returned_ = false;
    read_result res;
    res.consumed = consumed;
    res.error = r.error_;
    return res;
  }

  static read_result need_more(frame_reader& r, bytes_view input) {
    r.buffer_.append(input);
    r.position_ += input.size();
    read_result res;
    res.consumed = input.size();
    return res;
  }

  static read_result header(frame_reader& r, bytes_view input) {
    const std::uint64_t start = r.position_ - r.buffer_.size();
    bytes_view bytes;
    std::size_t take = 0;
    if (r.buffer_.empty() && input.size() >= protocol_header_size) {
      bytes = input.first(protocol_header_size);
      take = protocol_header_size;
    } else {
      take = std::min(protocol_header_size - r.buffer_.size(), input.size());
      r.buffer_.append(input.first(take));
      bytes = r.buffer_.view();
    }
    if (auto e = detail::check_protocol_header_prefix(bytes))
      return fail(r, take, start + e->offset, e->code);
    if (bytes.size() < protocol_header_size) {
      r.position_ += take;
      read_result res;
      res.consumed = take;
      return res;
    }
    auto h = parse_protocol_header(bytes);  // cannot fail: the prefix check passed on 8 bytes
    r.buffer_.clear();
    r.position_ += take;
    switch (h->id) {
      case protocol_id::amqp:
        r.state_ = state::amqp_frames;
        break;
      case protocol_id::sasl:
        r.state_ = state::sasl_frames;
        break;
      case protocol_id::tls:
        r.state_ = state::tls;
        break;
    }
    read_result res;
    res.consumed = take;
    res.item = *h;
    return res;
  }

  // The common case for a reader that leaves performatives undecoded: a whole, well-formed
  // AMQP frame at the start of input, nothing buffered, is cut out in place into `res` with the
  // checks of the general path below; anything else (a partial frame, any error) returns false
  // and goes that way.
  static bool whole_undecoded_frame(frame_reader& r, bytes_view input, read_result& res) {
    if (input.size() < frame_header_size) return false;
    const auto h = parse_frame_header(input.first(frame_header_size), r.options_.max_frame_size);
    if (!h || h->type != frame_type::amqp || h->size > input.size()) return false;
    const std::uint32_t size = h->size;
    const std::uint32_t data_offset = std::uint32_t{h->doff} * 4;
    const bytes_view body = input.subspan(data_offset, size - data_offset);
    // A frame body starts with a described value (spec Part 2, 2.3.2); an empty one is a
    // heartbeat.
    if (!body.empty() && body[0] != format_code::described) return false;
    res.consumed = size;
    frame_view& f = std::get<frame_view>(res.item.emplace(std::in_place_type<frame_view>));
    f.type = frame_type::amqp;
    f.channel = h->channel;
    f.extended_header = input.subspan(frame_header_size, data_offset - frame_header_size);
    f.payload = body;
    f.offset = r.position_;
    r.position_ += size;
    return true;
  }

  static read_result frame(frame_reader& r, bytes_view input) {
    const bool sasl = r.state_ == state::sasl_frames;
    const std::uint64_t start = r.position_ - r.buffer_.size();
    const std::size_t buffered = r.buffer_.size();

    // The 8 header bytes: in place when input holds them all (the usual case), else gathered
    // from the buffer and then from input.
    std::uint8_t gathered[frame_header_size];
    const std::uint8_t* head = input.data();
    const std::size_t from_buffer = std::min(buffered, frame_header_size);
    const std::size_t from_input = std::min(frame_header_size - from_buffer, input.size());
    if (from_buffer > 0 || from_input < frame_header_size) {
      if (from_buffer) std::memcpy(gathered, r.buffer_.data(), from_buffer);
      if (from_input) std::memcpy(gathered + from_buffer, input.data(), from_input);
      head = gathered;
    }
    const std::size_t have = from_buffer + from_input;

    // The client side of a SASL exchange goes from its last SASL frame straight to the next
    // protocol header (no sasl-outcome comes from that side). "AMQP" read as a frame size
    // (0x414d5150) is far above what a SASL frame may be (spec Part 5, 5.3.1), so the two
    // cannot be confused.
    if (sasl && buffered < frame_header_size) {
      if (have < 4) return need_more(r, input);
      if (std::memcmp(head, "AMQP", 4) == 0) {
        r.state_ = state::header;
        return header(r, input);
      }
    }
    if (have < frame_header_size) return need_more(r, input);

    // A header already in the buffer was checked when it arrived; the size limit applies to
    // frames whose header had not been read, so it is not applied again.
    const std::uint32_t limit = buffered >= frame_header_size ? 0xffffffffu
                                : sasl                        ? r.options_.max_sasl_frame_size
                                                              : r.options_.max_frame_size;
    auto h = parse_frame_header({head, frame_header_size}, limit);
    if (!h) return fail(r, from_input, start + h.error().offset, h.error().code);
    // Spec Part 5, 5.3.1 and Part 2, 2.3: each layer has its own frame type.
    const frame_type expected = sasl ? frame_type::sasl : frame_type::amqp;
    if (h->type != expected) return fail(r, from_input, start + 5, errc::unknown_frame_type);

    bytes_view whole;
    std::size_t take = 0;
    if (buffered == 0 && input.size() >= h->size) {
      whole = input.first(h->size);  // zero-copy: the frame is all in input
      take = h->size;
    } else {
      take = std::min<std::size_t>(h->size - buffered, input.size());
      if (buffered + take < h->size) {
        r.buffer_.reserve(h->size);
        return need_more(r, input.first(take));
      }
      r.buffer_.append(input.first(take));
      r.buffer_returned_ = true;
      whole = r.buffer_.view();
    }

    auto f = decode_frame_body(*h, whole.subspan(frame_header_size), r.options_.decode,
                               r.options_.decode_performative);
    if (!f) return fail(r, take, start + frame_header_size + f.error().offset, f.error().code);
    f->offset = start;
    // After the sasl-outcome the SASL layer is over: the next protocol header follows
    // (spec Part 5, 5.3.2).
    using outcome = spec::traits<spec::sasl_outcome>;
    if (sasl && f->performative.as_described().is(outcome::info.code, outcome::info.symbol))
      r.state_ = state::header;
    r.position_ += take;
    read_result res;
    res.consumed = take;
    res.item.emplace(std::in_place_type<frame_view>, *f);
    return res;
  }
};

namespace {

std::uint32_t at_least_min(std::uint32_t n) noexcept {
  return std::max(n, spec::min_max_frame_size);
}

}  // namespace

frame_reader::frame_reader(const frame_reader_options& options) : options_(options) {
  options_.max_frame_size = at_least_min(options_.max_frame_size);
  options_.max_sasl_frame_size = at_least_min(options_.max_sasl_frame_size);
}

// Every path returns the one named result, so that it is built in the caller's place: a whole
// frame (the usual case, once per message) is written there field by field, where a result
// built apart and then copied would be read back in wide loads right after the narrow stores
// that built it, which the CPU cannot forward (a stall of some ten cycles per load).
frame_reader::read_result frame_reader::read(bytes_view input) {
  read_result res;
  if (state_ == state::failed) {
    res.error = error_;
    return res;
  }
  if (buffer_returned_) {
    buffer_.clear();
    buffer_returned_ = false;
  }
  if (input.empty()) return res;
  if (state_ == state::amqp_frames && buffer_.empty() && !options_.decode_performative &&
      frame_reader_impl::whole_undecoded_frame(*this, input, res))
    return res;
  switch (state_) {
    case state::header:
      res = frame_reader_impl::header(*this, input);
      break;
    case state::amqp_frames:
    case state::sasl_frames:
      res = frame_reader_impl::frame(*this, input);
      break;
    case state::tls:
      // The TLS layer's records are not frames; the engine hands them to its TLS stage.
      res = frame_reader_impl::fail(*this, 0, position_, errc::unsupported_protocol);
      break;
    case state::failed:
      break;
  }
  return res;
}

void frame_reader::expect_protocol_header() noexcept {
  if (state_ == state::failed) return;
  buffer_.clear();
  buffer_returned_ = false;
  state_ = state::header;
}

void frame_reader::set_max_frame_size(std::uint32_t n) noexcept {
  options_.max_frame_size = at_least_min(n);
}

std::uint64_t frame_reader::position() const noexcept {
  return position_;
}

bool frame_reader::failed() const noexcept {
  return state_ == state::failed;
}

}  // namespace amqp
