// The codec's hot paths do not allocate: decoding (valid or not, whatever sizes the input
// claims), walking views, and encoding into a warm writer. Counted by replacing the global
// allocation functions of this test program.
#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <new>

#include "fixtures.hpp"

namespace {
std::atomic<std::size_t> allocations{0};
}  // namespace

// Out of line, so that the compiler does not pair an inlined malloc/free with new/delete.
[[gnu::noinline]] void* operator new(std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void* operator new[](std::size_t n) {
  ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}
[[gnu::noinline]] void operator delete(void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete(void* p, std::size_t) noexcept { std::free(p); }
[[gnu::noinline]] void operator delete[](void* p, std::size_t) noexcept { std::free(p); }

namespace amqp {
namespace {

using test::hex;

// Allocations made while running `f`.
template <class F>
std::size_t allocations_in(F&& f) {
  const std::size_t before = allocations.load();
  f();
  return allocations.load() - before;
}

TEST(alloc, the_counter_counts) {
  // A direct call of the allocation function cannot be optimised away, unlike a new-expression.
  EXPECT_EQ(allocations_in([] { ::operator delete(::operator new(16)); }), 1u);
  // A writer's buffer comes from a new-expression, which an optimiser may elide when the buffer
  // is never used; a writer that is written to and read must allocate.
  std::size_t size = 0;
  EXPECT_EQ(allocations_in([&size] {
              writer w(100);
              w.push_back(1);
              size = w.size() + *static_cast<volatile const std::uint8_t*>(w.data());
            }),
            1u);
  EXPECT_EQ(size, 2u);
}

TEST(alloc, decoding_allocates_nothing) {
  std::vector<std::vector<std::uint8_t>> inputs;
  for (const auto& g : test::golden_cases()) inputs.push_back(g.bytes());
  for (const char* bad : {"b0 ff ff ff ff 00", "f0 ff ff ff ff 00 00 00 01 40",
                          "f0 00 00 00 05 ff ff ff ff 40", "d0 00 00 00 05 ff ff ff ff 40",
                          "f0 00 00 00 05 10 00 00 00 98", "a1 02 c0 80", "c0 03 01 a1 05"})
    inputs.push_back(hex(bad));
  std::size_t ok = 0;
  const std::size_t n = allocations_in([&] {
    for (const auto& b : inputs) {
      std::size_t used = 0;
      auto v = decode_value_prefix(b, used);
      if (!v) continue;
      ++ok;
      // Walk whatever came out.
      switch (v->type()) {
        case kind::list:
          for (value_view e : v->as_list()) (void)e.type();
          break;
        case kind::map:
          (void)v->as_map().find("a");
          break;
        case kind::array:
          for (value_view e : v->as_array()) (void)e.type();
          (void)v->as_array().descriptor();
          break;
        case kind::described:
          (void)v->as_described().is(1, "x");
          break;
        default:
          break;
      }
      (void)(*v == *v);
    }
  });
  EXPECT_EQ(n, 0u);
  EXPECT_EQ(ok, test::golden_cases().size());
}

TEST(alloc, encoding_into_a_warm_writer_allocates_nothing) {
  const std::vector<value> values = {
      value::list_of({1, "two", value::sym("three"), value::map_of({{"k", test::u64(1)}})}),
      test::arr(kind::list, {list{}, value::list_of({std::string(300, 'x')})}),  // redone wide
      test::darr(value::sym("d"), kind::string, {"a", std::string(256, 'b')}),
      test::arr(kind::array, {test::arr(kind::int_, {1, 1000}), test::arr(kind::uuid, {})}),
      value::described_of(test::u64(0x70), value::list_of(std::initializer_list<value>(
                                               {true, test::u8(4), value{}, false, test::u32(0)}))),
  };
  writer w;
  encoder(w).value(values[0]);
  for (const value& v : values) {
    w.clear();
    encoder(w).value(v);  // warms the writer up to this value's size
  }
  for (const value& v : values) {
    w.clear();
    const std::size_t n = allocations_in([&] { encoder(w).value(v); });
    EXPECT_EQ(n, 0u) << test::to_hex(w.view()).substr(0, 30);
  }
  // Re-encoding decoded views likewise.
  const writer src = encode(value(list(values.begin(), values.end())));
  auto d = decode_value(src.view());
  ASSERT_TRUE(d);
  w.clear();
  encoder(w).value(*d);
  w.clear();
  EXPECT_EQ(allocations_in([&] { encoder(w).value(*d); }), 0u);
  EXPECT_EQ(test::to_hex(w.view()), test::to_hex(src.view()));
}

}  // namespace
}  // namespace amqp
