// Protocol headers and frames (spec Part 2, 2.2 and 2.3; Part 5, 5.2 and 5.3).
//
// A connection's byte stream is a protocol header followed by frames; a SASL or TLS layer
// ends with a new protocol header. `frame_reader` cuts that stream into items, whatever the
// chunks it arrives in; `write_frame` writes one performative plus payload as one frame.
//
//   amqp::frame_reader reader;                          // expects a protocol header first
//   while (!input.empty()) {
//     auto r = reader.read(input);
//     if (r.error) { /* r.error->message(), offset in the stream */ break; }
//     input = input.subspan(r.consumed);
//     if (!r.item) continue;                              // need more bytes
//     if (auto* f = std::get_if<amqp::frame_view>(&*r.item)) handle(*f);
//   }
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <system_error>
#include <variant>

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/detail/bytes.hpp"
#include "amqp/codec/value_view.hpp"
#include "amqp/codec/writer.hpp"
#include "amqp/errors.hpp"
#include "amqp/spec/codec.hpp"

namespace amqp {

// The protocol id byte of a protocol header: "AMQP" id major minor revision.
enum class protocol_id : std::uint8_t { amqp = 0, tls = 2, sasl = 3 };

struct protocol_header {
  protocol_id id = protocol_id::amqp;
  std::uint8_t major = 1;
  std::uint8_t minor = 0;
  std::uint8_t revision = 0;
  friend bool operator==(const protocol_header&, const protocol_header&) = default;
};

inline constexpr std::size_t protocol_header_size = 8;
inline constexpr std::size_t frame_header_size = 8;

// Parses the 8 bytes of a protocol header (bytes.size() >= 8; only the first 8 are read;
// fewer is errc::truncated at bytes.size()). The bytes are checked in order and the first bad
// one is reported: errc::invalid_protocol_header at offset 0-3 when they do not start "AMQP";
// errc::unsupported_protocol at offset 4 for an id other than 0, 2, 3, or at offset 5-7 for a
// version other than 1.0.0. Either way a server answers with a header it supports and closes
// (spec Part 2, 2.2), so it needs no more than the error.
result<protocol_header> parse_protocol_header(bytes_view bytes);
// Appends "AMQP" id 1 0 0.
void write_protocol_header(writer& out, protocol_id id);

enum class frame_type : std::uint8_t { amqp = 0, sasl = 1 };

struct frame_header {
  std::uint32_t size = 0;  // the whole frame, header included
  std::uint8_t doff = 2;   // data offset in 4-byte words
  frame_type type = frame_type::amqp;
  std::uint16_t channel = 0;  // as on the wire; meaningless for SASL frames
};

// Parses and checks the first 8 bytes of a frame (spec Part 2, 2.3.1), in this order:
// errc::frame_size_too_small (offset 0) when size < 8, errc::frame_size_too_large (offset 0)
// when size > max_frame_size, errc::invalid_data_offset (offset 4) when doff < 2 or
// doff * 4 > size, errc::unknown_frame_type (offset 5) when the type is neither 0 nor 1.
// Fewer than 8 bytes is errc::truncated at bytes.size(). max_frame_size is used as given.
// Inline: every frame read goes through it.
inline result<frame_header> parse_frame_header(bytes_view bytes, std::uint32_t max_frame_size) {
  if (bytes.size() < frame_header_size) return decode_error{errc::truncated, bytes.size()};
  frame_header h;
  h.size = detail::load_be32(bytes.data());
  h.doff = bytes[4];
  const std::uint8_t type = bytes[5];
  h.channel = static_cast<std::uint16_t>((bytes[6] << 8) | bytes[7]);
  // Spec Part 2, 2.3.1: a size below the 8-byte header or a doff below 2 is malformed.
  if (h.size < frame_header_size) return decode_error{errc::frame_size_too_small, 0};
  if (h.size > max_frame_size) return decode_error{errc::frame_size_too_large, 0};
  if (h.doff < 2 || std::uint32_t{h.doff} * 4 > h.size)
    return decode_error{errc::invalid_data_offset, 4};
  if (type > static_cast<std::uint8_t>(frame_type::sasl))
    return decode_error{errc::unknown_frame_type, 5};
  h.type = static_cast<frame_type>(type);
  return h;
}

// A decoded frame; every view points into the bytes it was read from.
struct frame_view {
  frame_type type = frame_type::amqp;
  std::uint16_t channel = 0;   // always 0 for a SASL frame, whose channel bytes are ignored
  bytes_view extended_header;  // usually empty; ignored by AMQP 1.0
  // The described performative; null for an empty frame, and for every AMQP frame of a reader
  // that leaves performatives to its caller (frame_reader_options::decode_performative).
  value_view performative;
  // The bytes after the performative (a transfer's message bytes); the whole frame body,
  // performative first, when the performative was left undecoded.
  bytes_view payload;
  std::uint64_t offset = 0;  // where the frame started in the stream

  bool is_empty() const noexcept { return performative.is_null() && payload.empty(); }
};

// Decodes what follows a frame's 8-byte header: `body` holds the extended header and the frame
// body (h.size - 8 bytes; extra bytes are ignored, fewer is errc::truncated at body.size()).
// The frame body is one described value, validated by the value decoder, then an opaque
// payload (spec Part 2, 2.3.2). Offsets in errors are relative to body.data():
// - errc::invalid_frame_body when the frame body does not start with a described value
//   (constructor 0x00), or a SASL frame is empty (spec Part 5, 5.3.1);
// - any decoder error (errc::truncated, errc::unknown_format_code ...) of that value; the
//   value cannot extend past the frame;
// - errc::trailing_bytes at the first byte after the value of a SASL frame, whose body is
//   exactly one value (spec Part 5, 5.3.1);
// - errc::frame_size_too_small / errc::invalid_data_offset (offset 0) for a header that
//   parse_frame_header would have refused.
// An AMQP frame with no body is an empty frame (a heartbeat): performative null, no payload.
// With `decode_performative` false, an AMQP frame body is only checked to start with a
// described value and is returned whole as the payload (SASL frames are always decoded).
// The result's offset is 0; frame_reader fills it in.
result<frame_view> decode_frame_body(const frame_header& h, bytes_view body,
                                     const decode_limits& limits = {},
                                     bool decode_performative = true);

struct frame_reader_options {
  // Largest AMQP frame accepted. Values below 512 are raised to 512: every peer must accept
  // frames of MIN-MAX-FRAME-SIZE (spec Part 2, 2.7.1 and 2.8.19).
  std::uint32_t max_frame_size = 1u << 20;
  // Largest SASL frame accepted. The spec fixes it at MIN-MAX-FRAME-SIZE (Part 5, 5.3.1); it
  // can be raised for mechanisms with large tokens. Values below 512 are raised to 512.
  std::uint32_t max_sasl_frame_size = 512;
  decode_limits decode{};
  // False: AMQP frames come with their performative undecoded, the frame body whole in
  // `payload`, for a reader that decodes each performative by its type in one pass
  // (spec::decode_prefix), as the connection engine does: validating the value here first
  // would read every byte twice.
  bool decode_performative = true;
};

// Cuts a byte stream into protocol headers and frames. It starts by expecting a protocol
// header; after an AMQP header it reads AMQP frames, after a SASL header SASL frames until a
// sasl-outcome frame (then a header again). In the SASL phase, "AMQP" where a frame would
// start is read as the next protocol header: the client side of a SASL exchange sends no
// sasl-outcome, and those 4 bytes as a frame size would be far above any SASL frame size.
// After a TLS header the stream is TLS records, which the reader does not decode: it reports
// errc::unsupported_protocol for them.
//
// Errors (offsets count from the start of the stream) are those of parse_protocol_header,
// parse_frame_header and decode_frame_body, plus errc::unknown_frame_type at the frame's type
// byte for an AMQP frame in the SASL phase or a SASL frame in the AMQP phase. The items and the
// error are the same however the stream is cut into chunks; a bad protocol header is reported
// as soon as its first bad byte arrives.
class frame_reader {
 public:
  using item_type = std::variant<protocol_header, frame_view>;
  struct read_result {
    std::size_t consumed = 0;           // bytes of `input` used, also on error
    std::optional<item_type> item;      // a complete header or frame, if one ended
    std::optional<decode_error> error;  // offset relative to the start of the stream
  };

  explicit frame_reader(const frame_reader_options& options = {});

  // Reads at most one item. `input` continues the stream where the previous call's consumed
  // bytes ended. A frame that `input` holds whole is viewed in place; a frame split across
  // calls is gathered in an internal buffer (at most the frame size limit). Either way the
  // item's views are valid until the next call or until `input` is released, whichever is
  // first. Without an item or error, all of `input` was consumed. After an error the reader
  // stays failed: every later call returns the same error and consumes nothing.
  read_result read(bytes_view input);

  // The next item is a protocol header (used by the engine after SASL negotiation, or after
  // TLS to read the protocol header that the secured stream starts with). Any partly read item
  // is dropped. No effect once failed.
  void expect_protocol_header() noexcept;
  // The AMQP frame size limit for frames whose header has not been read yet (raised to 512).
  void set_max_frame_size(std::uint32_t n) noexcept;
  // Bytes of the stream consumed so far.
  std::uint64_t position() const noexcept;
  bool failed() const noexcept;

 private:
  frame_reader_options options_;
  writer buffer_;  // a partial header or frame, or the gathered frame last returned
  std::uint64_t position_ = 0;
  decode_error error_{};
  enum class state : std::uint8_t { header, amqp_frames, sasl_frames, tls, failed };
  state state_ = state::header;
  bool buffer_returned_ = false;  // buffer_ holds the frame the last call returned
  friend struct frame_reader_impl;
};

// Appends one frame (header, performative, payload) to `out`, its size back-patched.
// errc::frame_size_too_large (and nothing appended) when it would exceed max_frame_size; an
// encoder error (errc::value_too_large) likewise appends nothing. The channel of a SASL frame
// is written as 0 (spec Part 5, 5.3.1).
template <spec::composite T>
std::error_code write_frame(writer& out, frame_type type, std::uint16_t channel,
                            const T& performative, bytes_view payload = {},
                            std::uint32_t max_frame_size = 0xffffffffu);

// An empty AMQP frame (a heartbeat, spec Part 2, 2.4.5): 8 bytes, no body.
void write_empty_frame(writer& out, std::uint16_t channel = 0);

namespace detail {
// Writes the 8-byte header (size to be patched, doff 2, type, channel; 0 for SASL); returns
// where the frame starts.
std::size_t begin_frame(writer& out, frame_type type, std::uint16_t channel);
// Back-patches the size of the frame begun at `start`, or truncates `out` back to `start` and
// returns errc::frame_size_too_large when the frame exceeds max_frame_size.
std::error_code end_frame(writer& out, std::size_t start, std::uint32_t max_frame_size);
}  // namespace detail

template <spec::composite T>
std::error_code write_frame(writer& out, frame_type type, std::uint16_t channel,
                            const T& performative, bytes_view payload,
                            std::uint32_t max_frame_size) {
  const std::size_t start = detail::begin_frame(out, type, channel);
  encoder e(out);
  spec::encode(e, performative);
  out.append(payload);
  if (e.failed()) {
    out.truncate(start);
    return e.error();
  }
  return detail::end_frame(out, start, max_frame_size);
}

}  // namespace amqp
