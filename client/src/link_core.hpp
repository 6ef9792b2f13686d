// The state behind an exclusive_link handle: the session, the link's name and address, its
// uAMQP state, and the open / close / destroy steps message_sender and message_receiver share.
// Each of them derives its impl from link_owner<its link type>.
#pragma once

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "amqp/client/exclusive_link.hpp"
#include "amqp/messaging/endpoints.hpp"
#include "amqp/messaging/handler.hpp"
#include "amqp/random.hpp"
#include "support.hpp"

namespace amqp::client::detail {

using state_callback = std::function<void(link_state previous, link_state now)>;

struct link_core : messaging_handler {
  // `name` empty: `prefix` and a random UUID.
  link_core(amqp::session s, std::string a, std::string n, std::string_view prefix,
            state_callback cb)
      : session(std::move(s)), address(std::move(a)), name(std::move(n)),
        on_state_changed(std::move(cb)) {
    if (name.empty()) name = std::string(prefix) + random_uuid();
  }

  amqp::connection connection() const { return session.connection(); }

  void set_state(link_state now) {
    const link_state before = state;
    state = now;
    if (before != now && on_state_changed) on_state_changed(before, now);
  }

  virtual void open() = 0;
  virtual void close() = 0;
  virtual void destroy() = 0;

  amqp::session session;
  std::string address;  // the sender's target, the receiver's source
  std::string name;
  state_callback on_state_changed;
  link_state state = link_state::idle;
  bool destroyed = false;
  bool detaching = false;  // close(): the link's end is ours
};

template <class Link>
struct link_owner : link_core {
  using link_core::link_core;
  // The link is left to orphaned_links(): this may go away before its last events.
  ~link_owner() override { orphan(link, false); }

  void close() final {
    if (!link.is_set() || state == link_state::closed || state == link_state::idle) return;
    detaching = true;
    set_state(link_state::closing);
    link.detach();
  }

  Link link;

 protected:
  // open()'s first step: false when there is nothing to do (destroyed, open or opening), else
  // the state is opening and the caller attaches `link`.
  bool opening() {
    if (destroyed || state == link_state::open || state == link_state::opening) return false;
    detaching = false;
    set_state(link_state::opening);
    return true;
  }
  // destroy()'s first step: false when it was done before, else the link is closed and left
  // to orphaned_links(); the caller ends what waits and sets the state closed.
  bool destroying() {
    if (destroyed) return false;
    destroyed = true;
    orphan(link, true);
    link = {};
    return true;
  }
};

}  // namespace amqp::client::detail
