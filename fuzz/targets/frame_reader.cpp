// Fuzz target: cutting a connection's byte stream into protocol headers and frames
// (spec Part 2, 2.2 and 2.3; Part 5, 5.3).
//
// The same stream is fed to fresh readers whole, in chunks whose sizes derive from the data, one
// byte at a time (short inputs only), and, for go-amqp style inputs that mark their reads with
// "SPLIT\n", in those reads (the markers removed). Oracle: every way of feeding yields the same
// items (header values; frame type, channel, offset, extended header, performative and payload)
// and the same error at the same stream offset, the reader never stalls on non-empty input, and
// once failed it stays failed. Any difference traps.
//
// A reader that leaves performatives to its caller (decode_performative false, as the connection
// engine reads) is held to the decoding one, item by item on the whole stream: the same headers,
// the same SASL frames, and each AMQP frame with the same type, channel, offset and extended
// header, its payload the decoding reader's performative bytes followed by its payload. It fails
// where the decoding reader does, with the same error, unless that error is the value decoder's
// inside a frame's performative, which the lazy reader leaves undecoded and reads past. Fed whole
// and in chunks, it too yields the same items and error.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "amqp/frame.hpp"

namespace {

void put_u64(std::string& log, std::uint64_t v) { log.append(reinterpret_cast<const char*>(&v), 8); }

void put_bytes(std::string& log, amqp::bytes_view b) {
  put_u64(log, b.size());
  log.append(reinterpret_cast<const char*>(b.data()), b.size());
}

// Appends what the item says, owned, since its views die with the next read. `lazy`: read with
// decode_performative false.
void record(std::string& log, const amqp::frame_reader::item_type& item, bool lazy) {
  if (const auto* h = std::get_if<amqp::protocol_header>(&item)) {
    log += 'H';
    log += static_cast<char>(h->id);
    log += static_cast<char>(h->major);
    log += static_cast<char>(h->minor);
    log += static_cast<char>(h->revision);
    return;
  }
  const auto& f = std::get<amqp::frame_view>(item);
  log += 'F';
  log += static_cast<char>(f.type);
  put_u64(log, f.channel);
  put_u64(log, f.offset);
  put_bytes(log, f.extended_header);
  // The performative's bytes lie between the extended header and the payload.
  const std::uint8_t* start = f.extended_header.data() + f.extended_header.size();
  if (f.payload.data() < start) __builtin_trap();
  const amqp::bytes_view performative(start, static_cast<std::size_t>(f.payload.data() - start));
  // A performative has bytes (at least its 0x00 constructor); a null one has none. The decoding
  // reader leaves it null only in an empty frame, the lazy one in every AMQP frame, whose payload
  // then still starts with the described value's constructor.
  if (performative.empty() != f.performative.is_null()) __builtin_trap();
  const bool undecoded = lazy && f.type == amqp::frame_type::amqp;
  if (f.performative.is_null() != (undecoded || f.is_empty())) __builtin_trap();
  if (undecoded && !f.payload.empty() && f.payload[0] != 0x00) __builtin_trap();
  put_bytes(log, performative);
  put_bytes(log, f.payload);
}

struct outcome {
  std::string log;
  bool failed = false;
  std::uint64_t position = 0;
};

// Feeds `chunks` (consecutive pieces of one stream) to a fresh reader.
outcome feed(const amqp::frame_reader_options& options, amqp::bytes_view stream,
             const std::vector<std::size_t>& chunk_sizes) {
  amqp::frame_reader reader(options);
  outcome out;
  std::size_t at = 0;
  for (std::size_t size : chunk_sizes) {
    amqp::bytes_view chunk = stream.subspan(at, size);
    at += size;
    while (true) {
      auto r = reader.read(chunk);
      if (r.consumed > chunk.size()) __builtin_trap();
      if (r.item) record(out.log, *r.item, !options.decode_performative);
      if (r.error) {
        if (r.item || !reader.failed()) __builtin_trap();
        out.log += 'E';
        put_u64(out.log, static_cast<std::uint64_t>(r.error->code));
        put_u64(out.log, r.error->offset);
        // A failed reader consumes nothing more and repeats its error.
        auto again = reader.read(chunk.subspan(r.consumed));
        if (again.consumed != 0 || again.item || !again.error || !(*again.error == *r.error))
          __builtin_trap();
        out.failed = true;
        out.position = reader.position();
        return out;
      }
      chunk = chunk.subspan(r.consumed);
      if (chunk.empty()) break;
      if (!r.item && r.consumed == 0) __builtin_trap();  // stalled on input it could read
    }
    // Reading nothing is harmless between chunks.
    auto idle = reader.read({});
    if (idle.consumed != 0 || idle.item || idle.error) __builtin_trap();
  }
  out.position = reader.position();
  if (out.position != stream.size()) __builtin_trap();  // everything is consumed or buffered
  return out;
}

std::uint64_t fnv1a(amqp::bytes_view b) {
  std::uint64_t h = 0xcbf29ce484222325u;
  for (std::uint8_t c : b) h = (h ^ c) * 0x100000001b3u;
  return h;
}

void same(const outcome& a, const outcome& b) {
  if (a.log != b.log || a.failed != b.failed) __builtin_trap();
  if (!a.failed && a.position != b.position) __builtin_trap();
}

bool equal_bytes(amqp::bytes_view a, amqp::bytes_view b) {
  return a.size() == b.size() && (a.empty() || std::memcmp(a.data(), b.data(), a.size()) == 0);
}

// The value decoder's errors (errors.hpp lists them first): the only ones a decoding reader
// reports from inside a performative, and the only ones the lazy reader may read past.
bool value_decoder_error(amqp::errc code) {
  return code >= amqp::errc::truncated && code <= amqp::errc::too_many_elements;
}

// Reads the whole stream with a decoding reader and a lazy one side by side, one item each per
// call; both view the frames in place in `input`, so no copies are needed.
void lazy_matches_decoding(const amqp::frame_reader_options& options, amqp::bytes_view input) {
  amqp::frame_reader_options lazy_options = options;
  lazy_options.decode_performative = false;
  amqp::frame_reader decoding(options);
  amqp::frame_reader lazy(lazy_options);
  while (!input.empty()) {
    const auto d = decoding.read(input);
    const auto l = lazy.read(input);
    if (d.error) {
      if (l.error) {
        // Framing errors (headers, frame sizes, doff, frame types, a body that is not a
        // described value, anything in a SASL frame) are the lazy reader's as well.
        if (!(*l.error == *d.error) || l.consumed != d.consumed) __builtin_trap();
        return;
      }
      // The lazy reader went past the error: it must have been the value decoder's, inside the
      // performative of the AMQP frame the lazy reader has just returned.
      if (!l.item || !value_decoder_error(d.error->code)) __builtin_trap();
      const auto* f = std::get_if<amqp::frame_view>(&*l.item);
      if (!f || f->type != amqp::frame_type::amqp || f->payload.empty()) __builtin_trap();
      const std::uint64_t body = f->offset + 8 + f->extended_header.size();
      if (d.error->offset < body || d.error->offset > body + f->payload.size()) __builtin_trap();
      if (l.consumed != d.consumed) __builtin_trap();  // the frame, on either side
      return;
    }
    if (l.error || l.consumed != d.consumed || d.item.has_value() != l.item.has_value())
      __builtin_trap();
    if (!d.item) return;  // the rest of the stream is a partial item for both
    input = input.subspan(d.consumed);
    if (d.item->index() != l.item->index()) __builtin_trap();
    if (const auto* h = std::get_if<amqp::protocol_header>(&*d.item)) {
      if (!(*h == std::get<amqp::protocol_header>(*l.item))) __builtin_trap();
      continue;
    }
    const auto& df = std::get<amqp::frame_view>(*d.item);
    const auto& lf = std::get<amqp::frame_view>(*l.item);
    if (df.type != lf.type || df.channel != lf.channel || df.offset != lf.offset ||
        !equal_bytes(df.extended_header, lf.extended_header) || df.is_empty() != lf.is_empty())
      __builtin_trap();
    const std::uint8_t* start = df.extended_header.data() + df.extended_header.size();
    const amqp::bytes_view performative(start, static_cast<std::size_t>(df.payload.data() - start));
    if (df.type == amqp::frame_type::sasl) {
      // SASL frames are decoded either way: the sasl-outcome ends the SASL layer.
      const std::uint8_t* lstart = lf.extended_header.data() + lf.extended_header.size();
      const amqp::bytes_view lperformative(lstart,
                                           static_cast<std::size_t>(lf.payload.data() - lstart));
      if (lf.performative.is_null() || !equal_bytes(performative, lperformative) ||
          !equal_bytes(df.payload, lf.payload))
        __builtin_trap();
      continue;
    }
    // The whole frame body, performative first: the decoding reader's two views end to end.
    if (!lf.performative.is_null() ||
        lf.payload.size() != performative.size() + df.payload.size() ||
        !equal_bytes(lf.payload.first(performative.size()), performative) ||
        !equal_bytes(lf.payload.subspan(performative.size()), df.payload))
      __builtin_trap();
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // go-amqp connection seeds mark read boundaries with "SPLIT\n": remove them, keep the cuts.
  static constexpr std::string_view marker = "SPLIT\n";
  std::vector<std::uint8_t> stream;
  std::vector<std::size_t> marked;
  stream.reserve(size);
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::size_t from = 0;
  while (from <= size) {
    std::size_t next = text.find(marker, from);
    if (next == std::string_view::npos) next = size;
    stream.insert(stream.end(), data + from, data + next);
    marked.push_back(next - from);
    from = next + marker.size();
  }
  const amqp::bytes_view input(stream.data(), stream.size());

  const std::uint64_t hash = fnv1a(input);
  amqp::frame_reader_options options;
  // Half the inputs run with the smallest limits a peer may set, so limit checks get exercised.
  if (hash & 1) options.max_frame_size = 512;
  else options.max_sasl_frame_size = 4096;

  const outcome whole = feed(options, input, {input.size()});
  lazy_matches_decoding(options, input);

  if (marked.size() > 1) same(whole, feed(options, input, marked));

  std::vector<std::size_t> chunks;
  std::uint64_t state = hash | 1;
  for (std::size_t left = input.size(); left > 0;) {
    state = state * 6364136223846793005u + 1442695040888963407u;
    // Mostly short pieces, now and then a long one, so frames both straddle and fit.
    const std::size_t limit = (state >> 60) == 0 ? 4096 : 24;
    const std::size_t n = std::min<std::size_t>(left, 1 + (state >> 33) % limit);
    chunks.push_back(n);
    left -= n;
  }
  same(whole, feed(options, input, chunks));

  amqp::frame_reader_options lazy = options;
  lazy.decode_performative = false;
  same(feed(lazy, input, {input.size()}), feed(lazy, input, chunks));

  if (input.size() <= 1024) same(whole, feed(options, input, std::vector<std::size_t>(input.size(), 1)));
  return 0;
}
