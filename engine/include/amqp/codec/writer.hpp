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
#include <utility>

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
  // A moved-from writer is empty, with no buffer.
  writer(writer&& other) noexcept
      : buf_(std::move(other.buf_)),
        end_(std::exchange(other.end_, nullptr)),
        limit_(std::exchange(other.limit_, nullptr)) {}
  writer& operator=(writer&& other) noexcept {
    buf_ = std::move(other.buf_);
    end_ = std::exchange(other.end_, nullptr);
    limit_ = std::exchange(other.limit_, nullptr);
    return *this;
  }

  const std::uint8_t* data() const noexcept { return buf_.get(); }
  std::uint8_t* data() noexcept { return buf_.get(); }
  std::size_t size() const noexcept { return static_cast<std::size_t>(end_ - buf_.get()); }
  std::size_t capacity() const noexcept { return static_cast<std::size_t>(limit_ - buf_.get()); }
  bytes_view view() const noexcept { return {buf_.get(), size()}; }
  bool empty() const noexcept { return end_ == buf_.get(); }

  void clear() noexcept { end_ = buf_.get(); }
  void reserve(std::size_t n) {
    if (n > capacity()) grow(n);
  }
  // Makes room for n more bytes and returns where they go; the caller fills them all.
  // The end and the limit are kept as pointers so that this is one compare and one add.
  std::uint8_t* extend(std::size_t n) {
    if (static_cast<std::size_t>(limit_ - end_) < n) grow(size() + n);
    std::uint8_t* p = end_;
    end_ += n;
    return p;
  }
  void push_back(std::uint8_t b) { *extend(1) = b; }
  void append(bytes_view b) {
    if (!b.empty()) std::memcpy(extend(b.size()), b.data(), b.size());
  }
  // Appends n copies of `b`; runs of up to 16 (the unset fields of a composite) without a call.
  void fill(std::size_t n, std::uint8_t b) {
    if (n <= 16 && limit_ - end_ >= 16) {
      const std::uint64_t word = 0x0101010101010101ull * b;
      std::memcpy(end_, &word, 8);
      std::memcpy(end_ + 8, &word, 8);
      end_ += n;
    } else if (n != 0) {
      std::memset(extend(n), b, n);
    }
  }
  // Drops everything from `n` on (n <= size()).
  void truncate(std::size_t n) noexcept { end_ = buf_.get() + n; }
  // Removes `n` bytes at `pos`, moving what follows down.
  void erase(std::size_t pos, std::size_t n) noexcept {
    if (n == 0) return;  // an empty writer has no buffer for memmove to point at
    std::uint8_t* at = buf_.get() + pos;
    std::memmove(at, at + n, static_cast<std::size_t>(end_ - at) - n);
    end_ -= n;
  }
  // Inserts `n` unspecified bytes at `pos`, moving what follows up; returns where they are.
  std::uint8_t* insert_gap(std::size_t pos, std::size_t n) {
    extend(n);
    std::uint8_t* at = buf_.get() + pos;
    std::memmove(at + n, at, static_cast<std::size_t>(end_ - at) - n);
    return at;
  }

 private:
  // Out of line: the rare path, kept out of every inlined extend().
  void grow(std::size_t need);

  std::unique_ptr<std::uint8_t[]> buf_;
  std::uint8_t* end_ = nullptr;    // one past the last byte written
  std::uint8_t* limit_ = nullptr;  // one past the capacity
};

}  // namespace amqp
