// Split points: a value cut anywhere is reported as incomplete (truncated or size_exceeds_input,
// the two errors that more input can cure), never accepted and never read past the cut; a value
// followed by more bytes reports exactly its own size.
#include <gtest/gtest.h>

#include <cstring>
#include <memory>

#include "fixtures.hpp"

namespace amqp {
namespace {

using test::golden_cases;
using test::hex;

// A heap copy of exactly `n` bytes, so that AddressSanitizer catches any read past the cut.
std::unique_ptr<std::uint8_t[]> exact_copy(const std::vector<std::uint8_t>& b, std::size_t n) {
  auto p = std::make_unique<std::uint8_t[]>(n ? n : 1);
  if (n) std::memcpy(p.get(), b.data(), n);
  return p;
}

bool is_incomplete(errc e) { return e == errc::truncated || e == errc::size_exceeds_input; }

TEST(split, every_proper_prefix_is_incomplete) {
  for (const auto& g : golden_cases()) {
    SCOPED_TRACE(g.name);
    const auto b = g.bytes();
    for (std::size_t n = 0; n < b.size(); ++n) {
      auto copy = exact_copy(b, n);
      std::size_t used = 12345;
      auto v = decode_value_prefix({copy.get(), n}, used);
      ASSERT_FALSE(v) << "prefix of " << n << " bytes accepted";
      EXPECT_TRUE(is_incomplete(v.error().code)) << n << ": " << v.error().message();
      EXPECT_LE(v.error().offset, n);
      EXPECT_EQ(used, 12345u) << "consumed written on failure";
      auto w = decode_value({copy.get(), n});
      ASSERT_FALSE(w);
      EXPECT_EQ(w.error(), v.error());
    }
  }
}

TEST(split, prefix_decode_reports_the_value_size_before_trailing_bytes) {
  const auto tails = {hex("40"), hex("a1 05 68"), hex("00"), hex("ff ff ff")};
  for (const auto& g : golden_cases()) {
    SCOPED_TRACE(g.name);
    const auto b = g.bytes();
    for (const auto& tail : tails) {
      auto input = b;
      input.insert(input.end(), tail.begin(), tail.end());
      std::size_t used = 0;
      auto v = decode_value_prefix(input, used);
      ASSERT_TRUE(v) << v.error().message();
      EXPECT_EQ(used, b.size());
      EXPECT_TRUE(value::from_view(*v) == g.expected);
      auto whole = decode_value(input);
      ASSERT_FALSE(whole);
      EXPECT_EQ(whole.error(), (decode_error{errc::trailing_bytes, b.size()}));
    }
  }
}

TEST(split, a_run_of_values_decodes_at_every_boundary) {
  // All golden vectors back to back: walking with decode_value_prefix finds each one, and
  // cutting the run anywhere inside a value yields an incomplete value, not a wrong one.
  std::vector<std::uint8_t> run;
  std::vector<std::size_t> starts;
  for (const auto& g : golden_cases()) {
    starts.push_back(run.size());
    const auto b = g.bytes();
    run.insert(run.end(), b.begin(), b.end());
  }
  starts.push_back(run.size());
  std::size_t at = 0;
  for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
    ASSERT_EQ(at, starts[i]);
    std::size_t used = 0;
    auto v = decode_value_prefix(bytes_view(run).subspan(at), used);
    ASSERT_TRUE(v) << golden_cases()[i].name;
    EXPECT_TRUE(value::from_view(*v) == golden_cases()[i].expected) << golden_cases()[i].name;
    at += used;
  }
  EXPECT_EQ(at, run.size());
  for (std::size_t i = 0; i + 1 < starts.size(); ++i) {
    for (std::size_t cut = starts[i] + 1; cut < starts[i + 1]; ++cut) {
      auto copy = exact_copy(run, cut);
      std::size_t used = 0;
      auto v = decode_value_prefix({copy.get() + starts[i], cut - starts[i]}, used);
      ASSERT_FALSE(v) << golden_cases()[i].name << " cut at " << cut;
      EXPECT_TRUE(is_incomplete(v.error().code));
    }
  }
}

TEST(split, offsets_are_relative_to_the_input_start) {
  const auto b = hex("c0 05 01 a1 03 68 69");  // list whose string runs past the input
  auto v = decode_value(bytes_view(b).first(5));
  ASSERT_FALSE(v);
  EXPECT_EQ(v.error(), (decode_error{errc::size_exceeds_input, 1}));
  const auto s = hex("a1 03 68 69");
  auto w = decode_value(s);
  EXPECT_EQ(w.error(), (decode_error{errc::size_exceeds_input, 1}));
  auto t = decode_value(bytes_view(s).first(1));
  EXPECT_EQ(t.error(), (decode_error{errc::truncated, 1}));
  auto e = decode_value(bytes_view{});
  EXPECT_EQ(e.error(), (decode_error{errc::truncated, 0}));
}

}  // namespace
}  // namespace amqp
