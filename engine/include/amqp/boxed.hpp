// An optional value kept on the heap: the size of a pointer, for members that are rarely set
// in a type that is made, copied and dropped for every message (a delivery state's error and
// message annotations). It reads like std::optional and copies what it holds.
//
//   amqp::boxed<amqp::condition> error;              // empty
//   error = amqp::condition{"amqp:not-allowed", "no", {}};
//   if (error) use(error->name);
#pragma once

#include <memory>
#include <optional>
#include <utility>

namespace amqp {

template <class T>
class boxed {
 public:
  boxed() noexcept = default;
  boxed(std::nullopt_t) noexcept {}                                       // NOLINT: implicit
  boxed(T v) : p_(std::make_unique<T>(std::move(v))) {}                   // NOLINT: implicit
  boxed(std::optional<T> v) : p_(v ? std::make_unique<T>(std::move(*v)) : nullptr) {}  // NOLINT
  boxed(const boxed& o) : p_(o.p_ ? std::make_unique<T>(*o.p_) : nullptr) {}
  boxed(boxed&&) noexcept = default;
  boxed& operator=(const boxed& o) {
    if (this != &o) p_ = o.p_ ? std::make_unique<T>(*o.p_) : nullptr;
    return *this;
  }
  boxed& operator=(boxed&&) noexcept = default;
  ~boxed() = default;

  bool has_value() const noexcept { return p_ != nullptr; }
  explicit operator bool() const noexcept { return has_value(); }
  T& operator*() noexcept { return *p_; }
  const T& operator*() const noexcept { return *p_; }
  T* operator->() noexcept { return p_.get(); }
  const T* operator->() const noexcept { return p_.get(); }
  void reset() noexcept { p_.reset(); }

  friend bool operator==(const boxed& a, const boxed& b) {
    return a.p_ ? b.p_ && *a.p_ == *b.p_ : !b.p_;
  }

 private:
  std::unique_ptr<T> p_;
};

}  // namespace amqp
