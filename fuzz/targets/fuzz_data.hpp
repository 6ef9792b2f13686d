// Structured choices drawn from a fuzz input, with the consumption rules of libFuzzer's
// FuzzedDataProvider: integers and flags are taken from the end of the input, byte strings
// from the front, and an exhausted input yields the smallest choice (so a run always ends):
// targets list the common choice first.
//
// A copy of the idea rather than clang's header: the replay executables are built by g++ in
// builds that have no clang installed, and an input must decode to the same choices there as
// in the fuzzer, or a saved regression would replay as a different run.
//
//   fuzz_data in(data, size);
//   const int op = in.range<int>(0, 9);
//   if (in.flag()) ...;
//   std::vector<std::uint8_t> b = in.bytes(in.range<std::size_t>(0, 16));
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <type_traits>
#include <vector>

class fuzz_data {
 public:
  fuzz_data(const std::uint8_t* data, std::size_t size) : data_(data), size_(size) {}

  std::size_t remaining() const { return size_; }
  bool empty() const { return size_ == 0; }

  // A value in [lo, hi], from as few trailing bytes as the range needs.
  template <class T>
  T range(T lo, T hi) {
    static_assert(std::is_integral_v<T>);
    if (hi <= lo) return lo;
    using U = std::make_unsigned_t<T>;
    const std::uint64_t span = static_cast<std::uint64_t>(static_cast<U>(hi) - static_cast<U>(lo));
    std::uint64_t v = 0;
    for (std::uint64_t covered = 0; covered < span && size_ > 0; covered = (covered << 8) | 0xff) {
      v = (v << 8) | data_[size_ - 1];
      --size_;
    }
    if (span != std::numeric_limits<std::uint64_t>::max()) v %= span + 1;
    return static_cast<T>(static_cast<U>(static_cast<U>(lo) + static_cast<U>(v)));
  }

  bool flag() { return range<std::uint8_t>(0, 1) == 1; }

  // True about once in n draws; false on an exhausted input (the common case).
  bool one_in(std::uint32_t n) { return range<std::uint32_t>(0, n - 1) == n - 1; }

  template <class T, std::size_t N>
  T pick(const T (&choices)[N]) {
    return choices[range<std::size_t>(0, N - 1)];
  }

  // Up to n bytes from the front (fewer when the input runs out).
  std::vector<std::uint8_t> bytes(std::size_t n) {
    if (n > size_) n = size_;
    std::vector<std::uint8_t> out(data_, data_ + n);
    data_ += n;
    size_ -= n;
    return out;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
};
