// Base64 (RFC 4648): the RFC's test vectors, round trips of every length, and strict decoding.
#include <gtest/gtest.h>

#include <array>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

#include "util/base64.hpp"

namespace amqp::detail {
namespace {

std::vector<std::uint8_t> bytes(std::string_view s) {
  return {s.begin(), s.end()};
}

TEST(base64, Rfc4648Vectors) {
  // RFC 4648 section 10.
  const std::pair<std::string, std::string> vectors[] = {
      {"", ""},
      {"f", "Zg=="},
      {"fo", "Zm8="},
      {"foo", "Zm9v"},
      {"foob", "Zm9vYg=="},
      {"fooba", "Zm9vYmE="},
      {"foobar", "Zm9vYmFy"},
  };
  for (const auto& [plain, encoded] : vectors) {
    EXPECT_EQ(base64_encode(bytes(plain)), encoded);
    EXPECT_EQ(base64_encoded_size(plain.size()), encoded.size());
    auto d = base64_decode(encoded);
    ASSERT_TRUE(d) << encoded;
    EXPECT_EQ(*d, bytes(plain));
  }
}

TEST(base64, EveryByteAndLengthRoundTrips) {
  std::mt19937 rng(7);
  for (std::size_t n = 0; n <= 100; ++n) {
    std::vector<std::uint8_t> in(n);
    for (auto& b : in) b = static_cast<std::uint8_t>(rng());
    const std::string e = base64_encode(in);
    EXPECT_EQ(e.size(), base64_encoded_size(n));
    auto d = base64_decode(e);
    ASSERT_TRUE(d) << e;
    EXPECT_EQ(*d, in);
  }
  std::vector<std::uint8_t> all(256);
  for (std::size_t i = 0; i < all.size(); ++i) all[i] = static_cast<std::uint8_t>(i);
  const std::string e = base64_encode(all);
  EXPECT_EQ(e.substr(0, 8), "AAECAwQF");
  EXPECT_NE(e.find("+/"), std::string::npos);  // the standard alphabet, not the URL-safe one
  EXPECT_EQ(base64_decode(e).has_value(), true);
  EXPECT_EQ(*base64_decode(e), all);
}

TEST(base64, AppendKeepsWhatIsThere) {
  std::string out = "s=";
  base64_encode_append(bytes("foo"), out);
  EXPECT_EQ(out, "s=Zm9v");
}

TEST(base64, StrictDecoding) {
  const std::pair<std::string, base64_error> bad[] = {
      {"Zg=", base64_error::bad_length},
      {"Zg", base64_error::bad_length},
      {"Zm9vY", base64_error::bad_length},
      {"Zm9v\n", base64_error::bad_length},
      {"Zm9*", base64_error::bad_character},
      {"Zm 9", base64_error::bad_character},
      {"Zm9-", base64_error::bad_character},  // URL-safe alphabet
      {"Zm9_", base64_error::bad_character},
      {"Zm\xC3\xA9", base64_error::bad_character},
      {std::string("Zm9\0", 4), base64_error::bad_character},
      {"Zg==Zm9v", base64_error::bad_character},  // padding in the middle
      {"Z=9v", base64_error::bad_character},
      {"Z===", base64_error::bad_padding},
      {"====", base64_error::bad_padding},
      {"Zh==", base64_error::bad_padding},  // unused bits set: "Zg==" is the one spelling
      {"Zm9=", base64_error::bad_padding},  // likewise "Zm8="
  };
  for (const auto& [text, error] : bad) {
    auto d = base64_decode(text);
    ASSERT_FALSE(d) << text;
    EXPECT_EQ(d.error(), error) << text;
    EXPECT_FALSE(describe(d.error()).empty());
  }
  EXPECT_TRUE(base64_decode("Zg=="));
  EXPECT_TRUE(base64_decode("Zm8="));
}

TEST(base64, DecodeIntoABuffer) {
  std::array<std::uint8_t, 6> buf{};
  auto n = base64_decode("Zm9vYmFy", buf);
  ASSERT_TRUE(n);
  EXPECT_EQ(*n, 6u);
  EXPECT_EQ(std::string(buf.begin(), buf.end()), "foobar");
  auto small = base64_decode("Zm9vYmFy", std::span<std::uint8_t>(buf.data(), 5));
  ASSERT_FALSE(small);
  EXPECT_EQ(small.error(), base64_error::too_long);
  auto padded = base64_decode("Zm9vYg==", std::span<std::uint8_t>(buf.data(), 4));
  ASSERT_TRUE(padded);  // padding does not count against the buffer
  EXPECT_EQ(*padded, 4u);
  auto empty = base64_decode("", std::span<std::uint8_t>());
  ASSERT_TRUE(empty);
  EXPECT_EQ(*empty, 0u);
}

}  // namespace
}  // namespace amqp::detail
