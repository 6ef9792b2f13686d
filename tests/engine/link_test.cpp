// Links: attach and detach both ways, termini with every field, settle modes, max-message-size,
// handles, and what becomes of a link's deliveries when it ends.
#include <gtest/gtest.h>

#include <string>

#include "links.hpp"

namespace amqp {
namespace {

using test::as_bytes;
using test::linked_pair;

terminus full_source() {
  return terminus{.address = "queue-a",
                  .durable = terminus_durability::unsettled_state,
                  .expiry_policy = "never",
                  .timeout = 30,
                  .dynamic = true,
                  .dynamic_node_properties = value::map_of({{value::sym("lifetime"), "x"}}),
                  .distribution_mode = "copy",
                  .filter = value::map_of({{value::sym("f"), value::described_of(
                                                                 value::sym("apache.org:selector-filter:string"),
                                                                 "color = 'red'")}}),
                  .default_outcome = value::described_of(value(std::uint64_t{0x26}), value::list_of({})),
                  .outcomes = {"amqp:accepted:list", "amqp:released:list"},
                  .capabilities = {"queue", "shared"}};
}

TEST(link, attach_is_answered_and_each_side_sees_the_others_termini_and_fields) {
  linked_pair p;
  const terminus target{.address = "queue-b",
                        .durable = terminus_durability::configuration,
                        .expiry_policy = "link-detach",
                        .timeout = 5,
                        .capabilities = {"topic"}};
  auto l = p.client.attach_sender(
      p.client_session,
      {.name = "orders",
       .source = full_source(),
       .target = target,
       .snd_settle_mode = sender_settle_mode::unsettled,
       .rcv_settle_mode = receiver_settle_mode::second,
       .max_message_size = 4096,
       .initial_delivery_count = 7,
       .offered_capabilities = {"cap-o"},
       .desired_capabilities = {"cap-d"},
       .properties = value::map_of({{value::sym("p"), "v"}})});
  ASSERT_TRUE(l);
  p.pump();
  const std::vector<link_handle> peer = linked_pair::attached_by_peer(p.server_side);
  ASSERT_EQ(peer.size(), 1u);
  const link_status* at_server = p.server.link(peer[0]);
  ASSERT_NE(at_server, nullptr);
  EXPECT_EQ(at_server->name, "orders");
  EXPECT_EQ(at_server->role, role::receiver);
  EXPECT_TRUE(at_server->attach_received);
  EXPECT_FALSE(at_server->attach_sent);
  EXPECT_EQ(at_server->remote_handle, 0u);
  EXPECT_EQ(at_server->remote_source, full_source());
  EXPECT_EQ(at_server->remote_target, target);
  EXPECT_EQ(at_server->snd_settle_mode, sender_settle_mode::unsettled);
  EXPECT_EQ(at_server->rcv_settle_mode, receiver_settle_mode::second);
  EXPECT_EQ(at_server->delivery_count, 7u);
  EXPECT_EQ(at_server->remote_max_message_size, 4096u);
  EXPECT_EQ(at_server->remote_offered_capabilities, std::vector<std::string>{"cap-o"});
  EXPECT_EQ(at_server->remote_desired_capabilities, std::vector<std::string>{"cap-d"});
  EXPECT_EQ(at_server->remote_properties, value::map_of({{value::sym("p"), "v"}}));
  EXPECT_FALSE(p.client_side.find<peer_attached>());

  ASSERT_FALSE(p.server.attach(peer[0], {.source = full_source(),
                                         .target = target,
                                         .rcv_settle_mode = receiver_settle_mode::second,
                                         .max_message_size = 1000}));
  p.pump();
  const peer_attached* answer = p.client_side.find<peer_attached>();
  ASSERT_NE(answer, nullptr);
  EXPECT_TRUE(answer->answer);
  EXPECT_EQ(answer->link, *l);
  const link_status* at_client = p.client.link(*l);
  EXPECT_TRUE(at_client->attach_sent && at_client->attach_received);
  EXPECT_EQ(at_client->remote_max_message_size, 1000u);
  EXPECT_EQ(at_client->max_message_size, 4096u);
  EXPECT_EQ(at_client->remote_target, target);
  EXPECT_EQ(at_client->rcv_settle_mode, receiver_settle_mode::second);
  // The receiver announces the smaller of what it was asked for and its limit.
  EXPECT_EQ(p.server.link(peer[0])->max_message_size, 1000u);
}

// A receiver asking for rcv-settle-mode second from a sender that answers first settles first:
// that sender would not settle before it.
TEST(link, a_sender_answering_first_to_second_makes_the_receiver_settle_first) {
  linked_pair p;
  auto l = p.client.attach_receiver(p.client_session,
                                    {.name = "r",
                                     .source = terminus{.address = "q"},
                                     .target = terminus{},
                                     .rcv_settle_mode = receiver_settle_mode::second});
  ASSERT_TRUE(l);
  p.pump();
  const std::vector<link_handle> peer = linked_pair::attached_by_peer(p.server_side);
  ASSERT_EQ(peer.size(), 1u);
  EXPECT_EQ(p.client.link(*l)->rcv_settle_mode, receiver_settle_mode::second);
  ASSERT_FALSE(p.server.attach(peer[0], {.source = terminus{.address = "q"},
                                         .target = terminus{},
                                         .rcv_settle_mode = receiver_settle_mode::first}));
  ASSERT_FALSE(p.client.grant_credit(*l, 1));
  p.pump();
  EXPECT_EQ(p.client.link(*l)->rcv_settle_mode, receiver_settle_mode::first);
  ASSERT_TRUE(p.server.send(peer[0], as_bytes("m")));
  p.pump();
  const delivery_handle d = linked_pair::received(p.client_side).at(0);
  EXPECT_FALSE(p.client.settle(d, delivery_state::accepted()));
}

TEST(link, a_receiver_without_its_own_limit_announces_the_engines_max_message_size) {
  linked_pair p;
  auto [sender, receiver] = p.attach_pair({.name = "l", .target = terminus{.address = "q"}});
  EXPECT_EQ(p.client.link(sender)->remote_max_message_size, limits{}.max_message_size);
  EXPECT_EQ(p.server.link(receiver)->max_message_size, limits{}.max_message_size);
}

TEST(link, handles_are_the_lowest_free_and_reused_after_both_detaches) {
  linked_pair p;
  auto a = p.attach_pair({.name = "a", .target = terminus{}});
  auto b = p.attach_pair({.name = "b", .target = terminus{}});
  EXPECT_EQ(p.client.link(a.first)->handle, 0u);
  EXPECT_EQ(p.client.link(b.first)->handle, 1u);
  ASSERT_FALSE(p.client.close_link(a.first));
  p.pump();
  const peer_detached* d = p.server_side.find<peer_detached>();
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->closed);
  EXPECT_EQ(d->link, a.second);
  EXPECT_TRUE(p.client.link(a.first));  // half detached
  ASSERT_FALSE(p.server.close_link(a.second));
  p.pump();
  EXPECT_FALSE(p.client.link(a.first));
  EXPECT_FALSE(p.server.link(a.second));
  EXPECT_EQ(p.client.send(a.first, as_bytes("x")).error(), make_error_code(errc::invalid_handle));
  auto c = p.attach_pair({.name = "c", .target = terminus{}});
  EXPECT_EQ(p.client.link(c.first)->handle, 0u);
}

TEST(link, detach_without_closing_is_reported_as_not_closed_and_carries_its_error) {
  linked_pair p;
  auto [sender, receiver] = p.attach_pair({.name = "l", .target = terminus{}});
  ASSERT_FALSE(p.server.detach(receiver, condition{"amqp:link:detach-forced", "maintenance", {}}));
  p.pump();
  const peer_detached* d = p.client_side.find<peer_detached>();
  ASSERT_NE(d, nullptr);
  EXPECT_FALSE(d->closed);
  ASSERT_TRUE(d->error);
  EXPECT_EQ(d->error->to_string(), "amqp:link:detach-forced: maintenance");
  const std::string line = linked_pair::sent_with(p.server_side, "@detach").at(0);
  EXPECT_EQ(line.find("closed"), std::string::npos) << line;  // closed=false is the default
  EXPECT_NE(line.find("amqp:link:detach-forced"), std::string::npos) << line;
  ASSERT_FALSE(p.client.detach(sender));
  p.pump();
  EXPECT_FALSE(p.client.link(sender));
  EXPECT_EQ(p.client.detach(sender), make_error_code(errc::invalid_handle));
}

TEST(link, a_refused_link_carries_null_termini_and_is_closed) {
  linked_pair p;
  auto l = p.client.attach_receiver(p.client_session,
                                    {.name = "nowhere", .source = terminus{.address = "missing"}});
  ASSERT_TRUE(l);
  p.pump();
  const link_handle peer = linked_pair::attached_by_peer(p.server_side).at(0);
  // Refusing straight away: the engine sends the attach the spec requires first.
  ASSERT_FALSE(p.server.close_link(peer, condition{"amqp:not-found", "no node 'missing'", {}}));
  p.pump();
  const std::vector<std::string> attaches = linked_pair::sent_with(p.server_side, "@attach");
  ASSERT_EQ(attaches.size(), 1u);
  EXPECT_EQ(attaches[0].find("source"), std::string::npos);
  const peer_attached* a = p.client_side.find<peer_attached>();
  ASSERT_NE(a, nullptr);
  EXPECT_FALSE(p.client.link(*l)->remote_source);
  const peer_detached* d = p.client_side.find<peer_detached>();
  ASSERT_NE(d, nullptr);
  EXPECT_TRUE(d->closed);
  EXPECT_EQ(d->error->name, "amqp:not-found");
  ASSERT_FALSE(p.client.close_link(*l));
  p.pump();
  EXPECT_FALSE(p.client.link(*l));
  EXPECT_FALSE(p.server.link(peer));
}

TEST(link, a_link_the_peer_detaches_before_it_was_answered_is_completed_by_the_engine) {
  linked_pair p;
  auto l = p.client.attach_sender(p.client_session, {.name = "brief", .target = terminus{}});
  ASSERT_TRUE(l);
  ASSERT_FALSE(p.client.close_link(*l));
  p.pump();
  const link_handle peer = linked_pair::attached_by_peer(p.server_side).at(0);
  EXPECT_TRUE(p.server_side.find<peer_detached>());
  EXPECT_FALSE(p.server.link(peer));
  EXPECT_FALSE(p.client.link(*l));
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@attach").size(), 1u);
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@detach").size(), 1u);
}

TEST(link, commands_on_links_check_their_state) {
  linked_pair p;
  link_options o{.name = "l", .target = terminus{}};
  EXPECT_EQ(p.client.attach_sender(session_handle{}, o).error(),
            make_error_code(errc::invalid_handle));
  EXPECT_EQ(p.client.attach_sender(p.client_session, {.name = ""}).error(),
            make_error_code(errc::invalid_argument));
  EXPECT_EQ(p.client.attach_sender(p.client_session, {.name = "x", .properties = value("no")}).error(),
            make_error_code(errc::invalid_argument));
  auto l = p.client.attach_sender(p.client_session, o);
  ASSERT_TRUE(l);
  // Before the peer's attach, nothing can be sent; a sender grants no credit.
  EXPECT_EQ(p.client.send(*l, as_bytes("x")).error(), make_error_code(errc::wrong_state));
  EXPECT_EQ(p.client.grant_credit(*l, 1), make_error_code(errc::wrong_state));
  p.pump();
  const link_handle peer = linked_pair::attached_by_peer(p.server_side).at(0);
  EXPECT_EQ(p.server.attach(peer, o), std::error_code());
  EXPECT_EQ(p.server.attach(peer, o), make_error_code(errc::wrong_state));
  p.pump();
  EXPECT_EQ(p.client.send(*l, as_bytes("x")).error(), make_error_code(errc::no_credit));
  EXPECT_EQ(p.server.complete_drain(peer), make_error_code(errc::wrong_state));
  ASSERT_FALSE(p.client.end_session(p.client_session));
  EXPECT_EQ(p.client.send(*l, as_bytes("x")).error(), make_error_code(errc::wrong_state));
  EXPECT_EQ(p.client.close_link(*l), make_error_code(errc::wrong_state));
}

TEST(link, handles_run_out_at_the_smaller_handle_max) {
  engine_config server = test::server_config();
  server.limits.handle_max = 1;
  linked_pair p(test::client_config(), server);
  EXPECT_TRUE(p.client.attach_sender(p.client_session, {.name = "a", .target = terminus{}}));
  EXPECT_TRUE(p.client.attach_sender(p.client_session, {.name = "b", .target = terminus{}}));
  EXPECT_EQ(p.client.attach_sender(p.client_session, {.name = "c", .target = terminus{}}).error(),
            make_error_code(errc::limit_reached));
}

TEST(link, ending_the_session_ends_its_links_and_what_they_sent_unsettled_is_in_doubt) {
  linked_pair p;
  auto [sender, receiver] = p.attach_pair({.name = "l", .target = terminus{}});
  ASSERT_FALSE(p.server.grant_credit(receiver, 5));
  p.pump();
  auto d1 = p.client.send(sender, as_bytes("one"));
  auto d2 = p.client.send(sender, as_bytes("two"));
  ASSERT_TRUE(d1 && d2);
  p.pump();
  ASSERT_FALSE(p.client.end_session(p.client_session));
  p.pump();
  ASSERT_FALSE(p.server.end_session(p.server_session));
  p.pump();
  EXPECT_FALSE(p.client.link(sender));
  EXPECT_EQ(p.client_side.count<delivery_in_doubt>(), 2u);
  // In doubt, yet still the application's until it lets go.
  ASSERT_TRUE(p.client.delivery(*d1));
  EXPECT_FALSE(p.client.delivery(*d1)->remote_settled);
  EXPECT_FALSE(p.client.settle(*d1));
  EXPECT_FALSE(p.client.delivery(*d1));
  // The receiver keeps what arrived until it settles it.
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(test::as_string(p.server.payload(got[1])), "two");
  EXPECT_FALSE(p.server.settle(got[1], delivery_state::accepted()));
  EXPECT_TRUE(linked_pair::sent_with(p.server_side, "@disposition").empty());
}

}  // namespace
}  // namespace amqp
