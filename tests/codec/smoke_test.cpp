#include <gtest/gtest.h>

#include "amqp/value.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

TEST(codec_smoke, list_round_trip) {
  writer w;
  encoder e(w);
  auto m = e.begin_list();
  e.string("hello");
  e.uint(42);
  e.end_list(m);
  EXPECT_EQ(test::to_hex(w.view()), "c0 0a 02 a1 05 68 65 6c 6c 6f 52 2a");
  auto v = decode_value(w.view());
  ASSERT_TRUE(v);
  ASSERT_EQ(v->type(), kind::list);
  auto it = v->as_list().begin();
  EXPECT_EQ((*it).as_string(), "hello");
  ++it;
  EXPECT_EQ((*it).as_uint(), 42u);
}

}  // namespace
}  // namespace amqp
