// exclusive_link: the handle's calls go to the link_core behind it.
#include "amqp/client/exclusive_link.hpp"

#include "link_core.hpp"

namespace amqp::client {

const char* to_string(link_state s) noexcept {
  switch (s) {
    case link_state::idle: return "idle";
    case link_state::opening: return "opening";
    case link_state::open: return "open";
    case link_state::closing: return "closing";
    case link_state::closed: return "closed";
    case link_state::error: return "error";
  }
  return "?";
}

exclusive_link::exclusive_link(std::shared_ptr<detail::link_core> core) noexcept
    : core_(std::move(core)) {}

exclusive_link::~exclusive_link() { destroy(); }

exclusive_link::exclusive_link(exclusive_link&&) noexcept = default;

exclusive_link& exclusive_link::operator=(exclusive_link&& other) noexcept {
  if (this != &other) {
    destroy();
    core_ = std::move(other.core_);
  }
  return *this;
}

void exclusive_link::open() {
  if (core_) core_->open();
}

void exclusive_link::close() {
  if (core_) core_->close();
}

void exclusive_link::destroy() {
  if (core_) core_->destroy();
}

link_state exclusive_link::state() const noexcept {
  return core_ ? core_->state : link_state::idle;
}

const std::string& exclusive_link::name() const noexcept {
  static const std::string none;
  return core_ ? core_->name : none;
}

const std::string& exclusive_link::address() const noexcept {
  static const std::string none;
  return core_ ? core_->address : none;
}

}  // namespace amqp::client
