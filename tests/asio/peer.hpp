// Two applications talking AMQP through amqp::asio transports: each owns a real
// connection_engine, answers what its peer asks, and counts what it saw. The client opens,
// begins a session and attaches a sender ("c2s") and a receiver ("s2c"); the server answers
// everything and grants credit. Each side sends `messages` messages at least once to the other
// from inside its events hook; the receiver checks their order and bodies, accepts and settles;
// the sender settles on the outcome. When both directions are done the client closes.
//
//   test::connection_pair<test::memory_link> c({.messages = 1000});
//   c.start();
//   c.run();
//   EXPECT_EQ(c.client.received, 1000u);
#pragma once

#include <gtest/gtest.h>

#include <array>
#include <charconv>
#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <thread>
#include <utility>
#include <variant>
#include <vector>

#include <asio/io_context.hpp>
#include <asio/ip/tcp.hpp>
#include <asio/post.hpp>
#include <asio/strand.hpp>

#include "amqp/asio/memory_stream.hpp"
#include "amqp/asio/transport.hpp"
#include "amqp/engine.hpp"

namespace amqp::test {

using namespace std::chrono_literals;

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

template <class Stream>
class peer final : public amqp::asio::transport_handler {
 public:
  using transport_type = amqp::asio::basic_transport<Stream>;

  peer(engine_config config, plan p, open_options open = {})
      : engine(config), plan_(p), open_(std::move(open)) {
    client_ = config.role == engine_role::client;
    if (open_.container_id.empty()) open_.container_id = client_ ? "client" : "server";
  }

  // Opens (a client) and starts a transport over `stream`; before the io_context runs.
  void start(Stream stream, amqp::asio::transport_options options = {}) {
    if (client_) {
      EXPECT_FALSE(engine.open(open_));
    }
    transport = transport_type::create(std::move(stream), engine, *this, options);
    transport->start();
  }

  template <class E>
  std::size_t count() const {
    return counts[event_index<E>()];
  }
  // Closes the connection, from the events hook or from elsewhere on the executor (then
  // flush()).
  void close() {
    closing_ = true;
    check(engine.close());
  }
  bool done() const { return received == plan_.messages && settled == plan_.messages; }

  // What the test may change before start(): calls from inside the events hook.
  std::function<void(peer&)> when_linked;    // both links attached both ways
  std::function<void(peer&)> when_received;  // after each message received and settled
  std::function<void(peer&)> when_opened;    // the peer's open arrived
  // Most events polled per hook call (0: all); the rest are polled from a posted task, and
  // until it ran the hook polls none.
  std::size_t max_events_per_hook = 0;
  std::size_t deferred_polls = 0;

  connection_engine engine;
  std::shared_ptr<transport_type> transport;
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

  void on_engine_events() override {
    EXPECT_FALSE(ended) << "events hook after the end";
    if (poll_posted_) return;  // polled later, by the task already posted
    for (std::size_t n = 0; max_events_per_hook == 0 || n < max_events_per_hook; ++n) {
      auto e = engine.poll_event();
      if (!e) return;
      handle(*e);
    }
    // Some may be left: the rest is polled later, from a task of the application's own.
    poll_posted_ = true;
    ++deferred_polls;
    ::asio::post(transport->get_executor(), [this] {
      poll_posted_ = false;
      if (ended) return;
      while (auto e = engine.poll_event()) handle(*e);
      transport->flush();
    });
  }

  void on_transport_end(std::error_code error) override {
    ++end_calls;
    ended = true;
    end_error = error;
  }

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

 private:
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
      if (when_opened) when_opened(*this);
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
        if (when_linked) when_linked(*this);
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
      if (when_received) when_received(*this);
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
template <class Stream>
void expect_clean_conversation(const peer<Stream>& p, std::uint32_t n, const char* who) {
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

// --- the streams under test ------------------------------------------------------------------

struct memory_link {
  using stream = amqp::asio::memory_stream;
  static std::pair<stream, stream> connect(::asio::io_context&, const ::asio::any_io_executor& a,
                                           const ::asio::any_io_executor& b) {
    return amqp::asio::memory_stream::make_pair(a, b);
  }
};

struct tcp_link {
  using stream = ::asio::ip::tcp::socket;
  // A connected pair over loopback: the kernel completes the handshake from the listen backlog,
  // so a blocking connect then accept needs no running io_context.
  static std::pair<stream, stream> connect(::asio::io_context& io, const ::asio::any_io_executor& a,
                                           const ::asio::any_io_executor& b) {
    ::asio::ip::tcp::acceptor acceptor(io, {::asio::ip::address_v4::loopback(), 0});
    stream client(a);
    stream server(b);
    client.connect(acceptor.local_endpoint());
    acceptor.accept(server);
    client.set_option(::asio::ip::tcp::no_delay(true));
    server.set_option(::asio::ip::tcp::no_delay(true));
    return {std::move(client), std::move(server)};
  }
};

// Runs `io` on `threads` threads until it runs out of work; `limit` only stops a hung test.
inline void run_io(::asio::io_context& io, int threads, std::chrono::seconds limit = 120s) {
  std::vector<std::thread> more;
  for (int i = 1; i < threads; ++i) more.emplace_back([&] { io.run_for(limit); });
  io.run_for(limit);
  for (std::thread& t : more) t.join();
}

inline engine_config client_config() {
  return {.role = engine_role::client};
}
inline engine_config server_config() {
  return {.role = engine_role::server};
}

// A client and a server on one io_context, each on its own strand.
template <class Link>
struct connection_pair {
  using stream = typename Link::stream;

  explicit connection_pair(plan p, engine_config client_cfg = client_config(),
                           engine_config server_cfg = server_config(),
                           open_options client_open = {})
      : client(std::move(client_cfg), p, std::move(client_open)),
        server(std::move(server_cfg), p) {}

  void start(amqp::asio::transport_options options = {}) {
    auto [a, b] = Link::connect(io, client_strand, server_strand);
    client.start(std::move(a), options);
    server.start(std::move(b), options);
  }
  void run(int threads = 1) { run_io(io, threads); }

  // Declared first: destroyed after the transports and streams that use it.
  ::asio::io_context io;
  ::asio::any_io_executor client_strand = ::asio::make_strand(io);
  ::asio::any_io_executor server_strand = ::asio::make_strand(io);
  peer<stream> client;
  peer<stream> server;
};

}  // namespace amqp::test
