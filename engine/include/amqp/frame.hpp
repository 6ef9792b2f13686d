// Protocol headers and frames (spec Part 2, 2.2 and 2.3; Part 5, 5.1 and 5.2).
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

// Parses the 8 bytes of a protocol header (bytes.size() >= 8; only the first 8 are read).
// errc::invalid_protocol_header when they do not start "AMQP"; errc::unsupported_protocol for
// an id other than 0, 2, 3 or a version other than 1.0.0 (the header is still returned in the
// error-free fields a server needs to answer with its own header, see spec Part 2, 2.2).
result<protocol_header> parse_protocol_header(bytes_view bytes);
void write_protocol_header(writer& out, protocol_id id);

enum class frame_type : std::uint8_t { amqp = 0, sasl = 1 };

struct frame_header {
  std::uint32_t size = 0;  // the whole frame, header included
  std::uint8_t doff = 2;   // data offset in 4-byte words
  frame_type type = frame_type::amqp;
  std::uint16_t channel = 0;
};

// Parses and checks the first 8 bytes of a frame: size >= 8 and <= max_frame_size,
// doff >= 2 and doff * 4 <= size, type 0 or 1.
result<frame_header> parse_frame_header(bytes_view bytes, std::uint32_t max_frame_size);

// A decoded frame; every view points into the bytes it was read from.
struct frame_view {
  frame_type type = frame_type::amqp;
  std::uint16_t channel = 0;
  bytes_view extended_header;  // usually empty; ignored by AMQP 1.0
  value_view performative;     // the described performative; null for an empty frame
  bytes_view payload;          // bytes after the performative: a transfer's message bytes
  std::uint64_t offset = 0;    // where the frame started in the stream

  bool is_empty() const noexcept { return performative.is_null(); }
};

// Decodes a frame body: one described value, then an opaque payload.
// errc::invalid_frame_body when the body does not start with a described value.
result<frame_view> decode_frame_body(const frame_header& h, bytes_view body,
                                     const decode_limits& limits = {});

struct frame_reader_options {
  std::uint32_t max_frame_size = 1u << 20;
  decode_limits decode{};
};

// Cuts a byte stream into protocol headers and frames. It starts by expecting a protocol
// header; after an AMQP header it reads AMQP frames, after a SASL header SASL frames until a
// sasl-outcome frame (then a header again). After a TLS header the stream is TLS records,
// which the reader does not decode: it reports errc::unsupported_protocol for them.
class frame_reader {
 public:
  using item_type = std::variant<protocol_header, frame_view>;
  struct read_result {
    std::size_t consumed = 0;              // bytes of `input` used, also on error
    std::optional<item_type> item;         // a complete header or frame, if one ended
    std::optional<decode_error> error;     // offset relative to the start of the stream
  };

  explicit frame_reader(const frame_reader_options& options = {});

  // Reads at most one item. `input` continues the stream where the previous call's consumed
  // bytes ended. A frame that `input` holds whole is viewed in place; a frame split across
  // calls is gathered in an internal buffer (at most max_frame_size bytes). Either way the
  // item's views are valid until the next call or until `input` is released, whichever is
  // first. After an error the reader stays failed and consumes nothing more.
  read_result read(bytes_view input);

  // The next item is a protocol header (used by the engine after SASL negotiation).
  void expect_protocol_header() noexcept;
  void set_max_frame_size(std::uint32_t n) noexcept;
  // Bytes of the stream consumed so far.
  std::uint64_t position() const noexcept;
  bool failed() const noexcept;

 private:
  frame_reader_options options_;
  writer buffer_;  // a partial header or frame
  std::uint64_t position_ = 0;
  enum class state : std::uint8_t { header, amqp_frames, sasl_frames, tls, failed } state_;
  friend struct frame_reader_impl;
};

// Appends one frame (header, performative, payload) to `out`, its size back-patched.
// errc::frame_size_too_large (and nothing appended) when it would exceed max_frame_size.
template <spec::composite T>
std::error_code write_frame(writer& out, frame_type type, std::uint16_t channel,
                            const T& performative, bytes_view payload = {},
                            std::uint32_t max_frame_size = 0xffffffffu);

// An empty frame (a heartbeat): 8 bytes, no body.
void write_empty_frame(writer& out, std::uint16_t channel = 0);

namespace detail {
// Writes the 8-byte header placeholder; returns where the frame starts.
std::size_t begin_frame(writer& out, frame_type type, std::uint16_t channel);
// Back-patches the size, or rolls back and fails when it exceeds max_frame_size.
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
  if (e.error()) {
    out.truncate(start);
    return e.error();
  }
  return detail::end_frame(out, start, max_frame_size);
}

}  // namespace amqp
