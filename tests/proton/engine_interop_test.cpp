// Our engine against Qpid Proton's, in memory: our client with a Proton server and a Proton
// client with our server, at the connection and session levels, on a virtual clock.
#include <gtest/gtest.h>

#include <chrono>
#include <string>
#include <vector>

#include "amqp/engine.hpp"
#include "exchange.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;
using test::interop;
using test::proton_role;

TEST(engine_interop, our_client_opens_and_closes_with_a_proton_server) {
  interop i(engine_role::client, {.container_id = "proton-server", .auto_answer = true});
  ASSERT_FALSE(i.ours.open({.container_id = "our-client",
                            .hostname = "vhost",
                            .idle_timeout = 60s,
                            .desired_capabilities = {"ANONYMOUS-RELAY"}}));
  i.pump();
  EXPECT_EQ(i.theirs.remote_container_id(), "our-client");
  EXPECT_EQ(i.theirs.remote_hostname(), "vhost");
  EXPECT_EQ(i.theirs.remote_idle_timeout(), 30000u);  // half our timeout, as Proton does
  EXPECT_EQ(i.theirs.remote_max_frame_size(), 1u << 20);
  ASSERT_TRUE(i.find<peer_opened>());
  ASSERT_NE(i.ours.remote_open(), nullptr);
  EXPECT_EQ(i.ours.remote_open()->container_id, "proton-server");
  EXPECT_EQ(i.ours.remote_open()->channel_max, 255);  // Proton answers min(its own, ours)

  ASSERT_FALSE(i.ours.close(condition{"amqp:connection:forced", "maintenance", {}}));
  i.pump();
  EXPECT_EQ(i.theirs.remote_condition().name, "amqp:connection:forced");
  EXPECT_EQ(i.theirs.remote_condition().description, "maintenance");
  const transport_closed* t = i.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->error) << t->error->to_string();
  EXPECT_TRUE(i.ours.is_finished());
  EXPECT_TRUE(i.theirs.finished());
}

TEST(engine_interop, a_proton_client_opens_and_closes_with_our_server) {
  interop i(engine_role::server, {.container_id = "proton-client", .hostname = "example.org"});
  i.theirs.open();
  i.pump();
  ASSERT_TRUE(i.find<peer_opened>());
  EXPECT_EQ(i.ours.remote_open()->container_id, "proton-client");
  EXPECT_EQ(i.ours.remote_open()->hostname, "example.org");
  ASSERT_FALSE(i.ours.open({.container_id = "our-server"}));
  i.pump();
  EXPECT_EQ(i.theirs.remote_container_id(), "our-server");

  i.theirs.close({"amqp:internal-error", "bye"});
  i.pump();
  const peer_closed* c = i.find<peer_closed>();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->error);
  EXPECT_EQ(c->error->name, "amqp:internal-error");
  EXPECT_EQ(c->error->description, "bye");
  ASSERT_FALSE(i.ours.close());
  i.pump();
  EXPECT_TRUE(i.find<transport_closed>());
  EXPECT_TRUE(i.ours.is_finished());
  EXPECT_TRUE(i.theirs.finished());
}

TEST(engine_interop, sessions_begin_and_end_both_ways) {
  interop i(engine_role::client, {.container_id = "proton-server", .auto_answer = true});
  ASSERT_FALSE(i.ours.open({.container_id = "our-client"}));
  auto s = i.ours.begin_session({.incoming_window = 64, .outgoing_window = 32});
  ASSERT_TRUE(s);
  i.pump();
  const peer_began_session* b = i.find<peer_began_session>();
  ASSERT_NE(b, nullptr);
  EXPECT_TRUE(b->answer);
  EXPECT_EQ(b->session, *s);
  auto st = i.ours.session(*s);
  ASSERT_TRUE(st);
  EXPECT_TRUE(st->begin_received);
  EXPECT_EQ(st->remote_channel, 0);
  EXPECT_EQ(i.theirs.session_count(), 1u);

  ASSERT_FALSE(i.ours.end_session(*s, condition{"amqp:not-allowed", "done here", {}}));
  i.pump();
  EXPECT_EQ(i.theirs.remote_condition(test::session_handle{0}).name, "amqp:not-allowed");
  const peer_ended_session* e = i.find<peer_ended_session>();
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->session, *s);
  EXPECT_FALSE(i.ours.session(*s));  // both ends exchanged
}

TEST(engine_interop, our_server_answers_a_proton_session) {
  interop i(engine_role::server, {.container_id = "proton-client"});
  i.theirs.open();
  const test::session_handle theirs = i.theirs.begin();
  i.pump();
  ASSERT_FALSE(i.ours.open({.container_id = "our-server"}));
  const peer_began_session* b = i.find<peer_began_session>();
  ASSERT_NE(b, nullptr);
  EXPECT_FALSE(b->answer);
  ASSERT_FALSE(i.ours.begin_session(b->session));
  i.pump();
  EXPECT_EQ(i.theirs.state(theirs).remote, test::endpoint::active);
  i.theirs.end(theirs);
  i.pump();
  const peer_ended_session* e = i.find<peer_ended_session>();
  ASSERT_NE(e, nullptr);
  ASSERT_FALSE(i.ours.end_session(e->session));
  i.pump();
  EXPECT_EQ(i.theirs.state(theirs).remote, test::endpoint::closed);
}

TEST(engine_interop, heartbeats_keep_both_idle_timeouts_satisfied) {
  // Proton advertises half its configured timeout: 1000 ms configured, 500 ms announced, so
  // our client beats every 250 ms; our client announces 800 ms and Proton beats every 400 ms.
  interop client(engine_role::client,
                 {.container_id = "proton-server", .idle_timeout_ms = 1000, .auto_answer = true});
  ASSERT_FALSE(client.ours.open({.container_id = "our-client", .idle_timeout = 800ms}));
  client.pump();
  ASSERT_TRUE(client.find<peer_opened>());
  EXPECT_EQ(client.ours.remote_open()->idle_timeout, 500ms);
  for (int k = 0; k < 100; ++k) client.advance(50ms);  // five seconds of silence otherwise
  EXPECT_FALSE(client.find<idle_timeout_expired>());
  EXPECT_FALSE(client.find<peer_closed>());
  EXPECT_EQ(client.theirs.state().remote, test::endpoint::active);
  EXPECT_FALSE(client.theirs.transport_condition().is_set());
}

TEST(engine_interop, proton_closes_a_silent_client_after_its_idle_timeout) {
  interop i(engine_role::client,
            {.container_id = "proton-server", .idle_timeout_ms = 1000, .auto_answer = true});
  ASSERT_FALSE(i.ours.open({.container_id = "our-client"}));
  i.pump();
  // Only Proton's clock runs: our engine never gets to send its heartbeats.
  for (int k = 0; k < 30; ++k) {
    i.ms += 50;
    i.theirs.tick(i.ms);
    i.pump();
  }
  const peer_closed* c = i.find<peer_closed>();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->error);
  EXPECT_EQ(c->error->name, "amqp:resource-limit-exceeded");
}

}  // namespace
}  // namespace amqp
