#include "amqp/client/compression.hpp"

#include <zlib.h>
#include <zstd.h>

#include <algorithm>
#include <limits>
#include <mutex>
#include <utility>

#include "support.hpp"

namespace amqp::client {

namespace {

using detail::same_name;

constexpr std::size_t chunk = 64 * 1024;

codec_failure too_large(std::string_view name, std::size_t max_size) {
  return {std::string(name) + ": the body decompresses to more than " + std::to_string(max_size) +
          " bytes, the limit"};
}

// zlib works in uInt-sized steps: longer input is fed in pieces.
result<bytes, codec_failure> deflate_with(std::string_view name, bytes_view in, int window_bits) {
  z_stream z{};
  if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, window_bits, 8, Z_DEFAULT_STRATEGY) !=
      Z_OK)
    return codec_failure{std::string(name) + ": the compressor could not start"};
  bytes out;
  std::size_t used = 0;
  int rc = Z_OK;
  do {
    const std::size_t piece = std::min<std::size_t>(in.size() - used, std::numeric_limits<uInt>::max());
    z.next_in = const_cast<Bytef*>(in.data() + used);  // zlib's API is not const-correct
    z.avail_in = static_cast<uInt>(piece);
    used += piece;
    const int flush = used == in.size() ? Z_FINISH : Z_NO_FLUSH;
    do {
      const std::size_t at = out.size();
      out.resize(at + chunk);
      z.next_out = out.data() + at;
      z.avail_out = static_cast<uInt>(chunk);
      rc = deflate(&z, flush);
      out.resize(at + chunk - z.avail_out);
    } while (z.avail_out == 0 || (flush == Z_FINISH && rc == Z_OK));
  } while (used < in.size());
  deflateEnd(&z);
  if (rc != Z_STREAM_END) return codec_failure{std::string(name) + ": compressing failed"};
  return out;
}

result<bytes, codec_failure> inflate_with(std::string_view name, bytes_view in, int window_bits,
                                          std::size_t max_size) {
  z_stream z{};
  if (inflateInit2(&z, window_bits) != Z_OK)
    return codec_failure{std::string(name) + ": the decompressor could not start"};
  bytes out;
  std::size_t used = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (z.avail_in == 0) {
      if (used == in.size()) break;  // the input ended before the stream did
      const std::size_t piece = std::min<std::size_t>(in.size() - used, std::numeric_limits<uInt>::max());
      z.next_in = const_cast<Bytef*>(in.data() + used);
      z.avail_in = static_cast<uInt>(piece);
      used += piece;
    }
    if (out.size() >= max_size + 1) break;
    const std::size_t room = std::min(chunk, max_size + 1 - out.size());
    const std::size_t at = out.size();
    out.resize(at + room);
    z.next_out = out.data() + at;
    z.avail_out = static_cast<uInt>(room);
    rc = inflate(&z, Z_NO_FLUSH);
    out.resize(at + room - z.avail_out);
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
  }
  const bool trailing = z.avail_in != 0 || used != in.size();
  inflateEnd(&z);
  if (out.size() > max_size) return too_large(name, max_size);
  if (rc != Z_STREAM_END)
    return codec_failure{std::string(name) + ": the body is not a complete " + std::string(name) +
                         " stream" + (z.msg ? std::string(" (") + z.msg + ")" : std::string())};
  if (trailing) return codec_failure{std::string(name) + ": bytes follow the compressed stream"};
  return out;
}

result<bytes, codec_failure> zstd_compress(bytes_view in) {
  bytes out(ZSTD_compressBound(in.size()));
  const std::size_t n = ZSTD_compress(out.data(), out.size(), in.data(), in.size(), 3);
  if (ZSTD_isError(n)) return codec_failure{std::string("zstd: ") + ZSTD_getErrorName(n)};
  out.resize(n);
  return out;
}

// Streamed, so that the frame's own content size (peer-controlled) decides nothing. Frames
// may follow each other (RFC 8878, 3.1): each is decompressed in turn.
result<bytes, codec_failure> zstd_decompress(bytes_view in, std::size_t max_size) {
  if (in.empty()) return codec_failure{"zstd: an empty body is not a zstd frame"};
  std::unique_ptr<ZSTD_DStream, decltype(&ZSTD_freeDStream)> d(ZSTD_createDStream(),
                                                                &ZSTD_freeDStream);
  if (!d) return codec_failure{"zstd: the decompressor could not start"};
  ZSTD_initDStream(d.get());
  bytes out;
  ZSTD_inBuffer src{in.data(), in.size(), 0};
  std::size_t rc = 0;  // 0: at a frame boundary
  while (src.pos < in.size() || rc != 0) {
    if (out.size() > max_size) return too_large("zstd", max_size);
    const std::size_t at = out.size();
    const std::size_t room = std::min(chunk, max_size + 1 - out.size());
    out.resize(at + room);
    ZSTD_outBuffer dst{out.data() + at, room, 0};
    const std::size_t before = src.pos;
    rc = ZSTD_decompressStream(d.get(), &dst, &src);
    out.resize(at + dst.pos);
    if (ZSTD_isError(rc)) return codec_failure{std::string("zstd: ") + ZSTD_getErrorName(rc)};
    if (rc != 0 && src.pos == before && dst.pos == 0)
      return codec_failure{"zstd: the body is not a complete zstd frame"};
  }
  if (out.size() > max_size) return too_large("zstd", max_size);
  return out;
}

std::vector<compressor> builtins() {
  std::vector<compressor> all;
  all.push_back({.name = "zlib",
                 .content_encoding = "deflate",
                 .aliases = {"deflate"},
                 .compress = [](bytes_view in) { return deflate_with("zlib", in, 15); },
                 .decompress = [](bytes_view in, std::size_t max) {
                   return inflate_with("zlib", in, 15, max);
                 }});
  all.push_back({.name = "gzip",
                 .content_encoding = "gzip",
                 .aliases = {"x-gzip"},
                 .compress = [](bytes_view in) { return deflate_with("gzip", in, 15 + 16); },
                 .decompress = [](bytes_view in, std::size_t max) {
                   return inflate_with("gzip", in, 15 + 16, max);
                 }});
  all.push_back({.name = "zstd",
                 .content_encoding = "zstd",
                 .aliases = {},
                 .compress = zstd_compress,
                 .decompress = zstd_decompress});
  return all;
}

bool named(const compressor& c, std::string_view name) {
  if (same_name(c.name, name) || same_name(c.content_encoding, name)) return true;
  return std::any_of(c.aliases.begin(), c.aliases.end(),
                     [&](const std::string& a) { return same_name(a, name); });
}

}  // namespace

compression_registry::compression_registry(bool with_builtins) {
  if (!with_builtins) return;
  for (compressor& c : builtins()) all_.push_back(std::make_shared<const compressor>(std::move(c)));
}

void compression_registry::add(compressor c) {
  auto added = std::make_shared<const compressor>(std::move(c));
  std::unique_lock lock(mutex_);
  std::erase_if(all_, [&](const auto& e) { return same_name(e->name, added->name); });
  all_.push_back(std::move(added));
}

std::shared_ptr<const compressor> compression_registry::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  // The most recently added wins where names overlap.
  for (auto it = all_.rbegin(); it != all_.rend(); ++it)
    if (named(**it, name)) return *it;
  return nullptr;
}

std::vector<std::string> compression_registry::names() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  for (const auto& c : all_) out.push_back(c->name);
  return out;
}

result<compressed, codec_failure> compression_registry::compress(bytes_view body,
                                                                 std::string_view name) const {
  const auto c = find(name);
  if (!c) return codec_failure{"no compression named '" + std::string(name) + "'"};
  auto out = c->compress(body);
  if (!out) return out.error();
  return compressed{std::move(*out), c->content_encoding};
}

result<bytes, codec_failure> compression_registry::decompress(bytes_view body,
                                                              std::string_view content_encoding,
                                                              std::size_t max_size) const {
  const auto c = find(content_encoding);
  if (!c)
    return codec_failure{"no compression reads content-encoding '" + std::string(content_encoding) +
                         "'"};
  return c->decompress(body, max_size);
}

compression_registry& compressions() {
  static compression_registry registry;
  return registry;
}

}  // namespace amqp::client
