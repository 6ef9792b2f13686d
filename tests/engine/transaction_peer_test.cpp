// Transactions on the wire (spec Part 4): what a peer may get wrong about them, written by
// hand frame by frame.
#include <gtest/gtest.h>

#include <string>
#include <variant>

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "transactions.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;
using test::as_bytes;
using test::described;
using test::linked_pair;
using test::message_of;
using test::txn_properties;

// --- a peer that gets transactions wrong ---------------------------------------------------

// A server engine whose client is written by hand: open, one session, and frames a peer that
// is not an engine might send. The server's application answers the session and every link,
// granting credit to those it receives on.
struct raw_client {
  raw_client() {
    write_protocol_header(in, protocol_id::amqp);
    frame(spec::open{.container_id = "raw"});
    frame(spec::begin{.next_outgoing_id = 0, .incoming_window = 100, .outgoing_window = 100});
    send();
  }
  test::engine_side server{test::server_config()};
  writer in;
  time_point now{1h};
  session_handle session;

  template <class T>
  raw_client& frame(const T& performative, bytes_view payload = {}) {
    EXPECT_FALSE(write_frame(in, frame_type::amqp, 0, performative, payload));
    return *this;
  }
  raw_client& disposition(const value& state) {
    return frame(spec::disposition{.role = role::receiver, .first = 0, .state = state});
  }
  void send() {
    EXPECT_EQ(server.engine.feed(in.view(), now), in.size());
    in.clear();
    const std::size_t seen = server.events.size();
    server.drain_events();
    for (std::size_t i = seen; i < server.events.size(); ++i) {
      const event e = server.events[i];
      if (std::holds_alternative<peer_opened>(e))
        (void)server.engine.open({.container_id = "server"});
      if (const auto* b = std::get_if<peer_began_session>(&e))
        session = b->session, (void)server.engine.begin_session(b->session, {});
      if (const auto* a = std::get_if<peer_attached>(&e)) {
        (void)server.engine.attach(a->link, {.target = terminus{}});
        (void)server.engine.grant_credit(a->link, 10);
      }
    }
    server.drain_events();
  }
  const protocol_violation* violation() const { return server.find<protocol_violation>(); }
  std::vector<std::string> sent(std::string_view what) const {
    return linked_pair::sent_with(server, what);
  }
};

value bin_of_size(std::size_t n) {
  return value::bin(as_bytes(message_of(n)));
}

struct bad_state_case {
  std::string name;
  value state;
  std::string description;  // how the violation's description ends
};

TEST(transaction, a_disposition_naming_a_transaction_badly_ends_the_session) {
  const value accepted = described(0x24, value::list_of({}));
  const std::vector<bad_state_case> cases = {
      {"declared with a string id", described(0x33, value::list_of({"tx"})),
       "field has the wrong type at offset 0"},
      {"declared with 65 bytes", described(0x33, value::list_of({bin_of_size(65)})),
       "value too large for its encoding at offset 0"},
      {"declared without an id", described(0x33, value::list_of({})),
       "mandatory field is missing at offset 3"},
      {"transactional-state with a string id", described(0x34, value::list_of({"tx", accepted})),
       "field has the wrong type at offset 0"},
      {"transactional-state with 65 bytes",
       described(0x34, value::list_of({bin_of_size(65), accepted})),
       "value too large for its encoding at offset 0"},
      {"transactional-state whose outcome is received",
       described(0x34,
                 value::list_of(
                     {bin_of_size(4), described(0x23, value::list_of({value(std::uint32_t{0}),
                                                                      value(std::uint64_t{0})}))})),
       "unexpected descriptor at offset 0"},
      {"transactional-state whose outcome is declared",
       described(0x34, value::list_of(
                           {bin_of_size(4), described(0x33, value::list_of({bin_of_size(4)}))})),
       "unexpected descriptor at offset 0"},
  };
  for (const bad_state_case& c : cases) {
    SCOPED_TRACE(c.name);
    raw_client p;
    p.disposition(c.state).send();
    const protocol_violation* v = p.violation();
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->error.name, "amqp:decode-error");
    EXPECT_TRUE(v->error.description.starts_with("invalid delivery state in a disposition: "))
        << v->error.description;
    EXPECT_TRUE(v->error.description.ends_with(c.description)) << v->error.description;
    EXPECT_EQ(v->session, p.session);
    ASSERT_EQ(p.sent("@end").size(), 1u);
    EXPECT_NE(p.sent("@end")[0].find("amqp:decode-error"), std::string::npos) << p.sent("@end")[0];
    EXPECT_TRUE(p.sent("@close").empty());  // the connection goes on
  }
}

TEST(transaction, a_disposition_naming_a_transaction_of_64_bytes_or_none_is_taken) {
  raw_client p;
  const value accepted = described(0x24, value::list_of({}));
  p.disposition(described(0x34, value::list_of({bin_of_size(64), accepted})))
      .disposition(described(0x33, value::list_of({bin_of_size(64)})))
      .disposition(described(0x34, value::list_of({value::bin({})})))
      .send();
  EXPECT_EQ(p.violation(), nullptr);
}

TEST(transaction, a_transfer_naming_a_transaction_badly_ends_the_session) {
  // Read as no state, the message would count at once, whatever became of its transaction.
  const value accepted = described(0x24, value::list_of({}));
  for (const value& state : {described(0x34, value::list_of({bin_of_size(65)})),
                             described(0x34, value::list_of({"tx", accepted}))}) {
    raw_client p;
    const value target = described(0x29, value::list_of({"q"}));
    p.frame(spec::attach{.name = "s",
                         .handle = 0,
                         .role = role::sender,
                         .target = target,
                         .initial_delivery_count = 0})
        .send();
    ASSERT_EQ(p.violation(), nullptr);
    const std::uint8_t tag[] = {0};
    p.frame(spec::transfer{.handle = 0,
                           .delivery_id = 0,
                           .delivery_tag = bytes_view(tag),
                           .message_format = 0,
                           .state = state},
            as_bytes("m"))
        .send();
    const protocol_violation* v = p.violation();
    ASSERT_NE(v, nullptr);
    EXPECT_EQ(v->error.name, "amqp:decode-error");
    EXPECT_TRUE(v->error.description.starts_with("invalid delivery state in a transfer: "))
        << v->error.description;
    EXPECT_TRUE(linked_pair::received(p.server).empty());
    EXPECT_EQ(p.sent("@end").size(), 1u);
  }
}

TEST(transaction, a_receiver_keeps_the_link_state_properties_of_the_senders_latest_flow) {
  // No engine's sender sends any (grant_credit is a receiver's), but another peer's may: the
  // receiver's status shows the latest, as a sender's does.
  raw_client p;
  const value target = described(0x29, value::list_of({"q"}));
  p.frame(spec::attach{.name = "s",
                       .handle = 0,
                       .role = role::sender,
                       .target = target,
                       .initial_delivery_count = 0})
      .send();
  const peer_attached* a = p.server.find<peer_attached>();
  ASSERT_NE(a, nullptr);
  const value properties = txn_properties("tx-s");
  p.frame(spec::flow{.next_incoming_id = 0,
                     .incoming_window = 100,
                     .next_outgoing_id = 0,
                     .outgoing_window = 100,
                     .handle = 0,
                     .delivery_count = 0,
                     .link_credit = 0,
                     .available = 3,
                     .properties = properties})
      .send();
  ASSERT_EQ(p.violation(), nullptr);
  EXPECT_EQ(p.server.engine.link(a->link)->remote_flow_properties, properties);
  EXPECT_EQ(p.server.engine.link(a->link)->available, 3u);
  // A flow without them: none any more.
  p.frame(spec::flow{.next_incoming_id = 0,
                     .incoming_window = 100,
                     .next_outgoing_id = 0,
                     .outgoing_window = 100,
                     .handle = 0,
                     .delivery_count = 0,
                     .link_credit = 0})
      .send();
  EXPECT_TRUE(p.server.engine.link(a->link)->remote_flow_properties.is_null());
}

}  // namespace
}  // namespace amqp
