// The engine's side of two applications talking AMQP through a binding's transport. Each owns
// a real connection_engine, answers what its peer asks, and counts what it saw. The client
// opens, begins a session and attaches a sender ("c2s") and a receiver ("s2c"); the server
// answers everything and grants credit. Each side sends `messages` messages at least once to
// the other from inside its events hook; the receiver checks their order and bodies, accepts
// and settles; the sender settles on the outcome. When both directions are done the client
// closes.
//
// A binding's test peer (tests/asio/peer.hpp, tests/libevent/peer.hpp) derives from
// conversation<itself> and adds its transport: its events hook calls poll_events(), and when
// that asks for it, runs poll_rest() later from a task of its own and then flushes; its end
// hook calls note_end().
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <array>
#include <charconv>
#include <cstdint>
#include <functional>
#include <optional>
#include <system_error>
#include <utility>
#include <variant>
#include <vector>

#include "amqp/engine.hpp"

namespace amqp::test {

// The index of E in amqp::event.
template <class E, std::size_t I = 0>
constexpr std::size_t event_index() {
  if constexpr (std::is_same_v<std::variant_alternative_t<I, event>, E>)
    return I;
  else
    return event_index<E, I + 1>();
}

// The body of message i: its number, then filler whose length and letter depend on it, so that
// a lost, repeated, reordered or damaged message shows. No allocation.
struct message_body {
  explicit message_body(std::uint32_t i, bool same_size = false) {
    char* p = text.data();
    *p++ = '#';
    p = std::to_chars(p, p + 10, i).ptr;
    *p++ = ':';
    const std::size_t filler = same_size ? 72 - static_cast<std::size_t>(p - text.data()) : i % 61;
    std::fill_n(p, filler, static_cast<char>('a' + i % 26));
    size = static_cast<std::size_t>(p - text.data()) + filler;
  }
  bytes_view bytes() const { return {reinterpret_cast<const std::uint8_t*>(text.data()), size}; }
  bool operator==(bytes_view b) const {
    return b.size() == size && std::equal(b.begin(), b.end(), bytes().begin());
  }
  std::array<char, 80> text{};
  std::size_t size = 0;
};

struct plan {
  std::uint32_t messages = 0;   // each side sends this many to the other
  std::uint32_t credit = 200;   // each receiver's window
  bool close_when_done = true;  // the client closes once both directions are done
  bool same_size = false;       // every body 72 bytes (the number, then filler)
};

inline engine_config client_config() {
  return {.role = engine_role::client};
}
inline engine_config server_config() {
  return {.role = engine_role::server};
}

template <class Peer>
class conversation {
 public:
  conversation(engine_config config, plan p, open_options open = {})
      : engine(config), plan_(p), open_(std::move(open)) {
    client_ = config.role == engine_role::client;
    if (open_.container_id.empty()) open_.container_id = client_ ? "client" : "server";
  }

  template <class E>
  std::size_t count() const {
    return counts[event_index<E>()];
  }
  // Closes the connection, from the events hook or from elsewhere on the loop (then flush).
  void close() {
    closing_ = true;
    check(engine.close());
  }
  bool done() const { return received == plan_.messages && settled == plan_.messages; }

  // What the test may change before the transport starts: calls from inside the events hook.
  std::function<void(Peer&)> when_linked;    // both links attached both ways
  std::function<void(Peer&)> when_received;  // after each message received and settled
  std::function<void(Peer&)> when_opened;    // the peer's open arrived
  // Most events polled per hook call (0: all); the rest are polled later from a task of the
  // peer's own, and until it ran the hook polls none.
  std::size_t max_events_per_hook = 0;
  std::size_t deferred_polls = 0;

  connection_engine engine;
  std::array<std::size_t, std::variant_size_v<event>> counts{};
  std::vector<std::size_t> milestones;  // the index of every event but the per-message ones
  std::optional<std::optional<condition>> closed;  // transport_closed's error, once it came
  std::size_t events_after_closed = 0;
  bool ended = false;
  std::size_t end_calls = 0;
  std::error_code end_error;
  std::uint32_t sent = 0;
  std::uint32_t received = 0;
  std::uint32_t settled = 0;
  std::uint32_t wrong_bodies = 0;
  std::uint32_t send_errors = 0;
  std::error_code command_error;  // the first command that failed unexpectedly
  session_handle session;
  link_handle sender;
  link_handle receiver;

  void check(std::error_code ec) {
    if (ec && !command_error) command_error = ec;
  }
  template <class T>
  void take(const result<T, std::error_code>& r, T& into) {
    if (r)
      into = *r;
    else
      check(r.error());
  }

 protected:
  // Opens, when a client: before the transport starts.
  void open_if_client() {
    if (client_) {
      EXPECT_FALSE(engine.open(open_));
    }
  }
  // The events hook's work. True when events were left for poll_rest(), which the peer must
  // then run from a task of its own.
  bool poll_events() {
    EXPECT_FALSE(ended) << "events hook after the end";
    if (poll_posted_) return false;  // polled later, by the task already posted
    for (std::size_t n = 0; max_events_per_hook == 0 || n < max_events_per_hook; ++n) {
      auto e = engine.poll_event();
      if (!e) return false;
      handle(*e);
    }
    poll_posted_ = true;
    ++deferred_polls;
    return true;
  }
  // Polls what poll_events() left. False once the connection is over: nothing to flush then.
  bool poll_rest() {
    poll_posted_ = false;
    if (ended) return false;
    while (auto e = engine.poll_event()) handle(*e);
    return true;
  }
  // The end hook's work.
  void note_end(std::error_code error) {
    ++end_calls;
    ended = true;
    end_error = error;
  }

 private:
  Peer& self() { return static_cast<Peer&>(*this); }

  static link_options link(std::string name) {
    return {.name = std::move(name),
            .source = terminus{.address = "q"},
            .target = terminus{.address = "q"}};
  }

  void handle(const event& e) {
    if (closed) ++events_after_closed;
    ++counts[e.index()];
    const bool per_message = std::holds_alternative<transfer_received>(e) ||
                             std::holds_alternative<disposition_received>(e) ||
                             std::holds_alternative<credit_granted>(e);
    if (!per_message) milestones.push_back(e.index());

    if (std::holds_alternative<peer_opened>(e)) {
      if (client_) {
        take(engine.begin_session(), session);
      } else {
        check(engine.open(open_));
      }
      if (when_opened) when_opened(self());
    } else if (const auto* b = std::get_if<peer_began_session>(&e)) {
      if (b->answer) {
        take(engine.attach_sender(session, link("c2s")), sender);
        take(engine.attach_receiver(session, link("s2c")), receiver);
      } else {
        session = b->session;
        check(engine.begin_session(b->session));
      }
    } else if (const auto* a = std::get_if<peer_attached>(&e)) {
      if (!a->answer) {
        const link_status* l = engine.link(a->link);
        const bool we_receive = l && l->role == role::receiver;
        check(engine.attach(a->link, link("")));
        (we_receive ? receiver : sender) = a->link;
        if (we_receive) check(engine.grant_credit(a->link, plan_.credit));
      } else if (a->link == receiver) {
        check(engine.grant_credit(a->link, plan_.credit));
      }
      if (++attached_ == 2) {
        if (when_linked) when_linked(self());
        maybe_close();
      }
    } else if (std::holds_alternative<credit_granted>(e)) {
      send_some();
    } else if (const auto* t = std::get_if<transfer_received>(&e)) {
      if (!(message_body(received, plan_.same_size) == engine.payload(t->delivery))) ++wrong_bodies;
      check(engine.settle(t->delivery, delivery_state::accepted()));
      ++received;
      const link_status* l = engine.link(receiver);
      if (l && l->credit <= plan_.credit / 2)
        check(engine.grant_credit(receiver, plan_.credit - l->credit));
      if (when_received) when_received(self());
      maybe_close();
    } else if (const auto* d = std::get_if<disposition_received>(&e)) {
      if (d->settled) {
        check(engine.settle(d->delivery));
        ++settled;
        maybe_close();
      }
    } else if (std::holds_alternative<peer_closed>(e)) {
      if (!closing_) {
        closing_ = true;
        check(engine.close());
      }
    } else if (const auto* c = std::get_if<transport_closed>(&e)) {
      closed = c->error;
    }
  }

  void send_some() {
    while (sender.is_set() && sent < plan_.messages) {
      const message_body body(sent, plan_.same_size);
      auto d = engine.send(sender, body.bytes());
      if (!d) {
        if (d.error() != errc::no_credit) ++send_errors;
        return;
      }
      ++sent;
    }
  }

  void maybe_close() {
    if (!client_ || !plan_.close_when_done || closing_ || attached_ < 2 || !done()) return;
    closing_ = true;
    check(engine.close());
  }

  plan plan_;
  open_options open_;
  bool client_ = false;
  bool closing_ = false;
  bool poll_posted_ = false;
  int attached_ = 0;
};

// What a side saw in a whole conversation of `n` messages each way that ended cleanly.
template <class Peer>
void expect_clean_conversation(const Peer& p, std::uint32_t n, const char* who) {
  SCOPED_TRACE(who);
  EXPECT_EQ(p.end_calls, 1u);
  EXPECT_FALSE(p.end_error) << p.end_error.message();
  ASSERT_TRUE(p.closed.has_value()) << "no transport_closed";
  EXPECT_FALSE(p.closed->has_value()) << (*p.closed)->to_string();
  EXPECT_FALSE(p.command_error) << p.command_error.message();
  EXPECT_EQ(p.sent, n);
  EXPECT_EQ(p.received, n);
  EXPECT_EQ(p.settled, n);
  EXPECT_EQ(p.wrong_bodies, 0u);
  EXPECT_EQ(p.send_errors, 0u);
  EXPECT_EQ(p.events_after_closed, 0u);
  EXPECT_EQ(p.template count<transfer_received>(), n);
  EXPECT_EQ(p.template count<disposition_received>(), n);
  EXPECT_EQ(p.template count<protocol_violation>(), 0u);
  EXPECT_EQ(p.template count<idle_timeout_expired>(), 0u);
  EXPECT_EQ(p.template count<delivery_in_doubt>(), 0u);
  const std::vector<std::size_t> expected{
      event_index<peer_opened>(),   event_index<peer_began_session>(),
      event_index<peer_attached>(), event_index<peer_attached>(),
      event_index<peer_closed>(),   event_index<transport_closed>()};
  EXPECT_EQ(p.milestones, expected);
}

}  // namespace amqp::test
