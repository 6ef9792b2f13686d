// Qpid Proton's interop type vectors (shared/corpus/type-vectors/proton-interop): each file is a
// run of encoded values; all of them decode, and re-encoding each one decodes back equal.
#include <gtest/gtest.h>

#include <filesystem>
#include <map>

#include "fixtures.hpp"

namespace amqp {
namespace {

namespace fs = std::filesystem;
using test::to_hex;

fs::path corpus_dir() {
  const fs::path shared = test::shared_dir();
  if (shared.empty()) return {};
  const fs::path dir = shared / "corpus" / "type-vectors" / "proton-interop";
  std::error_code ec;
  return fs::is_directory(dir, ec) ? dir : fs::path{};
}

// Decodes the whole file as a run of values; fails the test on any error.
std::vector<value> decode_run(const std::vector<std::uint8_t>& bytes) {
  std::vector<value> out;
  std::size_t at = 0;
  while (at < bytes.size()) {
    std::size_t used = 0;
    auto v = decode_value_prefix(bytes_view(bytes).subspan(at), used);
    if (!v) {
      ADD_FAILURE() << "at " << at << ": " << v.error().message();
      break;
    }
    EXPECT_GT(used, 0u);
    // decode -> encode -> decode gives the same value.
    writer w;
    encoder e(w);
    e.value(*v);
    EXPECT_FALSE(e.error()) << e.error().message();
    auto again = decode_value(w.view());
    EXPECT_TRUE(again) << (again ? "" : again.error().message());
    if (again) {
      EXPECT_TRUE(*again == *v) << to_hex(w.view());
      // The canonical form is a fixed point.
      writer w2;
      encoder(w2).value(*again);
      EXPECT_EQ(to_hex(w2.view()), to_hex(w.view()));
    }
    out.push_back(value::from_view(*v));
    EXPECT_TRUE(out.back() == *v);
    at += used;
  }
  return out;
}

TEST(corpus, proton_interop_vectors_decode_and_reencode) {
  const fs::path dir = corpus_dir();
  if (dir.empty()) GTEST_SKIP() << "shared corpus (type-vectors/proton-interop) not found";
  // Value counts per file, from the corpus README.
  const std::map<std::string, std::size_t> expected_counts = {
      {"null.amqp", 1},     {"primitives.amqp", 11}, {"strings.amqp", 6},
      {"described.amqp", 2}, {"described_array.amqp", 1}, {"arrays.amqp", 3},
      {"lists.amqp", 2},    {"maps.amqp", 3},       {"message.amqp", 3},
  };
  std::size_t files = 0;
  for (const auto& entry : fs::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string name = entry.path().filename().string();
    SCOPED_TRACE(name);
    ++files;
    const auto values = decode_run(test::read_file(entry.path()));
    auto it = expected_counts.find(name);
    ASSERT_NE(it, expected_counts.end()) << "a file the corpus README does not list";
    EXPECT_EQ(values.size(), it->second);
  }
  EXPECT_GE(files, expected_counts.size());
}

TEST(corpus, proton_interop_values_are_the_documented_ones) {
  const fs::path dir = corpus_dir();
  if (dir.empty()) GTEST_SKIP() << "shared corpus (type-vectors/proton-interop) not found";
  const auto load = [&](const char* name) { return decode_run(test::read_file(dir / name)); };

  const auto prim = load("primitives.amqp");
  ASSERT_EQ(prim.size(), 11u);
  const value want_prim[] = {true,          false,           test::u8(42),      test::u16(42),
                             test::i16(-42), test::u32(12345), test::i32(-12345), test::u64(12345),
                             test::i64(-12345), 0.125f,        0.125};
  for (std::size_t i = 0; i < 11; ++i) EXPECT_TRUE(prim[i] == want_prim[i]) << i;

  const auto str = load("strings.amqp");
  ASSERT_EQ(str.size(), 6u);
  EXPECT_TRUE(str[0] == test::bin("61 62 63 00 64 65 66 67"));
  EXPECT_TRUE(str[1] == value("abcdefg"));
  EXPECT_TRUE(str[2] == value::sym("abcdefg"));
  EXPECT_TRUE(str[3] == test::bin(""));
  EXPECT_TRUE(str[4] == value(""));
  EXPECT_TRUE(str[5] == value::sym(""));

  const auto desc = load("described.amqp");
  ASSERT_EQ(desc.size(), 2u);
  EXPECT_TRUE(desc[0] == value::described_of(value::sym("foo-descriptor"), "foo-value"));
  EXPECT_TRUE(desc[1] == value::described_of(12, 13));

  std::vector<value> ints;
  for (int i = 0; i < 10; ++i) ints.push_back(i);
  const auto darr = load("described_array.amqp");
  ASSERT_EQ(darr.size(), 1u);
  EXPECT_TRUE(darr[0] == test::darr(value::sym("int-array"), kind::int_, ints));

  for (int i = 10; i < 100; ++i) ints.push_back(i);
  const auto arrays = load("arrays.amqp");
  ASSERT_EQ(arrays.size(), 3u);
  EXPECT_TRUE(arrays[0] == test::arr(kind::int_, ints));
  EXPECT_TRUE(arrays[1] == test::arr(kind::string, {"a", "b", "c"}));
  EXPECT_TRUE(arrays[2] == test::arr(kind::int_, {}));

  const auto lists = load("lists.amqp");
  ASSERT_EQ(lists.size(), 2u);
  EXPECT_TRUE(lists[0] == value::list_of({32, "foo", true}));
  EXPECT_TRUE(lists[1] == list{});

  const auto maps = load("maps.amqp");
  ASSERT_EQ(maps.size(), 3u);
  EXPECT_TRUE(maps[0] == value::map_of({{"three", 3}, {"two", 2}, {"one", 1}}));
  EXPECT_TRUE(maps[1] == value::map_of({{1, "one"}, {2, "two"}, {3, "three"}}));
  EXPECT_TRUE(maps[2] == map{});

  const auto msg = load("message.amqp");
  ASSERT_EQ(msg.size(), 3u);
  EXPECT_TRUE(msg[0] == value::described_of(
                            test::u64(0x70),
                            value::list_of({false, test::u8(4), value{}, false, test::u32(0)})));
  const auto* body = msg[2].get_if<described>();
  ASSERT_NE(body, nullptr);
  EXPECT_TRUE(*body->descriptor == test::u64(0x77));
  EXPECT_TRUE(*body->inner == test::bin("a1 05 68 65 6c 6c 6f"));
}

}  // namespace
}  // namespace amqp
