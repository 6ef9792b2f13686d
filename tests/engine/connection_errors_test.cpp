// A hostile or broken peer at the connection level: each kind of bad input closes the
// connection with the right condition and a description a person can act on.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "pair.hpp"
#include "support/hex.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;

// A server engine fed bytes written by hand, as a peer that is not an engine would send them.
struct raw_peer {
  explicit raw_peer(engine_config cfg = test::server_config()) : server(std::move(cfg)) {}
  test::engine_side server;
  writer in;  // what the "client" sends
  time_point now{1h};

  raw_peer& header() {
    write_protocol_header(in, protocol_id::amqp);
    return *this;
  }
  raw_peer& open(std::uint16_t channel = 0) {
    spec::open o{.container_id = "raw"};
    (void)write_frame(in, frame_type::amqp, channel, o);
    return *this;
  }
  raw_peer& bytes(std::string_view hex) {
    in.append(test::hex(hex));
    return *this;
  }
  // Feeds everything written so far, then polls the events.
  void send() {
    EXPECT_EQ(server.engine.feed(in.view(), now), in.size());
    in.clear();
    server.drain_events();
  }
  const condition* violation() const {
    const protocol_violation* v = server.find<protocol_violation>();
    return v ? &v->error : nullptr;
  }
  // The close the server sent, as a trace line.
  std::string close_line() const {
    for (const std::string& l : server.sent())
      if (l.find("@close(0x18)") != std::string::npos) return l;
    return {};
  }
};

TEST(connection_errors, a_header_that_is_not_amqp_is_answered_with_ours_then_the_end) {
  raw_peer p;
  p.bytes("47 45 54 20 2f 20 48 54");  // "GET / HT"
  p.send();
  EXPECT_EQ(p.server.sent(), std::vector<std::string>{"-> [0] AMQP 1.0.0"});
  const transport_closed* t = p.server.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->error);
  EXPECT_EQ(t->error->name, "amqp:connection:framing-error");
  EXPECT_EQ(t->error->description,
            "the peer's protocol header is not AMQP 1.0: invalid protocol header at offset 0 of "
            "the input stream");
  EXPECT_FALSE(p.server.engine.wants_input());
}

TEST(connection_errors, a_sasl_header_is_refused_by_a_plain_amqp_engine) {
  raw_peer p;
  p.bytes("41 4d 51 50 03 01 00 00");
  p.send();
  EXPECT_EQ(p.server.sent(), std::vector<std::string>{"-> [0] AMQP 1.0.0"});
  const transport_closed* t = p.server.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->error);
  EXPECT_EQ(t->error->description,
            "the peer asked for AMQP 3.1.0.0, but this connection speaks plain AMQP 1.0 only");
}

TEST(connection_errors, the_first_frame_must_be_open) {
  raw_peer p;
  p.header();
  (void)write_frame(p.in, frame_type::amqp, 0, spec::begin{.next_outgoing_id = 0});
  p.send();
  const condition* v = p.violation();
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->name, "amqp:illegal-state");
  EXPECT_EQ(v->description,
            "the first frame after the protocol header must be open (spec Part 2, 2.4.1), not begin");
  // The server had not opened: it sends a minimal open, then the close (2.4.1).
  const std::vector<std::string> sent = p.server.sent();
  ASSERT_EQ(sent.size(), 3u);
  EXPECT_TRUE(sent[1].starts_with("-> [8] ch 0 @open(0x10) {container-id: \"\"")) << sent[1];
  EXPECT_NE(sent[2].find(":amqp:illegal-state"), std::string::npos) << sent[2];
}

TEST(connection_errors, open_on_a_channel_other_than_zero_is_a_framing_error) {
  raw_peer p;
  p.header().open(3).send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->name, "amqp:connection:framing-error");
  EXPECT_EQ(p.violation()->description,
            "open arrived on channel 3; it is only sent on channel 0 (spec Part 2, 2.4.1)");
}

TEST(connection_errors, a_second_open_is_an_illegal_state) {
  raw_peer p;
  p.header().open().open().send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->name, "amqp:illegal-state");
  EXPECT_EQ(p.violation()->description, "a second open arrived");
}

TEST(connection_errors, an_open_without_its_mandatory_container_id_is_a_decode_error) {
  raw_peer p;
  p.header().bytes("00 00 00 0c 02 00 00 00  00 53 10 45");  // open with an empty field list
  p.send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->name, "amqp:decode-error");
  EXPECT_EQ(p.violation()->description,
            "invalid open frame: mandatory field is missing at offset 19");
  EXPECT_NE(p.close_line().find(":amqp:decode-error"), std::string::npos);
}

TEST(connection_errors, a_max_frame_size_below_512_is_refused) {
  raw_peer p;
  p.header();
  (void)write_frame(p.in, frame_type::amqp, 0, spec::open{.container_id = "x", .max_frame_size = 100});
  p.send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->name, "amqp:frame-size-too-small");
  EXPECT_FALSE(p.server.find<peer_opened>());
}

TEST(connection_errors, a_frame_over_the_max_frame_size_is_a_framing_error_and_ends_the_input) {
  engine_config cfg = test::server_config();
  cfg.limits.max_frame_size = 1024;
  raw_peer p(cfg);
  p.header().open().bytes("00 00 10 00 02 00 00 00");  // a 4096-byte frame announced
  p.send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->name, "amqp:connection:framing-error");
  EXPECT_EQ(p.violation()->description,
            "frame size above the maximum frame size at offset 27 of the input stream");
  // The stream cannot be followed past a bad frame header, so the transport ends at once.
  const transport_closed* t = p.server.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->error, *p.violation());
  EXPECT_FALSE(p.server.engine.wants_input());
  EXPECT_NE(p.close_line().find(":amqp:connection:framing-error"), std::string::npos);
}

TEST(connection_errors, a_malformed_value_in_a_frame_is_a_decode_error) {
  raw_peer p;
  // After open: a frame whose body is a string with invalid UTF-8.
  p.header().open().bytes("00 00 00 0e 02 00 00 00  00 53 10 a1 01 ff");
  p.send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->name, "amqp:decode-error");
  EXPECT_EQ(p.violation()->description, "invalid open frame: invalid UTF-8 in string at offset 40");
}

TEST(connection_errors, a_frame_that_is_not_a_performative_is_a_decode_error) {
  raw_peer p;
  p.header().open().bytes("00 00 00 0c 02 00 00 00  00 53 70 45");  // a header section
  p.send();
  ASSERT_NE(p.violation(), nullptr);
  EXPECT_EQ(p.violation()->name, "amqp:decode-error");
  EXPECT_EQ(p.violation()->description, "the frame at offset 27 holds no performative but a header");
}

TEST(connection_errors, after_a_violation_only_the_peers_close_is_read) {
  raw_peer p;
  p.header().open().open();
  (void)write_frame(p.in, frame_type::amqp, 0, spec::open{.container_id = "third"});
  (void)write_frame(p.in, frame_type::amqp, 0, spec::close{});
  p.send();
  EXPECT_EQ(p.server.count<protocol_violation>(), 1u);  // the third open is discarded
  EXPECT_FALSE(p.server.find<peer_closed>());           // the close answers ours
  const transport_closed* t = p.server.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  ASSERT_TRUE(t->error);
  EXPECT_EQ(t->error->name, "amqp:illegal-state");
  EXPECT_TRUE(p.server.engine.is_finished() || !p.server.engine.pending_output().empty());
}

TEST(connection_errors, an_invalid_close_still_ends_the_conversation_and_is_reported_first) {
  raw_peer p;
  p.header().open().bytes("00 00 00 10 02 00 00 00  00 53 18 c0 03 01 54 07");  // error: 7
  p.send();
  ASSERT_GE(p.server.events.size(), 3u);
  EXPECT_TRUE(std::holds_alternative<peer_opened>(p.server.events[0]));
  const auto* v = std::get_if<protocol_violation>(&p.server.events[1]);
  ASSERT_NE(v, nullptr);
  EXPECT_EQ(v->error.name, "amqp:decode-error");
  EXPECT_EQ(v->error.description, "invalid close frame: field has the wrong type at offset 41");
  // transport_closed comes last, and only once.
  ASSERT_EQ(p.server.events.size(), 3u);
  const auto* t = std::get_if<transport_closed>(&p.server.events[2]);
  ASSERT_NE(t, nullptr);
  EXPECT_EQ(t->error, v->error);
}

TEST(connection_errors, a_peer_that_opens_and_closes_at_once_is_still_answered_with_open_and_close) {
  raw_peer p;
  p.header().open();
  (void)write_frame(p.in, frame_type::amqp, 0, spec::close{});
  p.send();  // both arrive before the application answers either
  ASSERT_TRUE(p.server.find<peer_opened>());
  ASSERT_TRUE(p.server.find<peer_closed>());
  EXPECT_FALSE(p.server.engine.wants_input());
  ASSERT_FALSE(p.server.engine.open({.container_id = "server"}));
  ASSERT_FALSE(p.server.engine.close());
  p.server.drain_events();
  const transport_closed* t = p.server.find<transport_closed>();
  ASSERT_NE(t, nullptr);
  EXPECT_FALSE(t->error);
  p.server.engine.consume_output(p.server.engine.pending_output().size());
  EXPECT_TRUE(p.server.engine.is_finished());
}

TEST(connection_errors, bytes_after_the_end_are_ignored) {
  raw_peer p;
  p.header().open();
  (void)write_frame(p.in, frame_type::amqp, 0, spec::close{});
  p.bytes("de ad be ef");
  p.send();
  EXPECT_TRUE(p.server.find<peer_closed>());
  EXPECT_FALSE(p.server.find<protocol_violation>());
  EXPECT_FALSE(p.server.engine.wants_input());
}

TEST(connection_errors, a_full_event_queue_stops_the_reader_until_events_are_polled) {
  engine_config cfg = test::server_config();
  cfg.limits.max_pending_events = 1;
  test::engine_side server(cfg);
  writer in;
  write_protocol_header(in, protocol_id::amqp);
  (void)write_frame(in, frame_type::amqp, 0, spec::open{.container_id = "c"});
  const std::size_t open_end = in.size();
  (void)write_frame(in, frame_type::amqp, 0, spec::close{});
  const time_point now{1h};
  // The open's event fills the queue: the close waits, unread, until it is polled.
  EXPECT_EQ(server.engine.feed(in.view(), now), open_end);
  ASSERT_TRUE(server.engine.poll_event());
  EXPECT_EQ(server.engine.feed(in.view().subspan(open_end), now), in.size() - open_end);
  auto e = server.engine.poll_event();
  ASSERT_TRUE(e);
  EXPECT_TRUE(std::holds_alternative<peer_closed>(*e));
}

}  // namespace
}  // namespace amqp
