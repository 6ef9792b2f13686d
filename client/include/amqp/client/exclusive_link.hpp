// exclusive_link: what message_sender and message_receiver share, as uAMQP's MessageSender and
// MessageReceiver do: a link of their own on a session, named by a random UUID unless the
// options name it, with uAMQP's link states.
//
// open() attaches the link (again, after close()); close() detaches it without closing it
// (spec Part 2, 2.6.6: the peer keeps its state for a later attach by the same name, which
// open() makes); destroy() closes it for good, as the destructor does. What each of them means
// for the messages queued or buffered, the sender and the receiver say.
//
// Threading: used on its connection's thread, as the handles it is built on.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

namespace amqp::client {

namespace detail {
struct link_core;
}

// What the receiver is asked to do with its outcome (uAMQP's names for rcv-settle-mode).
enum class receive_settle_mode : std::uint8_t {
  peek_lock,           // second: the outcome goes unsettled, settled after the sender did
  receive_and_delete,  // first: the receiver settles with its outcome at once
};

// The state of a message_sender's or message_receiver's link.
enum class link_state : std::uint8_t { idle, opening, open, closing, closed, error };
const char* to_string(link_state s) noexcept;

class exclusive_link {
 public:
  bool is_set() const noexcept { return core_ != nullptr; }

  void open();
  void close();
  void destroy();

  link_state state() const noexcept;
  const std::string& name() const noexcept;

 protected:
  exclusive_link() = default;
  explicit exclusive_link(std::shared_ptr<detail::link_core> core) noexcept;
  ~exclusive_link();  // destroy()
  exclusive_link(exclusive_link&&) noexcept;
  exclusive_link& operator=(exclusive_link&&) noexcept;
  exclusive_link(const exclusive_link&) = delete;
  exclusive_link& operator=(const exclusive_link&) = delete;

  // The sender's target, the receiver's source.
  const std::string& address() const noexcept;

  std::shared_ptr<detail::link_core> core_;
};

}  // namespace amqp::client
