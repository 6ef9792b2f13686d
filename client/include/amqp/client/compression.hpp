// Compression of data bodies, named by the message's content-encoding (Part 3, 3.2.4: what was
// applied on top of the content-type, as in HTTP): chosen by name when publishing, by
// content-encoding when consuming (as kombu's compression registry does, with its names).
//
//   auto& reg = amqp::client::compressions();
//   auto z = reg.compress(text_bytes, "gzip");          // {bytes, "gzip"}
//   auto back = reg.decompress(z->body, "gzip", 16 << 20);
//
// Built in: "zlib" (content-encoding "deflate", the zlib format of RFC 1950, as HTTP's deflate
// is; alias "deflate"), "gzip" (RFC 1952; alias "x-gzip") and "zstd" (RFC 8878). kombu's bzip2,
// lzma and brotli are not built in; add() takes any codec.
//
// Decompressing is bounded: what a peer sent cannot expand past `max_size` (a consumer's
// limit), and the failure says so rather than allocating it.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <shared_mutex>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/client/serialization.hpp"
#include "amqp/codec/types.hpp"

namespace amqp::client {

struct compressor {
  std::string name;              // "zlib": what publish(compression=...) names
  std::string content_encoding;  // "deflate": what the message carries
  std::vector<std::string> aliases;
  std::function<result<bytes, codec_failure>(bytes_view)> compress;
  // Fails, naming the limit, when the result would pass `max_size` bytes.
  std::function<result<bytes, codec_failure>(bytes_view, std::size_t max_size)> decompress;
};

struct compressed {
  bytes body;
  std::string content_encoding;
};

class compression_registry {
 public:
  explicit compression_registry(bool builtins = true);

  // Adds `c`, replacing one with the same name.
  void add(compressor c);
  // By name, alias or content-encoding (case-insensitive); null when unknown.
  std::shared_ptr<const compressor> find(std::string_view name) const;
  std::vector<std::string> names() const;

  result<compressed, codec_failure> compress(bytes_view body, std::string_view name) const;
  // The failure names an unknown content-encoding, a corrupt body or the limit passed.
  result<bytes, codec_failure> decompress(bytes_view body, std::string_view content_encoding,
                                          std::size_t max_size) const;

 private:
  mutable std::shared_mutex mutex_;
  std::vector<std::shared_ptr<const compressor>> all_;
};

// The process-wide registry producers and consumers use unless given their own.
compression_registry& compressions();

}  // namespace amqp::client
