// The streaming encoder API: compounds written once and back-patched, element counting,
// rewinding (how composites drop trailing nulls), pre-encoded values, and the writer under it.
#include <gtest/gtest.h>

#include "fixtures.hpp"

namespace amqp {
namespace {

using test::to_hex;

TEST(encoder, nested_compounds_back_patch_their_headers) {
  writer w;
  encoder e(w);
  auto outer = e.begin_list();
  auto inner = e.begin_map();
  e.symbol("k");
  auto empty = e.begin_list();
  e.end_list(empty);  // an empty list collapses to list0
  EXPECT_EQ(e.count(), 2u);
  e.end_map(inner);
  auto empty_map = e.begin_map();
  e.end_map(empty_map);  // maps have no zero-width form
  EXPECT_EQ(e.count(), 2u);
  e.end_list(outer);
  EXPECT_EQ(e.count(), 1u);
  EXPECT_EQ(to_hex(w.view()), "c0 0b 02 c1 05 02 a3 01 6b 45 c1 01 00");
  EXPECT_TRUE(decode_value(w.view()));
}

TEST(encoder, an_inner_list_growing_to_list32_moves_correctly) {
  writer w;
  encoder e(w);
  auto outer = e.begin_list();
  e.uint(1);
  auto inner = e.begin_list();
  for (int i = 0; i < 300; ++i) e.null();
  e.end_list(inner);
  e.string("after");
  e.end_list(outer);
  auto v = decode_value(w.view());
  ASSERT_TRUE(v) << v.error().message();
  EXPECT_EQ(to_hex(bytes_view(w.view()).first(17)),
            "d0 00 00 01 42 00 00 00 03 52 01 d0 00 00 01 30 00");
  auto it = v->as_list().begin();
  EXPECT_EQ((*it).as_uint(), 1u);
  ++it;
  EXPECT_EQ((*it).count(), 300u);
  ++it;
  EXPECT_EQ((*it).as_string(), "after");
}

TEST(encoder, nulls_are_written_and_counted_at_once) {
  // How a composite writes the unset fields between set ones.
  writer w;
  encoder e(w);
  e.descriptor(0x13);
  auto l = e.begin_list();
  e.boolean(true);
  e.nulls(3);
  e.uint(7);
  e.end_list(l);
  EXPECT_EQ(to_hex(w.view()), "00 53 13 c0 07 05 41 40 40 40 52 07");
  writer w2;
  encoder e2(w2);
  e2.nulls(0);
  EXPECT_EQ(e2.count(), 0u);
  EXPECT_TRUE(w2.empty());
}

TEST(encoder, encoded_values_are_copied_and_counted) {
  writer w;
  encoder e(w);
  auto l = e.begin_list();
  const auto pre = test::hex("a1 02 68 69");
  e.encoded(pre);
  e.encoded(pre);
  e.end_list(l);
  EXPECT_EQ(to_hex(w.view()), "c0 09 02 a1 02 68 69 a1 02 68 69");
}

TEST(encoder, a_view_reencodes_inside_an_open_compound) {
  const auto src = test::hex("d0 00 00 00 07 00 00 00 02 41 52 07");
  auto v = decode_value(src);
  ASSERT_TRUE(v);
  writer w;
  encoder e(w);
  auto m = e.begin_map();
  e.symbol("v");
  e.value(*v);
  e.end_map(m);
  EXPECT_EQ(to_hex(w.view()), "c1 0a 02 a3 01 76 c0 04 02 41 52 07");
}

TEST(encoder, writer_keeps_capacity_and_edits_in_place) {
  writer w;
  EXPECT_TRUE(w.empty());
  const std::uint8_t abc[] = {1, 2, 3};
  w.append(abc);
  w.push_back(4);
  EXPECT_EQ(to_hex(w.view()), "01 02 03 04");
  std::uint8_t* gap = w.insert_gap(1, 2);
  gap[0] = 0xaa;
  gap[1] = 0xbb;
  EXPECT_EQ(to_hex(w.view()), "01 aa bb 02 03 04");
  w.erase(0, 3);
  EXPECT_EQ(to_hex(w.view()), "02 03 04");
  w.truncate(1);
  EXPECT_EQ(to_hex(w.view()), "02");
  const writer copy = w;
  EXPECT_EQ(to_hex(copy.view()), "02");
  writer assigned;
  assigned = w;
  EXPECT_EQ(to_hex(assigned.view()), "02");
  const std::size_t cap = w.capacity();
  w.clear();
  EXPECT_EQ(w.size(), 0u);
  EXPECT_EQ(w.capacity(), cap);
  // Growing past the first block keeps the contents.
  for (int i = 0; i < 1000; ++i) w.push_back(static_cast<std::uint8_t>(i));
  EXPECT_EQ(w.size(), 1000u);
  EXPECT_EQ(w.data()[999], static_cast<std::uint8_t>(999));
  writer empty;
  const writer empty_copy = empty;
  EXPECT_TRUE(empty_copy.empty());
}

TEST(encoder, writer_moves_leave_the_source_empty) {
  writer w;
  const std::uint8_t abc[] = {1, 2, 3};
  w.append(abc);
  writer moved(std::move(w));
  EXPECT_EQ(to_hex(moved.view()), "01 02 03");
  EXPECT_TRUE(w.empty());  // NOLINT(bugprone-use-after-move): the documented moved-from state
  EXPECT_EQ(w.capacity(), 0u);
  w.push_back(9);  // and still usable
  EXPECT_EQ(to_hex(w.view()), "09");
  writer assigned;
  assigned = std::move(moved);
  EXPECT_EQ(to_hex(assigned.view()), "01 02 03");
  EXPECT_TRUE(moved.empty());  // NOLINT(bugprone-use-after-move)
}

TEST(encoder, writer_fill_writes_exactly_n_bytes_at_any_capacity) {
  // Short runs take the word-store path when 16 bytes are free, memset otherwise; both must
  // write n bytes and leave what follows alone.
  for (std::size_t lead : {0u, 50u, 60u, 63u, 64u}) {
    for (std::size_t n : {0u, 1u, 7u, 8u, 13u, 16u, 17u, 100u}) {
      writer w;
      for (std::size_t i = 0; i < lead; ++i) w.push_back(0xee);
      w.fill(n, 0x40);
      ASSERT_EQ(w.size(), lead + n) << lead << " " << n;
      for (std::size_t i = 0; i < n; ++i) ASSERT_EQ(w.data()[lead + i], 0x40) << i;
      w.push_back(0x01);
      EXPECT_EQ(w.data()[lead + n], 0x01);
    }
  }
}

}  // namespace
}  // namespace amqp
