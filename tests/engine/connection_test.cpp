// The connection: header exchange, open, close, end of input, as two engines see it and as the
// frames on the wire show it.
#include <gtest/gtest.h>

#include <string>

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "pair.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;
using test::engine_pair;

TEST(connection, a_client_pipelines_its_header_and_open_before_reading_anything) {
  connection_engine client({.role = engine_role::client});
  EXPECT_TRUE(client.pending_output().empty());
  ASSERT_FALSE(client.open({.container_id = "c"}));
  const bytes_view out = client.pending_output();
  ASSERT_GT(out.size(), 8u);
  EXPECT_EQ(test::to_hex(out.first(8)), "41 4d 51 50 00 01 00 00");
  const auto h = parse_frame_header(out.subspan(8), 512);
  ASSERT_TRUE(h);
  EXPECT_EQ(h->size, out.size() - 8);  // the open follows at once, as the whole rest
  EXPECT_LE(h->size, 512u);
}

TEST(connection, a_server_answers_the_header_at_once_and_opens_when_told) {
  engine_pair p;
  ASSERT_FALSE(p.client.open({.container_id = "client-1"}));
  p.pump();
  // The server wrote its header on reading the client's, but no open until the application
  // decides to accept the peer.
  EXPECT_EQ(p.server_side.sent(), std::vector<std::string>{"-> [0] AMQP 1.0.0"});
  EXPECT_EQ(p.server_side.count<peer_opened>(), 1u);
  EXPECT_FALSE(p.client_side.find<peer_opened>());
  ASSERT_FALSE(p.server.open({.container_id = "server-1"}));
  p.pump();
  EXPECT_EQ(p.client_side.count<peer_opened>(), 1u);
  ASSERT_NE(p.client.remote_open(), nullptr);
  EXPECT_EQ(p.client.remote_open()->container_id, "server-1");
}

TEST(connection, every_open_field_reaches_the_peer) {
  engine_config server_cfg = test::server_config();
  server_cfg.limits.max_frame_size = 4096;
  server_cfg.limits.channel_max = 9;
  engine_pair p(test::client_config(), server_cfg);
  const open_options client{
      .container_id = "client-1",
      .hostname = "vhost.example",
      .idle_timeout = 30s,
      .outgoing_locales = {"en-US"},
      .incoming_locales = {"en-US", "fr-FR"},
      .offered_capabilities = {"ANONYMOUS-RELAY"},
      .desired_capabilities = {"DELAYED_DELIVERY", "SHARED-SUBS"},
      .properties = value::map_of({{value::sym("product"), "amqp-engine"},
                                   {value::sym("version"), std::int32_t{7}}}),
  };
  open_pair(p, client);
  const open_fields* r = p.server.remote_open();
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(r->container_id, "client-1");
  EXPECT_EQ(r->hostname, "vhost.example");
  EXPECT_EQ(r->max_frame_size, 1u << 20);
  EXPECT_EQ(r->channel_max, 255);
  EXPECT_EQ(r->idle_timeout, 15s);  // half the local timeout (2.4.5)
  EXPECT_EQ(r->outgoing_locales, std::vector<std::string>{"en-US"});
  EXPECT_EQ(r->incoming_locales, (std::vector<std::string>{"en-US", "fr-FR"}));
  EXPECT_EQ(r->offered_capabilities, std::vector<std::string>{"ANONYMOUS-RELAY"});
  EXPECT_EQ(r->desired_capabilities,
            (std::vector<std::string>{"DELAYED_DELIVERY", "SHARED-SUBS"}));
  EXPECT_EQ(r->properties, client.properties);
  // And the server's limits reach the client as its open's max-frame-size and channel-max;
  // fields left unset are absent, not sent as defaults.
  const open_fields* s = p.client.remote_open();
  ASSERT_NE(s, nullptr);
  EXPECT_EQ(s->max_frame_size, 4096u);
  EXPECT_EQ(s->channel_max, 9);
  EXPECT_FALSE(s->hostname);
  EXPECT_FALSE(s->idle_timeout);
  EXPECT_TRUE(s->properties.is_null());
}

TEST(connection, frames_are_sent_within_the_smaller_max_frame_size) {
  engine_config server_cfg = test::server_config();
  server_cfg.limits.max_frame_size = 2048;
  engine_pair p(test::client_config(), server_cfg);
  EXPECT_EQ(p.client.max_frame_size(), 512u);  // before the peer's open: the minimum
  open_pair(p);
  EXPECT_EQ(p.client.max_frame_size(), 2048u);
  EXPECT_EQ(p.server.max_frame_size(), 2048u);
}

TEST(connection, a_close_with_an_error_reaches_the_peer_and_both_finish) {
  engine_pair p;
  open_pair(p);
  const condition why{"amqp:internal-error", "database unavailable",
                      value::map_of({{value::sym("retry-after"), std::uint32_t{5}}})};
  ASSERT_FALSE(p.client.close(why));
  p.pump();
  const peer_closed* c = p.server_side.find<peer_closed>();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->error);
  EXPECT_EQ(*c->error, why);
  // Half closed: the client waits for the server's close.
  EXPECT_FALSE(p.client.is_finished());
  EXPECT_FALSE(p.client_side.find<transport_closed>());
  ASSERT_FALSE(p.server.close());
  p.pump();
  for (auto* side : {&p.client_side, &p.server_side}) {
    const transport_closed* t = side->find<transport_closed>();
    ASSERT_NE(t, nullptr);
    EXPECT_FALSE(t->error) << t->error->to_string();
    EXPECT_TRUE(side->engine.is_finished());
    EXPECT_FALSE(side->engine.wants_input());
  }
  const peer_closed* back = p.client_side.find<peer_closed>();
  ASSERT_NE(back, nullptr);
  EXPECT_FALSE(back->error);
}

TEST(connection, a_client_that_closes_before_the_servers_open_still_ends_cleanly) {
  // A short-lived client pipelines header, open and close; the server's open, already on its
  // way, still comes before the server's close (spec Part 2, 2.4.1, 2.4.6).
  engine_pair p;
  ASSERT_FALSE(p.client.open({.container_id = "client-1"}));
  ASSERT_FALSE(p.client.close());
  p.pump();
  ASSERT_TRUE(p.server_side.find<peer_opened>());
  ASSERT_TRUE(p.server_side.find<peer_closed>());
  ASSERT_FALSE(p.server.open({.container_id = "server-1"}));
  ASSERT_FALSE(p.server.close());
  p.pump();
  EXPECT_EQ(p.client_side.count<peer_opened>(), 1u);
  EXPECT_EQ(p.client_side.count<protocol_violation>(), 0u);
  for (auto* side : {&p.client_side, &p.server_side}) {
    const transport_closed* t = side->find<transport_closed>();
    ASSERT_NE(t, nullptr);
    EXPECT_FALSE(t->error) << t->error->to_string();
    EXPECT_TRUE(side->engine.is_finished());
  }
  ASSERT_NE(p.client.remote_open(), nullptr);
  EXPECT_EQ(p.client.remote_open()->container_id, "server-1");
}

TEST(connection, the_end_of_input_before_close_is_a_transport_error) {
  engine_pair p;
  open_pair(p);
  p.server.feed_eof(p.now);
  p.server_side.drain_events();
  const transport_closed* t = p.server_side.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->error);
  EXPECT_EQ(t->error->name, "amqp:connection:framing-error");
  EXPECT_EQ(t->error->description, "connection aborted: the input ended before the peer's close");
  EXPECT_FALSE(p.server.wants_input());
  EXPECT_TRUE(p.server.is_finished());
}

TEST(connection, commands_out_of_state_are_refused_and_change_nothing) {
  connection_engine e({.role = engine_role::client});
  EXPECT_EQ(e.close(), make_error_code(errc::wrong_state));  // nothing to close yet
  EXPECT_EQ(e.open({}), make_error_code(errc::invalid_argument));  // no container id
  EXPECT_EQ(e.open({.container_id = "c", .properties = "not a map"}),
            make_error_code(errc::invalid_argument));
  EXPECT_TRUE(e.pending_output().empty());
  ASSERT_FALSE(e.open({.container_id = "c"}));
  EXPECT_EQ(e.open({.container_id = "c"}), make_error_code(errc::wrong_state));
  ASSERT_FALSE(e.close());
  EXPECT_EQ(e.close(), make_error_code(errc::wrong_state));
  EXPECT_EQ(e.close(condition{}), make_error_code(errc::wrong_state));
}

TEST(connection, an_open_too_large_for_a_first_frame_is_refused) {
  connection_engine e({.role = engine_role::client});
  const std::string long_name(600, 'x');
  EXPECT_EQ(e.open({.container_id = long_name}), make_error_code(errc::invalid_argument));
  EXPECT_TRUE(e.pending_output().empty());  // not even the header
  EXPECT_FALSE(e.open({.container_id = "short"}));
}

TEST(connection, a_condition_too_large_for_the_peer_is_sent_without_its_description) {
  engine_config server_cfg = test::server_config();
  server_cfg.limits.max_frame_size = 512;
  engine_pair p(test::client_config(), server_cfg);
  open_pair(p);
  ASSERT_FALSE(p.client.close(condition{"amqp:internal-error", std::string(600, 'd'), {}}));
  p.pump();
  const peer_closed* c = p.server_side.find<peer_closed>();
  ASSERT_NE(c, nullptr);
  ASSERT_TRUE(c->error);
  EXPECT_EQ(c->error->name, "amqp:internal-error");
  EXPECT_EQ(c->error->description, "");
}

TEST(connection, abort_drops_everything_at_once) {
  engine_pair p;
  open_pair(p);
  ASSERT_FALSE(p.client.close());
  p.client.abort();
  EXPECT_TRUE(p.client.pending_output().empty());
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_FALSE(p.client.wants_input());
  EXPECT_FALSE(p.client.next_deadline());
}

// The whole conversation, with the bytes cut into every chunk size from 1 byte up: the
// events and the frames are the same however the input arrives.
TEST(connection, every_chunking_gives_the_same_conversation) {
  std::vector<std::string> first_client, first_server;
  for (std::size_t chunk = 0; chunk <= 64; ++chunk) {
    engine_pair p;
    p.chunk = chunk;
    open_pair(p);
    ASSERT_FALSE(p.client.close(condition{"amqp:not-allowed", "bye", {}}));
    p.pump();
    ASSERT_FALSE(p.server.close());
    p.pump();
    ASSERT_TRUE(p.client.is_finished()) << chunk;
    ASSERT_TRUE(p.server.is_finished()) << chunk;
    if (chunk == 0) {
      first_client = p.client_side.trace.lines;
      first_server = p.server_side.trace.lines;
    } else {
      EXPECT_EQ(p.client_side.trace.lines, first_client) << chunk;
      EXPECT_EQ(p.server_side.trace.lines, first_server) << chunk;
    }
    EXPECT_EQ(p.client_side.events.size(), 3u) << chunk;  // opened, closed, transport closed
    EXPECT_EQ(p.server_side.events.size(), 3u) << chunk;
  }
}

TEST(connection, the_trace_shows_both_directions_with_stream_offsets) {
  engine_pair p;
  open_pair(p);
  ASSERT_FALSE(p.client.close());
  p.pump();
  ASSERT_FALSE(p.server.close());
  p.pump();
  const std::vector<std::string> expected{
      "-> [0] AMQP 1.0.0",
      "-> [8] ch 0 @open(0x10) {container-id: \"client-1\", max-frame-size: uint 1048576, "
      "channel-max: ushort 255}",
      "<- [0] AMQP 1.0.0",
      "<- [8] ch 0 @open(0x10) {container-id: \"server-1\", max-frame-size: uint 1048576, "
      "channel-max: ushort 255}",
      "-> [41] ch 0 @close(0x18) {}",
      "<- [41] ch 0 @close(0x18) {}",
  };
  EXPECT_EQ(p.client_side.trace.lines, expected);
}

}  // namespace
}  // namespace amqp
