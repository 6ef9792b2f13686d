// Two engines wired memory-to-memory on a virtual clock: the bench for engine behaviour tests.
// Bytes cross whole or cut into chunks of a chosen size; the frames that cross are recorded
// as amqp-inspect text lines, and the events each side reports are collected.
//
//   test::engine_pair p;
//   ASSERT_FALSE(p.client.open({.container_id = "c"}));
//   p.pump();
//   EXPECT_TRUE(p.server_saw<amqp::peer_opened>());
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <variant>
#include <vector>

#include "amqp/engine.hpp"
#include "amqp/trace.hpp"
#include "support/trace_lines.hpp"

namespace amqp::test {

struct engine_side {
  explicit engine_side(engine_config config);
  trace_lines trace;  // the frames it wrote ("-> ") and read ("<- ")
  connection_engine engine;
  std::vector<event> events;  // every event polled so far
  bool eof_sent = false;      // the other side was told that this one's output ended

  // Polls every waiting event into `events`.
  void drain_events();
  // Outgoing frames, as "-> ..." trace lines.
  std::vector<std::string> sent() const;

  template <class E>
  const E* find() const {
    for (const event& e : events)
      if (const auto* x = std::get_if<E>(&e)) return x;
    return nullptr;
  }
  template <class E>
  std::size_t count() const {
    std::size_t n = 0;
    for (const event& e : events) n += std::holds_alternative<E>(e);
    return n;
  }
};

engine_config client_config();
engine_config server_config();

class engine_pair {
 public:
  explicit engine_pair(engine_config client = client_config(),
                       engine_config server = server_config());

  // Moves bytes both ways until neither side has output left, then polls both sides' events.
  // With chunk > 0, bytes cross in pieces of at most `chunk` bytes.
  void pump();
  // Advances the virtual clock by `d`, lets both engines act on their deadlines, and pumps.
  void advance(std::chrono::milliseconds d);
  // Gives `side` only its deadlines (the other side sleeps), then pumps.
  void tick(engine_side& side);

  time_point now{std::chrono::hours(1)};
  std::size_t chunk = 0;
  engine_side client_side;
  engine_side server_side;
  connection_engine& client;
  connection_engine& server;

 private:
  // Moves what `from` wants written into `to`; returns the number of bytes moved.
  std::size_t move(engine_side& from, engine_side& to);
};

// Opens both sides without SASL: the client pipelines its header and open, the server answers
// the open it got.
void open_pair(engine_pair& p, const open_options& client = {.container_id = "client-1"},
               const open_options& server = {.container_id = "server-1"});

}  // namespace amqp::test
