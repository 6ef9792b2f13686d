// Time: heartbeats at half the peer's idle timeout, the local idle timeout, the handshake and
// close timeouts, all on the virtual clock through handle_timeout() and next_deadline().
#include <gtest/gtest.h>

#include <algorithm>

#include "pair.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;
using test::engine_pair;

std::size_t heartbeats(const std::vector<std::string>& lines) {
  return static_cast<std::size_t>(
      std::count_if(lines.begin(), lines.end(),
                    [](const std::string& l) { return l.starts_with("-> ") && l.ends_with("(empty frame)"); }));
}

// Both sides open with these idle timeouts.
void open_idle(engine_pair& p, std::chrono::milliseconds client_idle,
               std::chrono::milliseconds server_idle) {
  open_pair(p, {.container_id = "client-1", .idle_timeout = client_idle},
            {.container_id = "server-1", .idle_timeout = server_idle});
}

TEST(idle_timeout, heartbeats_go_out_at_half_the_peers_timeout) {
  engine_pair p;
  open_idle(p, 0ms, 2000ms);
  // The server advertised 1000 ms (half its 2000), so the client says something every 500 ms.
  ASSERT_TRUE(p.client.next_deadline());
  EXPECT_EQ(*p.client.next_deadline(), p.now + 500ms);
  p.advance(499ms);
  EXPECT_EQ(heartbeats(p.client_side.trace.lines), 0u);
  p.advance(1ms);
  EXPECT_EQ(heartbeats(p.client_side.trace.lines), 1u);
  EXPECT_EQ(*p.client.next_deadline(), p.now + 500ms);
  for (int i = 0; i < 10; ++i) p.advance(500ms);
  EXPECT_EQ(heartbeats(p.client_side.trace.lines), 11u);
  // The server, kept alive by them, never timed out; it advertised a timeout but the client
  // did not, so the server sends no heartbeats of its own.
  EXPECT_FALSE(p.server_side.find<idle_timeout_expired>());
  EXPECT_EQ(heartbeats(p.server_side.trace.lines), 0u);
}

TEST(idle_timeout, other_frames_postpone_the_heartbeat) {
  engine_pair p;
  open_idle(p, 0ms, 2000ms);
  p.advance(400ms);
  // Any output restarts the interval; here the close itself is the traffic.
  ASSERT_FALSE(p.client.close());
  p.pump();
  p.advance(400ms);
  EXPECT_EQ(heartbeats(p.client_side.trace.lines), 0u);
}

TEST(idle_timeout, silence_past_the_local_timeout_closes_with_resource_limit_exceeded) {
  engine_pair p;
  open_idle(p, 0ms, 1000ms);
  // The client falls silent: only the server's clock runs.
  p.now += 999ms;
  p.tick(p.server_side);
  EXPECT_FALSE(p.server_side.find<idle_timeout_expired>());
  EXPECT_EQ(*p.server.next_deadline(), p.now + 1ms);
  p.now += 1ms;
  p.tick(p.server_side);
  EXPECT_EQ(p.server_side.count<idle_timeout_expired>(), 1u);
  const protocol_violation* v = p.server_side.find<protocol_violation>();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->error.name, "amqp:resource-limit-exceeded");
  EXPECT_EQ(v->error.description, "nothing arrived within the local idle timeout of 1000 ms");
  // The client hears about it in the close.
  const peer_closed* c = p.client_side.find<peer_closed>();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->error);
  EXPECT_EQ(c->error->name, "amqp:resource-limit-exceeded");
  ASSERT_FALSE(p.client.close());
  p.pump();
  const transport_closed* t = p.server_side.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->error);
  EXPECT_EQ(t->error->name, "amqp:resource-limit-exceeded");
  EXPECT_TRUE(p.server.is_finished());
}

TEST(idle_timeout, a_peer_that_never_opens_is_dropped_after_the_handshake_timeout) {
  engine_config server_cfg = test::server_config();
  server_cfg.limits.handshake_timeout = 2s;
  connection_engine server(server_cfg);
  time_point now{1h};
  // A client that connects and says nothing at all.
  EXPECT_EQ(server.feed({}, now), 0u);
  ASSERT_TRUE(server.next_deadline());
  EXPECT_EQ(*server.next_deadline(), now + 2s);
  now += 2s;
  server.handle_timeout(now);
  auto e = server.poll_event();
  ASSERT_TRUE(e);
  const auto* t = std::get_if<transport_closed>(&*e);
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->error);
  EXPECT_EQ(t->error->name, "amqp:resource-limit-exceeded");
  EXPECT_EQ(t->error->description, "the peer did not open the connection within 2000 ms");
  EXPECT_TRUE(server.is_finished());
  EXPECT_FALSE(server.next_deadline());
}

TEST(idle_timeout, a_peer_that_sends_its_header_but_no_open_is_closed_after_the_handshake_timeout) {
  engine_config server_cfg = test::server_config();
  server_cfg.limits.handshake_timeout = 2s;
  engine_pair p(test::client_config(), server_cfg);
  const std::uint8_t header[] = {'A', 'M', 'Q', 'P', 0, 1, 0, 0};
  EXPECT_EQ(p.server.feed(header, p.now), 8u);
  p.now += 2s;
  p.server.handle_timeout(p.now);
  p.server_side.drain_events();
  // The header was answered, so there is a connection to close: open, then close.
  const std::vector<std::string> sent = p.server_side.sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_EQ(sent[0], "-> [0] AMQP 1.0.0");
  EXPECT_TRUE(sent[1].starts_with("-> [8] ch 0 @open(0x10)")) << sent[1];
  EXPECT_TRUE(sent[2].find("@close(0x18) {error: @error(0x1d) {condition: "
                           ":amqp:resource-limit-exceeded") != std::string::npos)
      << sent[2];
  EXPECT_TRUE(p.server_side.find<transport_closed>());
}

TEST(idle_timeout, a_peer_that_never_answers_close_is_given_up_after_the_close_timeout) {
  engine_config client_cfg = test::client_config();
  client_cfg.limits.close_timeout = 5s;
  engine_pair p(client_cfg, test::server_config());
  open_idle(p, 0ms, 0ms);
  ASSERT_FALSE(p.client.close());
  p.pump();
  ASSERT_TRUE(p.server_side.find<peer_closed>());  // the server application does not answer
  EXPECT_EQ(*p.client.next_deadline(), p.now + 5s);
  p.now += 5s;
  p.tick(p.client_side);
  const transport_closed* t = p.client_side.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->error);
  EXPECT_EQ(t->error->description, "the peer did not answer close within 5000 ms");
  EXPECT_TRUE(p.client.is_finished());
}

TEST(idle_timeout, nothing_is_due_without_timeouts_once_open) {
  engine_pair p;
  open_idle(p, 0ms, 0ms);
  EXPECT_FALSE(p.client.next_deadline());
  EXPECT_FALSE(p.server.next_deadline());
}

}  // namespace
}  // namespace amqp
