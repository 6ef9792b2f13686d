// A growable output buffer that the encoder writes into and the frame layer back-patches.
//
// Unlike std::vector<uint8_t> it never zero-fills what it is about to overwrite, and `clear()`
// keeps the capacity, so a reused writer stops allocating once it is warm.
//
//   amqp::writer w;
//   amqp::encoder(w).string("hello");
//   send(w.data(), w.size());
//   w.clear();
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <memory>

#include "amqp/codec/types.hpp"

namespace amqp {

class writer {
 public:
  writer() = default;
  explicit writer(std::size_t capacity) { reserve(capacity); }
  writer(const writer& other) { append(other.view()); }
  writer& operator=(const writer& other) {
    if (this != &other) {
      clear();
      append(other.view());
    }
    return *this;
  }
  writer(writer&&) noexcept = default;
  writer& operator=(writer&&) noexcept = default;

  const std::uint8_t* data() const noexcept { return buf_.get(); }
  std::uint8_t* data() noexcept { return buf_.get(); }
  std::size_t size() const noexcept { return size_; }
  std::size_t capacity() const noexcept { return cap_; }
  bytes_view view() const noexcept { return {buf_.get(), size_}; }
  bool empty() const noexcept { return size_ == 0; }

  void clear() noexcept { size_ = 0; }
  void reserve(std::size_t n) {
    if (n > cap_) grow(n);
  }
  // Makes room for n more bytes and returns where they go; the caller fills them all.
  std::uint8_t* extend(std::size_t n) {
    if (cap_ - size_ < n) grow(size_ + n);
    std::uint8_t* p = buf_.get() + size_;
    size_ += n;
    return p;
  }
  void push_back(std::uint8_t b) { *extend(1) = b; }
  void append(bytes_view b) {
    if (!b.empty()) std::memcpy(extend(b.size()), b.data(), b.size());
  }
  // Drops everything from `n` on (n <= size()).
  void truncate(std::size_t n) noexcept { size_ = n; }
  // Removes `n` bytes at `pos`, moving what follows down.
  void erase(std::size_t pos, std::size_t n) noexcept {
    std::memmove(buf_.get() + pos, buf_.get() + pos + n, size_ - pos - n);
    size_ -= n;
  }
  // Inserts `n` unspecified bytes at `pos`, moving what follows up; returns where they are.
  std::uint8_t* insert_gap(std::size_t pos, std::size_t n) {
    extend(n);
    std::memmove(buf_.get() + pos + n, buf_.get() + pos, size_ - n - pos);
    return buf_.get() + pos;
  }

 private:
  void grow(std::size_t need) {
    std::size_t cap = cap_ < 64 ? 64 : cap_ * 2;
    while (cap < need) cap *= 2;
    auto next = std::make_unique_for_overwrite<std::uint8_t[]>(cap);
    if (size_) std::memcpy(next.get(), buf_.get(), size_);
    buf_ = std::move(next);
    cap_ = cap;
  }

  std::unique_ptr<std::uint8_t[]> buf_;
  std::size_t size_ = 0;
  std::size_t cap_ = 0;
};

}  // namespace amqp
