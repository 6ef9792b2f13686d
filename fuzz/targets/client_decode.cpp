// Fuzz target: what a consumer does with a body a peer sent (amqp::client): decompress it by a
// content-encoding, then deserialize it by a content-type, through the built-in registries.
//
// Input: one byte choosing the content-encoding (none, deflate, gzip, zstd, an unknown one),
// one choosing the content-type (none, application/json, text/plain, application/data, an
// unknown one), one choosing the limit (0, 1 KiB, 64 KiB, 1 MiB), then the body.
//
// Oracles (a mismatch traps):
// - decompression gives at most the limit, or fails with a message naming the codec (or the
//   unknown encoding); it never throws;
// - deserialization never throws; text comes back as valid UTF-8, JSON dumps and parses back
//   equal, raw gives the bytes it was given;
// - what did decompress, compressed again with the same codec, decompresses to the same bytes.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <string>
#include <string_view>

#include "amqp/client/compression.hpp"
#include "amqp/client/serialization.hpp"
#include "amqp/codec/decoder.hpp"

namespace {

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "client_decode invariant broken: %s\n", what);
  __builtin_trap();
}

void expect(bool ok, const char* what) {
  if (!ok) broken(what);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  using namespace amqp::client;
  if (size < 3) return 0;
  static const char* const encodings[] = {"", "deflate", "gzip", "zstd", "br"};
  static const char* const types[] = {"", "application/json", "text/plain", "application/data",
                                      "application/x-unknown"};
  static const std::size_t limits[] = {0, 1024, 64 * 1024, 1024 * 1024};
  const std::string_view encoding = encodings[data[0] % 5];
  const std::string_view type = types[data[1] % 5];
  const std::size_t limit = limits[data[2] % 4];
  const amqp::bytes_view body(data + 3, size - 3);

  bytes plain(body.begin(), body.end());
  if (!encoding.empty()) {
    auto d = compressions().decompress(body, encoding, limit);
    if (!d) {
      expect(!d.error().what.empty(), "a decompression failure without a message");
      return 0;
    }
    expect(d->size() <= limit, "decompressed past the limit");
    auto again = compressions().compress(*d, encoding);
    expect(again.has_value(), "what decompressed does not compress again");
    auto back = compressions().decompress(again->body, encoding, d->size());
    expect(back && *back == *d, "a round trip through the codec changed the bytes");
    plain = std::move(*d);
  }
  auto p = serializers().loads(serialized(plain), type);
  if (!p) {
    expect(!p.error().what.empty(), "a deserialization failure without a message");
    return 0;
  }
  if (const auto* text = std::get_if<std::string>(&*p))
    expect(amqp::utf8_error_offset(*text) == text->size(), "text that is not UTF-8");
  if (const auto* j = std::get_if<nlohmann::json>(&*p)) {
    const std::string dumped = j->dump();
    expect(nlohmann::json::parse(dumped, nullptr, false) == *j, "JSON does not read back equal");
  }
  if (const auto* raw = std::get_if<bytes>(&*p)) expect(*raw == plain, "raw bytes changed");
  return 0;
}
