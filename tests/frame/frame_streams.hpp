// Helpers for the frame tests: building streams, and reading a stream in every possible way.
#pragma once

#include <gtest/gtest.h>

#include <cstdint>
#include <initializer_list>
#include <string>
#include <vector>

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "support/hex.hpp"

namespace amqp::test {

using bytes = std::vector<std::uint8_t>;

inline bytes cat(std::initializer_list<bytes> parts) {
  bytes out;
  for (const bytes& p : parts) out.insert(out.end(), p.begin(), p.end());
  return out;
}

inline bytes header_bytes(protocol_id id) {
  writer w;
  write_protocol_header(w, id);
  return {w.data(), w.data() + w.size()};
}

template <spec::composite T>
bytes frame_bytes(frame_type type, std::uint16_t channel, const T& performative,
                  const bytes& payload = {}) {
  writer w;
  const std::error_code ec = write_frame(w, type, channel, performative, payload);
  EXPECT_FALSE(ec) << ec.message();
  return {w.data(), w.data() + w.size()};
}

inline bytes empty_frame_bytes(std::uint16_t channel) {
  writer w;
  write_empty_frame(w, channel);
  return {w.data(), w.data() + w.size()};
}

// A frame written by hand: `ext` (a multiple of 4 bytes) becomes the extended header, so doff is
// 2 + ext.size() / 4; the size is computed.
inline bytes raw_frame(std::uint8_t type, std::uint16_t channel, const bytes& ext,
                       const bytes& body) {
  const std::size_t size = 8 + ext.size() + body.size();
  bytes out;
  for (int shift = 24; shift >= 0; shift -= 8)
    out.push_back(static_cast<std::uint8_t>(size >> shift));
  out.push_back(static_cast<std::uint8_t>(2 + ext.size() / 4));
  out.push_back(type);
  out.push_back(static_cast<std::uint8_t>(channel >> 8));
  out.push_back(static_cast<std::uint8_t>(channel));
  return cat({out, ext, body});
}

// The bytes of the performative of a frame read by frame_reader (it sits between the extended
// header and the payload).
inline bytes_view performative_bytes(const frame_view& f) {
  const std::uint8_t* begin = f.extended_header.data() + f.extended_header.size();
  return {begin, static_cast<std::size_t>(f.payload.data() - begin)};
}

// One line per item, and one for the error: what every way of feeding a stream must agree on.
inline std::string describe_item(const frame_reader::item_type& item) {
  if (const auto* h = std::get_if<protocol_header>(&item)) {
    return "header " + std::to_string(static_cast<int>(h->id)) + " " + std::to_string(h->major) +
           "." + std::to_string(h->minor) + "." + std::to_string(h->revision);
  }
  const auto& f = std::get<frame_view>(item);
  std::string s = f.type == frame_type::amqp ? "amqp" : "sasl";
  s += " @" + std::to_string(f.offset) + " ch " + std::to_string(f.channel);
  if (!f.extended_header.empty()) s += " ext [" + to_hex(f.extended_header) + "]";
  if (f.is_empty()) {
    s += " empty";
    if (!f.payload.empty()) s += " payload?!";
  } else {
    s += " perf [" + to_hex(performative_bytes(f)) + "]";
    if (!f.payload.empty()) s += " payload [" + to_hex(f.payload) + "]";
  }
  return s;
}

inline std::string describe_error(const decode_error& e) {
  return "error " + std::string(describe(e.code)) + " @" + std::to_string(e.offset);
}

struct read_outcome {
  std::vector<std::string> lines;
  bool all_in_place = true;   // every frame item viewed its bytes inside the chunk it came in
  bool any_in_place = false;  // at least one frame item did
  std::uint64_t position = 0;
};

inline bool inside(bytes_view part, bytes_view whole) {
  return part.empty() ||
         (part.data() >= whole.data() && part.data() + part.size() <= whole.data() + whole.size());
}

// Feeds `chunks` in order, reading every item; stops at the first error, after checking that
// the error is sticky.
inline read_outcome read_chunks(const std::vector<bytes_view>& chunks,
                                const frame_reader_options& options = {}) {
  read_outcome out;
  frame_reader r(options);
  for (bytes_view chunk : chunks) {
    while (!chunk.empty()) {
      const bytes_view given = chunk;
      auto res = r.read(chunk);
      EXPECT_LE(res.consumed, chunk.size());
      chunk = chunk.subspan(res.consumed);
      if (res.error) {
        EXPECT_FALSE(res.item);
        EXPECT_TRUE(r.failed());
        out.lines.push_back(describe_error(*res.error));
        // Sticky: nothing more is consumed, the same error comes back.
        auto again = r.read(chunk.empty() ? given : chunk);
        EXPECT_EQ(again.consumed, 0u);
        EXPECT_FALSE(again.item);
        EXPECT_TRUE(again.error && *again.error == *res.error);
        out.position = r.position();
        return out;
      }
      if (!res.item) {
        EXPECT_TRUE(chunk.empty()) << "no item, yet input was left unconsumed";
        break;
      }
      if (const auto* f = std::get_if<frame_view>(&*res.item)) {
        const bool in_place = inside(f->extended_header, given) && inside(f->payload, given) &&
                              inside(performative_bytes(*f), given);
        out.all_in_place = out.all_in_place && in_place;
        out.any_in_place = out.any_in_place || in_place;
      }
      out.lines.push_back(describe_item(*res.item));
    }
  }
  EXPECT_FALSE(r.failed());
  out.position = r.position();
  return out;
}

// Reads `stream` whole, then cut in two at every offset, then one byte at a time, and checks
// that every way gives the same items and error; returns what the whole read gave.
inline read_outcome read_every_way(const bytes& stream, const frame_reader_options& options = {}) {
  const bytes_view all(stream);
  read_outcome whole = read_chunks({all}, options);
  EXPECT_TRUE(whole.all_in_place) << "a whole stream must be read without copying";
  for (std::size_t cut = 0; cut <= stream.size(); ++cut) {
    read_outcome two = read_chunks({all.first(cut), all.subspan(cut)}, options);
    EXPECT_EQ(two.lines, whole.lines) << "split at " << cut;
    if (two.lines != whole.lines) break;  // one report is enough
  }
  std::vector<bytes_view> singles;
  for (std::size_t i = 0; i < stream.size(); ++i) singles.push_back(all.subspan(i, 1));
  read_outcome bytewise = read_chunks(singles, options);
  EXPECT_EQ(bytewise.lines, whole.lines) << "one byte at a time";
  return whole;
}

}  // namespace amqp::test
