// Sessions: begin and end both ways, channel allocation and mapping, windows, limits, and the
// protocol errors of the session level.
#include <gtest/gtest.h>

#include <string>

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "pair.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

using test::engine_pair;
using test::engine_side;

// The sessions the peer began on one side, in order of the events.
std::vector<session_handle> began_by_peer(const engine_side& side) {
  std::vector<session_handle> out;
  for (const event& e : side.events)
    if (const auto* b = std::get_if<peer_began_session>(&e); b && !b->answer)
      out.push_back(b->session);
  return out;
}

TEST(session, begin_is_answered_and_both_sides_see_the_others_fields) {
  engine_pair p;
  open_pair(p);
  auto c = p.client.begin_session({.incoming_window = 100,
                                   .outgoing_window = 200,
                                   .offered_capabilities = {"cap-a"},
                                   .properties = value::map_of({{value::sym("k"), "v"}})});
  ASSERT_TRUE(c);
  p.pump();
  const std::vector<session_handle> peer = began_by_peer(p.server_side);
  ASSERT_EQ(peer.size(), 1u);
  auto at_server = p.server.session(peer[0]);
  ASSERT_TRUE(at_server);
  EXPECT_TRUE(at_server->begin_received);
  EXPECT_FALSE(at_server->begin_sent);
  EXPECT_EQ(at_server->remote_channel, 0);
  EXPECT_EQ(at_server->remote_incoming_window, 100u);
  EXPECT_EQ(at_server->remote_outgoing_window, 200u);
  EXPECT_EQ(at_server->remote_handle_max, 1023u);
  EXPECT_EQ(at_server->remote_offered_capabilities, std::vector<std::string>{"cap-a"});
  EXPECT_EQ(at_server->remote_properties, value::map_of({{value::sym("k"), "v"}}));
  EXPECT_FALSE(p.client_side.find<peer_began_session>());  // no answer yet

  ASSERT_FALSE(p.server.begin_session(peer[0], {.incoming_window = 7, .outgoing_window = 8}));
  p.pump();
  const peer_began_session* answered = p.client_side.find<peer_began_session>();
  ASSERT_NE(answered, nullptr);
  EXPECT_TRUE(answered->answer);
  EXPECT_EQ(answered->session, *c);
  auto at_client = p.client.session(*c);
  ASSERT_TRUE(at_client);
  EXPECT_TRUE(at_client->begin_sent && at_client->begin_received);
  EXPECT_EQ(at_client->channel, 0);
  EXPECT_EQ(at_client->remote_channel, 0);
  EXPECT_EQ(at_client->incoming_window, 100u);
  EXPECT_EQ(at_client->remote_incoming_window, 7u);
  EXPECT_EQ(at_client->remote_outgoing_window, 8u);
  EXPECT_EQ(at_client->next_incoming_id, 0u);
  // The server's begin named the client's channel as its remote-channel.
  const std::vector<std::string> sent = p.server_side.sent();
  EXPECT_NE(sent.back().find("@begin(0x11) {remote-channel: ushort 0, next-outgoing-id: uint 0, "
                             "incoming-window: uint 7, outgoing-window: uint 8"),
            std::string::npos)
      << sent.back();
}

TEST(session, channels_are_the_lowest_free_and_mapped_independently_on_each_side) {
  engine_pair p;
  open_pair(p);
  // The server already uses a channel for a session of its own: the client's sessions land
  // on different channel numbers at each end.
  auto own = p.server.begin_session();
  ASSERT_TRUE(own);
  p.pump();
  std::vector<session_handle> mine;
  for (int i = 0; i < 3; ++i) {
    auto s = p.client.begin_session();
    ASSERT_TRUE(s);
    mine.push_back(*s);
  }
  // The client answers the server's session after beginning its own three: channel 3.
  const auto server_began = began_by_peer(p.client_side);
  ASSERT_EQ(server_began.size(), 1u);
  ASSERT_FALSE(p.client.begin_session(server_began[0]));
  p.pump();
  for (session_handle h : began_by_peer(p.server_side)) ASSERT_FALSE(p.server.begin_session(h));
  p.pump();
  for (std::uint16_t i = 0; i < 3; ++i) {
    auto st = p.client.session(mine[i]);
    ASSERT_TRUE(st);
    EXPECT_EQ(st->channel, i);
    EXPECT_EQ(st->remote_channel, i + 1) << "the server's channel 0 was taken by its own";
  }
  auto answered = p.client.session(server_began[0]);
  ASSERT_TRUE(answered);
  EXPECT_EQ(answered->channel, 3);
  EXPECT_EQ(answered->remote_channel, 0);
}

TEST(session, end_with_an_error_reaches_the_peer_and_frees_the_channel) {
  engine_pair p;
  open_pair(p);
  auto c = p.client.begin_session();
  ASSERT_TRUE(c);
  p.pump();
  const session_handle s = began_by_peer(p.server_side).at(0);
  ASSERT_FALSE(p.server.begin_session(s));
  p.pump();

  const condition why{"amqp:resource-limit-exceeded", "too many links", {}};
  ASSERT_FALSE(p.client.end_session(*c, why));
  p.pump();
  const peer_ended_session* ended = p.server_side.find<peer_ended_session>();
  ASSERT_NE(ended, nullptr);
  EXPECT_EQ(ended->session, s);
  EXPECT_EQ(ended->error, why);
  EXPECT_TRUE(p.client.session(*c));  // half ended: waits for the server's end
  ASSERT_FALSE(p.server.end_session(s));
  p.pump();
  // Both ends exchanged: the handles are stale and the channels free again.
  EXPECT_FALSE(p.client.session(*c));
  EXPECT_FALSE(p.server.session(s));
  EXPECT_EQ(p.client.end_session(*c), make_error_code(errc::invalid_handle));
  const peer_ended_session* back = p.client_side.find<peer_ended_session>();
  ASSERT_NE(back, nullptr);
  EXPECT_FALSE(back->error);
  auto again = p.client.begin_session();
  ASSERT_TRUE(again);
  EXPECT_NE(*again, *c);  // same slot, new generation
  EXPECT_EQ(p.client.session(*again)->channel, 0);
}

TEST(session, refusing_a_peers_session_sends_begin_then_end) {
  engine_pair p;
  open_pair(p);
  ASSERT_TRUE(p.client.begin_session());
  p.pump();
  const session_handle s = began_by_peer(p.server_side).at(0);
  ASSERT_FALSE(p.server.end_session(s, condition{"amqp:unauthorized-access", "no sessions", {}}));
  p.pump();
  const std::vector<std::string> sent = p.server_side.sent();
  ASSERT_GE(sent.size(), 2u);
  EXPECT_NE(sent[sent.size() - 2].find("@begin(0x11) {remote-channel: ushort 0"), std::string::npos);
  EXPECT_NE(sent.back().find("@end(0x17) {error: @error(0x1d) {condition: :amqp:unauthorized-access"),
            std::string::npos);
  const peer_ended_session* ended = p.client_side.find<peer_ended_session>();
  ASSERT_NE(ended, nullptr);
  ASSERT_TRUE(ended->error);
  EXPECT_EQ(ended->error->name, "amqp:unauthorized-access");
}

TEST(session, the_smaller_channel_max_bounds_the_sessions) {
  engine_config server_cfg = test::server_config();
  server_cfg.limits.channel_max = 1;
  engine_pair p(test::client_config(), server_cfg);
  open_pair(p);
  ASSERT_TRUE(p.client.begin_session());
  ASSERT_TRUE(p.client.begin_session());
  auto third = p.client.begin_session();
  ASSERT_FALSE(third);
  EXPECT_EQ(third.error(), make_error_code(errc::limit_reached));
}

TEST(session, commands_outside_an_open_connection_are_refused) {
  engine_pair p;
  auto early = p.client.begin_session();
  ASSERT_FALSE(early);
  EXPECT_EQ(early.error(), make_error_code(errc::wrong_state));
  open_pair(p);
  EXPECT_EQ(p.client.end_session(session_handle{}), make_error_code(errc::invalid_handle));
  EXPECT_EQ(p.client.begin_session(session_handle{5, 0}), make_error_code(errc::invalid_handle));
  auto bad = p.client.begin_session({.properties = std::int32_t{1}});
  ASSERT_FALSE(bad);
  EXPECT_EQ(bad.error(), make_error_code(errc::invalid_argument));
  ASSERT_FALSE(p.client.close());
  auto late = p.client.begin_session();
  ASSERT_FALSE(late);
  EXPECT_EQ(late.error(), make_error_code(errc::wrong_state));
}

TEST(session, a_flow_with_echo_is_answered_and_updates_the_peers_windows) {
  engine_pair p;
  open_pair(p);
  auto c = p.client.begin_session();
  ASSERT_TRUE(c);
  p.pump();
  ASSERT_FALSE(p.server.begin_session(began_by_peer(p.server_side).at(0)));
  p.pump();
  // The server's application cannot send a session flow yet; write one by hand into the client.
  writer w;
  (void)write_frame(w, frame_type::amqp, 0,
                    spec::flow{.next_incoming_id = 0, .incoming_window = 50, .next_outgoing_id = 0,
                               .outgoing_window = 60, .echo = true});
  EXPECT_EQ(p.client.feed(w.view(), p.now), w.size());
  auto st = p.client.session(*c);
  ASSERT_TRUE(st);
  EXPECT_EQ(st->remote_incoming_window, 50u);
  EXPECT_EQ(st->remote_outgoing_window, 60u);
  const std::vector<std::string> sent = p.client_side.sent();
  EXPECT_NE(sent.back().find("@flow(0x13) {next-incoming-id: uint 0, incoming-window: uint 2048, "
                             "next-outgoing-id: uint 0, outgoing-window: uint 2048}"),
            std::string::npos)
      << sent.back();
}

TEST(session, a_peer_asking_for_answers_faster_than_output_is_written_is_read_no_further) {
  engine_config client_cfg = test::client_config();
  client_cfg.limits.max_pending_output = 1000;
  engine_pair p(client_cfg, test::server_config());
  open_pair(p);
  ASSERT_TRUE(p.client.begin_session());
  p.pump();
  ASSERT_FALSE(p.server.begin_session(began_by_peer(p.server_side).at(0)));
  p.pump();
  // A hundred echo flows, each asking for a flow back; nobody writes the client's output.
  writer w;
  for (int i = 0; i < 100; ++i)
    (void)write_frame(w, frame_type::amqp, 0,
                      spec::flow{.next_incoming_id = 0, .incoming_window = 1,
                                 .next_outgoing_id = 0, .outgoing_window = 1, .echo = true});
  const std::size_t used = p.client.feed(w.view(), p.now);
  EXPECT_LT(used, w.size());
  EXPECT_LE(p.client.pending_output().size(), 1000u + 64u);  // one answer over, at most
  // Once written, the rest is read.
  p.client.consume_output(p.client.pending_output().size());
  std::size_t more = used;
  while (more < w.size()) {
    const std::size_t n = p.client.feed(w.view().subspan(more), p.now);
    ASSERT_GT(n, 0u);
    more += n;
    p.client.consume_output(p.client.pending_output().size());
  }
}

// Hand-written frames into a server that has opened.
struct opened_server {
  engine_side server;
  time_point now{std::chrono::hours(1)};
  explicit opened_server(engine_config cfg = test::server_config()) : server(std::move(cfg)) {
    writer w;
    write_protocol_header(w, protocol_id::amqp);
    (void)write_frame(w, frame_type::amqp, 0, spec::open{.container_id = "raw"});
    server.engine.feed(w.view(), now);
    EXPECT_FALSE(server.engine.open({.container_id = "server"}));
    server.drain_events();
  }
  template <class T>
  void send(std::uint16_t channel, const T& performative) {
    writer w;
    (void)write_frame(w, frame_type::amqp, channel, performative);
    server.engine.feed(w.view(), now);
    server.drain_events();
  }
  const protocol_violation* violation() const { return server.find<protocol_violation>(); }
};

TEST(session_errors, a_session_the_peer_ends_before_our_answer_is_completed_by_the_engine) {
  opened_server s;
  s.send(0, spec::begin{});
  s.send(0, spec::end{});
  const peer_ended_session* e = s.server.find<peer_ended_session>();
  ASSERT_NE(e, nullptr);
  EXPECT_FALSE(s.server.engine.session(e->session));  // gone: nothing left to decide
  const std::vector<std::string> sent = s.server.sent();
  ASSERT_GE(sent.size(), 2u);
  EXPECT_NE(sent[sent.size() - 2].find("@begin(0x11) {remote-channel: ushort 0"), std::string::npos);
  EXPECT_NE(sent.back().find("@end(0x17)"), std::string::npos);
  EXPECT_FALSE(s.violation());
}

TEST(session_errors, a_peer_that_never_waits_for_our_end_is_stopped_at_the_channel_max) {
  engine_config cfg = test::server_config();
  cfg.limits.channel_max = 1;
  opened_server s(cfg);
  // Begin, get answered, end, and begin again on the same channel, without our end: each
  // session keeps its slot (and our channel) until the application ends it.
  for (int i = 0; i < 2; ++i) {
    s.send(0, spec::begin{});
    const auto* began = std::get_if<peer_began_session>(&s.server.events.back());
    ASSERT_NE(began, nullptr);
    ASSERT_FALSE(s.server.engine.begin_session(began->session));
    s.send(0, spec::end{});
  }
  s.send(0, spec::begin{});
  ASSERT_NE(s.violation(), nullptr);
  EXPECT_EQ(s.violation()->error.name, "amqp:resource-limit-exceeded");
  EXPECT_EQ(s.violation()->error.description,
            "begin on channel 0: all 2 sessions allowed by the channel-max are in use");
}

TEST(session_errors, a_begin_above_the_channel_max_is_not_allowed) {
  opened_server s;
  s.send(256, spec::begin{});
  ASSERT_NE(s.violation(), nullptr);
  EXPECT_EQ(s.violation()->error.name, "amqp:not-allowed");
  EXPECT_EQ(s.violation()->error.description, "begin on channel 256, above the channel-max of 255");
  EXPECT_FALSE(s.violation()->session.is_set());
}

TEST(session_errors, a_second_begin_on_a_channel_is_an_illegal_state) {
  opened_server s;
  s.send(4, spec::begin{});
  s.send(4, spec::begin{});
  ASSERT_NE(s.violation(), nullptr);
  EXPECT_EQ(s.violation()->error.description, "begin on channel 4, where a session has already begun");
}

TEST(session_errors, a_begin_answering_no_begin_of_ours_is_an_illegal_state) {
  opened_server s;
  s.send(0, spec::begin{.remote_channel = 9});
  ASSERT_NE(s.violation(), nullptr);
  EXPECT_EQ(s.violation()->error.name, "amqp:illegal-state");
  EXPECT_EQ(s.violation()->error.description,
            "begin on channel 0 answers channel 9, where no begin awaits an answer");
}

TEST(session_errors, frames_on_a_channel_without_a_session_are_an_illegal_state) {
  opened_server s;
  s.send(3, spec::flow{.next_outgoing_id = 0});
  ASSERT_NE(s.violation(), nullptr);
  EXPECT_EQ(s.violation()->error.description, "flow on channel 3, where no session has begun");
  opened_server t;
  t.send(2, spec::end{});
  ASSERT_NE(t.violation(), nullptr);
  EXPECT_EQ(t.violation()->error.description, "end on channel 2, where no session has begun");
}

TEST(session_errors, an_invalid_begin_is_a_decode_error) {
  opened_server s;
  writer w;  // begin with next-outgoing-id null: a mandatory field missing
  w.append(test::hex("00 00 00 0f 02 00 00 01  00 53 11 c0 02 01 40"));
  s.server.engine.feed(w.view(), s.now);
  s.server.drain_events();
  ASSERT_NE(s.violation(), nullptr);
  EXPECT_EQ(s.violation()->error.name, "amqp:decode-error");
  EXPECT_EQ(s.violation()->error.description,
            "invalid begin frame: mandatory field is missing at offset 38");
}

}  // namespace
}  // namespace amqp
