// The decode -> encode -> decode oracle, driven by seeded pseudo-random values and by mutated
// bytes: whatever decodes must re-encode to a value that decodes equal, and the canonical
// encoding must be a fixed point. Deterministic (fixed seeds), so a failure reproduces.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>
#include <memory>
#include <random>

#include "fixtures.hpp"

namespace amqp {
namespace {

using test::to_hex;

class value_generator {
 public:
  explicit value_generator(std::uint32_t seed) : rng_(seed) {}

  value any(int depth) {
    const int top = depth > 0 ? static_cast<int>(kind::described) : static_cast<int>(kind::symbol);
    return of(static_cast<kind>(pick(0, top)), depth);
  }

  value of(kind k, int depth) {
    switch (k) {
      case kind::null: return {};
      case kind::boolean: return pick(0, 1) == 1;
      case kind::ubyte: return static_cast<std::uint8_t>(bits());
      case kind::ushort: return static_cast<std::uint16_t>(bits());
      case kind::uint: return static_cast<std::uint32_t>(edgy());
      case kind::ulong: return edgy();
      case kind::byte: return static_cast<std::int8_t>(bits());
      case kind::short_: return static_cast<std::int16_t>(bits());
      case kind::int_: return static_cast<std::int32_t>(edgy());
      case kind::long_: return static_cast<std::int64_t>(edgy());
      case kind::float_: return std::bit_cast<float>(static_cast<std::uint32_t>(bits()));
      case kind::double_: return std::bit_cast<double>(bits());
      case kind::decimal32: return decimal32{static_cast<std::uint32_t>(bits())};
      case kind::decimal64: return decimal64{bits()};
      case kind::decimal128: return decimal128{sixteen()};
      case kind::char_: {
        char32_t c;
        do c = static_cast<char32_t>(pick(0, 0x10ffff));
        while (c >= 0xd800 && c <= 0xdfff);
        return c;
      }
      case kind::timestamp: return timestamp{static_cast<std::int64_t>(edgy())};
      case kind::uuid: return uuid{sixteen()};
      case kind::binary: {
        binary b;
        for (std::size_t i = 0, n = length(); i < n; ++i)
          b.bytes.push_back(static_cast<std::uint8_t>(bits()));
        return b;
      }
      case kind::string: return text(false);
      case kind::symbol: return symbol{text(true)};
      case kind::list: {
        list l;
        for (int i = 0, n = pick(0, 6); i < n; ++i) l.push_back(any(depth - 1));
        return l;
      }
      case kind::map: {
        map m;
        for (int i = 0, n = pick(0, 4); i < n; ++i) m.emplace_back(any(0), any(depth - 1));
        return m;
      }
      case kind::array: {
        array a;
        a.element_type = static_cast<kind>(pick(0, static_cast<int>(kind::array)));
        if (a.element_type >= kind::list && depth <= 1) a.element_type = kind::string;
        if (pick(0, 3) == 0) a.descriptor.emplace_back(descriptor());
        for (int i = 0, n = pick(0, 5); i < n; ++i) a.elements.push_back(of(a.element_type, depth - 1));
        return a;
      }
      case kind::described: return described{descriptor(), any(depth - 1)};
    }
    return {};
  }

 private:
  int pick(int lo, int hi) { return std::uniform_int_distribution<int>(lo, hi)(rng_); }
  std::uint64_t bits() { return rng_(); }
  // Mostly values near the encoding switches (0, 255/256, sign edges), sometimes anything.
  std::uint64_t edgy() {
    static constexpr std::uint64_t edges[] = {0,    1,    127,        128,        255,
                                              256,  0xffff, 0x7fffffff, 0x80000000, 0xffffffff,
                                              ~0ull, ~0ull - 127, ~0ull - 128, 1ull << 63};
    if (pick(0, 2) == 0) return bits();
    return edges[pick(0, static_cast<int>(std::size(edges)) - 1)];
  }
  std::array<std::uint8_t, 16> sixteen() {
    std::array<std::uint8_t, 16> a{};
    for (auto& b : a) b = static_cast<std::uint8_t>(bits());
    return a;
  }
  std::size_t length() {
    switch (pick(0, 9)) {
      case 0: return 255;
      case 1: return 256;
      case 2: return static_cast<std::size_t>(pick(250, 300));
      default: return static_cast<std::size_t>(pick(0, 12));
    }
  }
  std::string text(bool ascii) {
    static const char* const pieces[] = {"a", "Z", "0", " ", "\x7f", "\xc3\xa9", "\xe2\x82\xac",
                                         "\xf0\x9f\x98\x80", "\xf4\x8f\xbf\xbf", "\xed\x9f\xbf"};
    std::string s;
    const std::size_t n = length();
    while (s.size() < n) s += pieces[pick(0, ascii ? 4 : 9)];
    return s;
  }
  value descriptor() {
    if (pick(0, 1) == 0) return static_cast<std::uint64_t>(edgy());
    return symbol{text(true)};
  }

  std::mt19937_64 rng_;
};

// Checks the oracle on the bytes `b`: if they decode, the value re-encodes canonically, the
// canonical form decodes equal and is a fixed point, and the owned copy agrees.
void oracle(bytes_view b) {
  std::size_t used = 0;
  auto v = decode_value_prefix(b, used);
  if (!v) {
    EXPECT_LE(v.error().offset, b.size());
    return;
  }
  ASSERT_LE(used, b.size());
  writer w;
  encoder e(w);
  e.value(*v);
  ASSERT_FALSE(e.error()) << e.error().message() << " re-encoding " << to_hex(b.first(used));
  auto again = decode_value(w.view());
  ASSERT_TRUE(again) << again.error().message() << " in " << to_hex(w.view()) << " from "
                     << to_hex(b.first(used));
  EXPECT_TRUE(*again == *v) << to_hex(b.first(used));
  writer w2;
  encoder(w2).value(*again);
  EXPECT_EQ(to_hex(w2.view()), to_hex(w.view()));
  const value owned = value::from_view(*v);
  EXPECT_TRUE(owned == *v);
  EXPECT_EQ(to_hex(encode(owned).view()), to_hex(w.view()));
}

TEST(oracle, random_values_round_trip) {
  value_generator gen(20240611);
  for (int i = 0; i < 3000; ++i) {
    const value v = gen.any(4);
    writer w;
    encoder e(w);
    e.value(v);
    ASSERT_FALSE(e.error()) << e.error().message() << " at " << i;
    auto d = decode_value(w.view());
    ASSERT_TRUE(d) << d.error().message() << " at " << i << ": " << to_hex(w.view());
    ASSERT_TRUE(value::from_view(*d) == v) << i << ": " << to_hex(w.view());
    ASSERT_TRUE(v == *d);
    oracle(w.view());
  }
}

TEST(oracle, mutated_vectors_never_misbehave) {
  // Every golden vector and a few hundred random values, each with single-byte changes at every
  // position and a few random multi-byte changes. The decoder may refuse them; it must never
  // read outside them (checked by AddressSanitizer) and what it accepts obeys the oracle.
  std::vector<std::vector<std::uint8_t>> seeds;
  for (const auto& g : test::golden_cases()) seeds.push_back(g.bytes());
  value_generator gen(7);
  for (int i = 0; i < 300; ++i) {
    const writer w = encode(gen.any(3));
    seeds.emplace_back(w.data(), w.data() + w.size());
  }
  std::mt19937 rng(99);
  static constexpr std::uint8_t interesting[] = {0x00, 0x01, 0x40, 0x45, 0x7f, 0x80,
                                                 0xa1, 0xc0, 0xe0, 0xf0, 0xfe, 0xff};
  for (const auto& seed : seeds) {
    for (std::size_t pos = 0; pos < seed.size() && pos < 64; ++pos) {
      for (std::uint8_t x : interesting) {
        auto m = seed;
        m[pos] = x;
        auto copy = std::make_unique<std::uint8_t[]>(m.size());
        std::memcpy(copy.get(), m.data(), m.size());
        oracle({copy.get(), m.size()});
      }
    }
    for (int k = 0; k < 8; ++k) {
      auto m = seed;
      for (int j = 0; j < 3; ++j) m[rng() % m.size()] = static_cast<std::uint8_t>(rng());
      auto copy = std::make_unique<std::uint8_t[]>(m.size());
      std::memcpy(copy.get(), m.data(), m.size());
      oracle({copy.get(), m.size()});
    }
  }
}

TEST(oracle, public_fuzz_corpora_obey_the_oracle) {
  namespace fs = std::filesystem;
  const fs::path shared = test::shared_dir();
  if (shared.empty()) GTEST_SKIP() << "shared corpus not found";
  std::size_t files = 0;
  for (const char* sub : {"corpus/go-amqp-marshal", "corpus/message-decode"}) {
    const fs::path dir = shared / sub;
    std::error_code ec;
    if (!fs::is_directory(dir, ec)) continue;
    for (const auto& entry : fs::recursive_directory_iterator(dir)) {
      if (!entry.is_regular_file()) continue;
      const auto bytes = test::read_file(entry.path());
      if (bytes.empty()) continue;
      SCOPED_TRACE(entry.path().string());
      ++files;
      // The files hold values back to back (messages are runs of sections).
      std::size_t at = 0;
      while (at < bytes.size()) {
        auto copy = std::make_unique<std::uint8_t[]>(bytes.size() - at);
        std::memcpy(copy.get(), bytes.data() + at, bytes.size() - at);
        const bytes_view rest(copy.get(), bytes.size() - at);
        oracle(rest);
        std::size_t used = 0;
        if (!decode_value_prefix(rest, used)) break;
        at += used;
      }
    }
  }
  if (files == 0) GTEST_SKIP() << "no fuzz corpora under " << shared.string();
}

}  // namespace
}  // namespace amqp
