// Decoding a message and encoding one into a warm writer allocate nothing: every global
// allocation of this test program is counted while a scope is active.
#include <gtest/gtest.h>

#include <cstdlib>
#include <new>

#include "amqp/message.hpp"
#include "message/fixtures.hpp"

namespace {

// Plain globals, not atomics: the tests are single-threaded and operator new must not recurse.
bool counting = false;
std::size_t allocations = 0;

void* allocate(std::size_t n) {
  if (counting) ++allocations;
  if (void* p = std::malloc(n ? n : 1)) return p;
  throw std::bad_alloc();
}

void* allocate_aligned(std::size_t n, std::align_val_t align) {
  if (counting) ++allocations;
  const std::size_t a = static_cast<std::size_t>(align);
  if (void* p = std::aligned_alloc(a, (n + a - 1) / a * a)) return p;
  throw std::bad_alloc();
}

// Counts the allocations made while it lives.
class allocation_counter {
 public:
  allocation_counter() {
    allocations = 0;
    counting = true;
  }
  ~allocation_counter() { counting = false; }
  std::size_t count() const { return allocations; }
};

}  // namespace

void* operator new(std::size_t n) { return allocate(n); }
void* operator new[](std::size_t n) { return allocate(n); }
void* operator new(std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void* operator new[](std::size_t n, std::align_val_t a) { return allocate_aligned(n, a); }
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }

namespace amqp {
namespace {

TEST(message_allocation, the_counter_sees_allocations) {
  allocation_counter c;
  auto* p = new int(1);
  delete p;
  EXPECT_EQ(c.count(), 1u);
}

TEST(message_allocation, decode_allocates_nothing) {
  const auto bytes = test::typical_bytes();
  std::size_t n = 0;
  bool ok = false;
  {
    allocation_counter c;
    auto m = decode_message(bytes);
    ok = m && m->properties && m->data().size() == 5;
    n = c.count();
  }
  EXPECT_TRUE(ok);
  EXPECT_EQ(n, 0u);
}

TEST(message_allocation, encode_into_a_warm_writer_allocates_nothing) {
  const message typical = test::typical_message();
  message full = test::full_message();
  full.body_type = body_kind::data;
  full.body = {test::bin_of("one"), test::bin_of("two")};
  writer w;
  ASSERT_FALSE(encode_message(w, typical));
  ASSERT_FALSE(encode_message(w, full));
  const std::size_t warm = w.size();
  w.clear();

  std::size_t n = 0;
  {
    allocation_counter c;
    const bool ok = !encode_message(w, typical) && !encode_message(w, full);
    n = c.count();
    EXPECT_TRUE(ok);
  }
  EXPECT_EQ(w.size(), warm);
  EXPECT_EQ(n, 0u);
}

TEST(message_allocation, re_encoding_a_view_into_a_warm_writer_allocates_nothing) {
  const auto bytes = test::typical_bytes();
  auto v = decode_message(bytes);
  ASSERT_TRUE(v);
  writer w;
  ASSERT_FALSE(encode_message(w, *v));
  w.clear();
  std::size_t n = 0;
  {
    allocation_counter c;
    const bool ok = !encode_message(w, *v);
    n = c.count();
    EXPECT_TRUE(ok);
  }
  EXPECT_EQ(n, 0u);
}

}  // namespace
}  // namespace amqp
