#include "pair.hpp"

#include <gtest/gtest.h>

#include <algorithm>

namespace amqp::test {

engine_side::engine_side(engine_config config)
    : engine([&] {
        config.trace = &trace.sink;
        return config;
      }()) {}

void engine_side::drain_events() {
  while (auto e = engine.poll_event()) events.push_back(std::move(*e));
}

std::vector<std::string> engine_side::sent() const {
  std::vector<std::string> out;
  for (const std::string& l : trace.lines)
    if (l.starts_with("-> ")) out.push_back(l);
  return out;
}

engine_config client_config() { return {.role = engine_role::client}; }
engine_config server_config() { return {.role = engine_role::server}; }

engine_pair::engine_pair(engine_config client_cfg, engine_config server_cfg)
    : client_side(std::move(client_cfg)),
      server_side(std::move(server_cfg)),
      client(client_side.engine),
      server(server_side.engine) {}

std::size_t engine_pair::move(engine_side& from, engine_side& to) {
  std::size_t moved = 0;
  for (;;) {
    const bytes_view out = from.engine.pending_output();
    if (out.empty()) break;
    const bytes_view piece = chunk ? out.first(std::min(chunk, out.size())) : out;
    std::size_t used = to.engine.feed(piece, now);
    // A full event queue stops the reader: the application polls, then feeds the rest.
    while (used < piece.size()) {
      to.drain_events();
      used += to.engine.feed(piece.subspan(used), now);
    }
    from.engine.consume_output(piece.size());
    moved += piece.size();
  }
  // A finished side's transport closes: the other side sees the end of its input.
  if (from.engine.is_finished() && !from.eof_sent && to.engine.wants_input()) {
    from.eof_sent = true;
    to.engine.feed_eof(now);
  }
  return moved;
}

void engine_pair::pump() {
  for (int round = 0; round < 1000; ++round) {
    const std::size_t moved = move(client_side, server_side) + move(server_side, client_side);
    client_side.drain_events();
    server_side.drain_events();
    if (moved == 0) break;
  }
}

void engine_pair::advance(std::chrono::milliseconds d) {
  now += d;
  client.handle_timeout(now);
  server.handle_timeout(now);
  pump();
}

void engine_pair::tick(engine_side& side) {
  side.engine.handle_timeout(now);
  pump();
}

void open_pair(engine_pair& p, const open_options& client, const open_options& server) {
  ASSERT_FALSE(p.client.open(client));
  p.pump();
  ASSERT_TRUE(p.server_side.find<peer_opened>());
  ASSERT_FALSE(p.server.open(server));
  p.pump();
  ASSERT_TRUE(p.client_side.find<peer_opened>());
}

}  // namespace amqp::test
