// Transactions on the wire (spec Part 4): transfers and dispositions inside a transaction, and
// the link-state properties of flows that name one.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "transactions.hpp"

namespace amqp {
namespace {

using test::as_bytes;
using test::as_string;
using test::linked_pair;
using test::message_of;
using test::txn;
using test::txn_properties;

engine_config small_frames(engine_config c) {
  c.limits.max_frame_size = 512;
  return c;
}

// An ordinary link for messages inside transactions: a client sender and a server receiver
// with credit.
struct ready_link : linked_pair {
  explicit ready_link(engine_config server_cfg = test::server_config(), session_options so = {})
      : linked_pair(test::client_config(), std::move(server_cfg), so) {
    std::tie(sender, receiver) = attach_pair({.name = "l", .target = terminus{.address = "q"}});
    EXPECT_FALSE(server.grant_credit(receiver, 100));
    pump();
  }
  link_handle sender;
  link_handle receiver;
};

// --- transfers inside a transaction ---------------------------------------------------------

TEST(transaction, a_transactional_send_names_the_transaction_on_its_transfer) {
  ready_link p;
  const transaction_id id = txn("tx-1");
  auto d = p.client.send(p.sender, as_bytes("in txn"), {.txn = &id});
  ASSERT_TRUE(d);
  EXPECT_EQ(p.client.delivery(*d)->state, delivery_state::transactional(id));
  ASSERT_TRUE(p.client.send(p.sender, as_bytes("outside")));
  p.pump();
  const std::vector<std::string> t = linked_pair::sent_with(p.client_side, "@transfer");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_EQ(t[0],
            "-> [106] ch 0 @transfer(0x14) {handle: uint 0, delivery-id: uint 0, delivery-tag: "
            "b\"\\x00\", message-format: uint 0, state: @transactional-state(0x34) {txn-id: "
            "b\"tx-1\"}} payload 6 bytes: 69 6e 20 74 78 6e");
  EXPECT_EQ(t[1].find("state"), std::string::npos) << t[1];

  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 2u);
  const delivery_state& seen = p.server.delivery(got[0])->remote_state;
  EXPECT_EQ(seen, delivery_state::transactional(id));
  EXPECT_EQ(seen.kind, delivery_state::type::none);  // no outcome yet
  EXPECT_TRUE(seen.is_transactional());
  EXPECT_FALSE(seen.is_outcome());
  EXPECT_FALSE(seen.empty());
  EXPECT_TRUE(p.server.delivery(got[1])->remote_state.empty());
}

TEST(transaction, a_transactional_message_in_many_frames_names_the_transaction_once) {
  ready_link p(small_frames(test::server_config()));
  const transaction_id id = txn("tx-multi");
  const std::string big = message_of(3000);
  ASSERT_TRUE(p.client.send(p.sender, as_bytes(big), {.txn = &id}));
  p.pump();
  const std::vector<std::string> t = linked_pair::sent_with(p.client_side, "@transfer");
  ASSERT_EQ(t.size(), 7u);  // the first carries the state, and fewer bytes
  EXPECT_NE(t[0].find("state: @transactional-state(0x34) {txn-id: b\"tx-multi\"}"),
            std::string::npos)
      << t[0];
  for (std::size_t i = 1; i < t.size(); ++i)
    EXPECT_EQ(t[i].find("state"), std::string::npos) << t[i];
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(as_string(p.server.payload(got[0])), big);
  EXPECT_EQ(p.server.delivery(got[0])->remote_state, delivery_state::transactional(id));
}

TEST(transaction, a_transactional_message_the_window_holds_back_names_it_when_it_goes_out) {
  // The window lets two frames through: the first message's later frames and all of the
  // second wait, and go out as the receiver refills the window.
  ready_link p(small_frames(test::server_config()), {.incoming_window = 2, .outgoing_window = 2});
  const transaction_id first = txn("tx-a");
  const transaction_id second = txn("tx-b");
  const std::string big = message_of(3000);
  ASSERT_TRUE(p.client.send(p.sender, as_bytes(big), {.txn = &first}));
  auto d = p.client.send(p.sender, as_bytes("waits"), {.txn = &second});
  ASSERT_TRUE(d);
  EXPECT_EQ(p.client.link(p.sender)->queued, 2u);
  p.pump();
  const std::vector<std::string> t = linked_pair::sent_with(p.client_side, "@transfer");
  ASSERT_EQ(t.size(), 8u);
  for (std::size_t i = 0; i < t.size(); ++i) {
    const bool first_of_delivery = t[i].find("delivery-id") != std::string::npos;
    EXPECT_EQ(first_of_delivery, i == 0 || i == 7) << t[i];
    EXPECT_EQ(t[i].find("state") != std::string::npos, first_of_delivery) << t[i];
  }
  EXPECT_NE(t[7].find("delivery-id: uint 1, delivery-tag: b\"\\x01\", message-format: uint 0, "
                      "state: @transactional-state(0x34) {txn-id: b\"tx-b\"}}"),
            std::string::npos)
      << t[7];
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(p.server.delivery(got[0])->remote_state, delivery_state::transactional(first));
  EXPECT_EQ(p.server.delivery(got[1])->remote_state, delivery_state::transactional(second));
  EXPECT_EQ(as_string(p.server.payload(got[1])), "waits");
}

TEST(transaction, a_streamed_transactional_message_names_the_transaction_on_its_first_part) {
  ready_link p;
  const transaction_id id = txn("tx-s");
  auto d = p.client.send(p.sender, as_bytes("one, "), {.more = true, .txn = &id});
  ASSERT_TRUE(d);
  ASSERT_FALSE(p.client.send_more(*d, as_bytes("two"), false));
  p.pump();
  const std::vector<std::string> t = linked_pair::sent_with(p.client_side, "@transfer");
  ASSERT_EQ(t.size(), 2u);
  EXPECT_NE(t[0].find("@transactional-state(0x34)"), std::string::npos) << t[0];
  EXPECT_EQ(t[1].find("state"), std::string::npos) << t[1];
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(p.server.delivery(got[0])->remote_state, delivery_state::transactional(id));
}

// --- dispositions inside a transaction ------------------------------------------------------

struct outcome_case {
  delivery_state state;
  std::string wire;
};

TEST(transaction, every_outcome_inside_a_transaction_reaches_the_sender_with_its_id) {
  const transaction_id id = txn("tx-1");
  const std::vector<outcome_case> cases = {
      {delivery_state::transactional(id, delivery_state::accepted()),
       "state: @transactional-state(0x34) {txn-id: b\"tx-1\", outcome: @accepted(0x24) {}}"},
      {delivery_state::transactional(
           id, delivery_state::rejected(condition{"amqp:invalid-field", "no body", {}})),
       "state: @transactional-state(0x34) {txn-id: b\"tx-1\", outcome: @rejected(0x25) {error: "
       "@error(0x1d) {condition: :amqp:invalid-field, description: \"no body\"}}}"},
      {delivery_state::transactional(id, delivery_state::released()),
       "state: @transactional-state(0x34) {txn-id: b\"tx-1\", outcome: @released(0x26) {}}"},
      {delivery_state::transactional(id, delivery_state::modified(true, false)),
       "state: @transactional-state(0x34) {txn-id: b\"tx-1\", outcome: @modified(0x27) "
       "{delivery-failed: true}}"},
      {delivery_state::transactional(id),  // acquired in the transaction, no outcome yet
       "state: @transactional-state(0x34) {txn-id: b\"tx-1\"}"},
  };
  for (const outcome_case& c : cases) {
    SCOPED_TRACE(c.wire);
    ready_link p;
    auto d = p.client.send(p.sender, as_bytes("m"));
    ASSERT_TRUE(d);
    p.pump();
    const delivery_handle r = linked_pair::received(p.server_side).at(0);
    ASSERT_FALSE(p.server.settle(r, c.state));
    p.pump();
    const std::string line = linked_pair::sent_with(p.server_side, "@disposition").at(0);
    EXPECT_EQ(line,
              "-> [147] ch 0 @disposition(0x15) {role: receiver, first: uint 0, settled: "
              "true, " +
                  c.wire + "}");
    const delivery_status* st = p.client.delivery(*d);
    ASSERT_NE(st, nullptr);
    EXPECT_EQ(st->remote_state, c.state);
    EXPECT_EQ(st->remote_state.kind, c.state.kind);
    ASSERT_TRUE(st->remote_state.txn);
    EXPECT_EQ(*st->remote_state.txn, id);
    EXPECT_TRUE(st->remote_state.is_transactional());
    EXPECT_TRUE(st->remote_settled);
  }
}

TEST(transaction, an_unsettled_transactional_state_update_reaches_the_sender) {
  ready_link p;
  const transaction_id id = txn("tx-u");
  auto d = p.client.send(p.sender, as_bytes("m"));
  p.pump();
  const delivery_handle r = linked_pair::received(p.server_side).at(0);
  const delivery_state provisional = delivery_state::transactional(id, delivery_state::accepted());
  ASSERT_FALSE(p.server.update_state(r, provisional));
  p.pump();
  EXPECT_EQ(p.client.delivery(*d)->remote_state, provisional);
  EXPECT_FALSE(p.client.delivery(*d)->remote_settled);
  // Settled later without a state: the state given before goes with the settlement.
  ASSERT_FALSE(p.server.settle(r));
  p.pump();
  const std::vector<std::string> lines = linked_pair::sent_with(p.server_side, "@disposition");
  ASSERT_EQ(lines.size(), 2u);
  EXPECT_NE(lines[1].find("settled: true, state: @transactional-state(0x34) {txn-id: "
                          "b\"tx-u\", outcome: @accepted(0x24) {}}"),
            std::string::npos)
      << lines[1];
  EXPECT_TRUE(p.client.delivery(*d)->remote_settled);
  EXPECT_EQ(p.client.delivery(*d)->remote_state, provisional);
}

TEST(transaction, transactional_settlements_are_never_merged_while_plain_ones_still_are) {
  ready_link p;
  const transaction_id id = txn("tx-1");
  for (int i = 0; i < 8; ++i) ASSERT_TRUE(p.client.send(p.sender, as_bytes("m")));
  p.pump();
  const std::vector<delivery_handle> got = linked_pair::received(p.server_side);
  ASSERT_EQ(got.size(), 8u);
  // Each names the transaction: a range would say it once for all, which the spec allows,
  // but a range carries a state by kind alone here.
  for (int i = 0; i < 3; ++i)
    ASSERT_FALSE(
        p.server.settle(got[i], delivery_state::transactional(id, delivery_state::accepted())));
  for (int i = 3; i < 6; ++i) ASSERT_FALSE(p.server.settle(got[i], delivery_state::accepted()));
  for (int i = 6; i < 8; ++i)
    ASSERT_FALSE(
        p.server.settle(got[i], delivery_state::transactional(id, delivery_state::released())));
  p.pump();
  const std::string in_txn =
      "settled: true, state: @transactional-state(0x34) {txn-id: b\"tx-1\", outcome: ";
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@disposition"),
            (std::vector<std::string>{
                "-> [147] ch 0 @disposition(0x15) {role: receiver, first: uint 0, " + in_txn +
                    "@accepted(0x24) {}}}",
                "-> [181] ch 0 @disposition(0x15) {role: receiver, first: uint 1, " + in_txn +
                    "@accepted(0x24) {}}}",
                "-> [216] ch 0 @disposition(0x15) {role: receiver, first: uint 2, " + in_txn +
                    "@accepted(0x24) {}}}",
                "-> [251] ch 0 @disposition(0x15) {role: receiver, first: uint 3, last: uint 5, "
                "settled: true, state: @accepted(0x24) {}}",
                "-> [275] ch 0 @disposition(0x15) {role: receiver, first: uint 6, " + in_txn +
                    "@released(0x26) {}}}",
                "-> [310] ch 0 @disposition(0x15) {role: receiver, first: uint 7, " + in_txn +
                    "@released(0x26) {}}}"}));
  EXPECT_EQ(p.client_side.count<disposition_received>(), 8u);
}

TEST(transaction, the_sender_settling_a_transactional_delivery_names_the_transaction) {
  ready_link p;
  const transaction_id id = txn("tx-1");
  auto d = p.client.send(p.sender, as_bytes("m"), {.txn = &id});
  p.pump();
  const delivery_handle r = linked_pair::received(p.server_side).at(0);
  ASSERT_FALSE(
      p.server.update_state(r, delivery_state::transactional(id, delivery_state::accepted())));
  p.pump();
  ASSERT_FALSE(p.client.settle(*d));
  p.pump();
  EXPECT_EQ(linked_pair::sent_with(p.client_side, "@disposition").at(0),
            "-> [142] ch 0 @disposition(0x15) {role: sender, first: uint 0, settled: true, "
            "state: @transactional-state(0x34) {txn-id: b\"tx-1\"}}");
  EXPECT_TRUE(p.server.delivery(r)->remote_settled);
  EXPECT_EQ(p.server.delivery(r)->remote_state, delivery_state::transactional(id));
}

// --- flow properties --------------------------------------------------------------------------

struct attached : linked_pair {
  attached() { std::tie(sender, receiver) = attach_pair({.name = "l", .target = terminus{}}); }
  link_handle sender;
  link_handle receiver;
};

TEST(transaction, flow_properties_name_the_transaction_and_go_with_every_later_flow) {
  attached p;
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 5, txn_properties("tx-1")));
  EXPECT_EQ(p.server.link(p.receiver)->flow_properties, txn_properties("tx-1"));
  p.pump();
  EXPECT_EQ(p.client_side.count<credit_granted>(), 1u);
  EXPECT_EQ(p.client.link(p.sender)->credit, 5u);
  EXPECT_EQ(p.client.link(p.sender)->remote_flow_properties, txn_properties("tx-1"));
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@flow").back(),
            "-> [112] ch 0 @flow(0x13) {next-incoming-id: uint 0, incoming-window: uint 2048, "
            "next-outgoing-id: uint 0, outgoing-window: uint 2048, handle: uint 0, "
            "delivery-count: uint 0, link-credit: uint 5, properties: {:txn-id: b\"tx-1\"}}");

  // Credit granted without new properties keeps the ones in force, and so does a drain.
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 1));
  ASSERT_FALSE(p.server.drain(p.receiver));
  p.pump();
  const std::vector<std::string> flows = linked_pair::sent_with(p.server_side, "@flow");
  ASSERT_EQ(flows.size(), 3u);
  for (const std::string& f : flows)
    EXPECT_NE(f.find("properties: {:txn-id: b\"tx-1\"}"), std::string::npos) << f;
  EXPECT_EQ(p.client.link(p.sender)->remote_flow_properties, txn_properties("tx-1"));
  ASSERT_FALSE(p.client.complete_drain(p.sender));
  p.pump();

  // Null stops them: the sender sees none.
  const std::size_t granted = p.client_side.count<credit_granted>();
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 2, value()));
  EXPECT_TRUE(p.server.link(p.receiver)->flow_properties.is_null());
  p.pump();
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@flow").back().find("properties"),
            std::string::npos)
      << linked_pair::sent_with(p.server_side, "@flow").back();
  EXPECT_TRUE(p.client.link(p.sender)->remote_flow_properties.is_null());
  EXPECT_EQ(p.client_side.count<credit_granted>(), granted + 1);
  EXPECT_EQ(p.client.link(p.sender)->credit, 2u);
}

TEST(transaction, a_flow_that_changes_only_the_properties_still_raises_credit_granted) {
  attached p;
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 3));
  p.pump();
  ASSERT_EQ(p.client_side.count<credit_granted>(), 1u);
  // No new credit: the news is the transaction the receiver now acquires in.
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 0, txn_properties("tx-1")));
  p.pump();
  EXPECT_EQ(p.client_side.count<credit_granted>(), 2u);
  EXPECT_EQ(p.client.link(p.sender)->credit, 3u);
  EXPECT_EQ(p.client.link(p.sender)->remote_flow_properties, txn_properties("tx-1"));
  // The same again is no news.
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 0, txn_properties("tx-1")));
  p.pump();
  EXPECT_EQ(p.client_side.count<credit_granted>(), 2u);
  // Another transaction is.
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 0, txn_properties("tx-2")));
  p.pump();
  EXPECT_EQ(p.client_side.count<credit_granted>(), 3u);
  EXPECT_EQ(p.client.link(p.sender)->remote_flow_properties, txn_properties("tx-2"));
  // And so is leaving it.
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 0, value()));
  p.pump();
  EXPECT_EQ(p.client_side.count<credit_granted>(), 4u);
  EXPECT_TRUE(p.client.link(p.sender)->remote_flow_properties.is_null());
  EXPECT_EQ(p.client.link(p.sender)->credit, 3u);
}

TEST(transaction, flow_properties_that_are_not_a_map_are_refused_and_change_nothing) {
  attached p;
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 1, txn_properties("tx-1")));
  p.pump();
  const std::size_t flows = linked_pair::sent_with(p.server_side, "@flow").size();
  for (const value& bad :
       {value("txn-id"), value::list_of({value::sym("txn-id")}), value::bin(as_bytes("tx-2"))}) {
    EXPECT_EQ(p.server.grant_credit(p.receiver, 5, bad), make_error_code(errc::invalid_argument));
  }
  p.pump();
  EXPECT_EQ(p.server.link(p.receiver)->credit, 1u);
  EXPECT_EQ(p.server.link(p.receiver)->flow_properties, txn_properties("tx-1"));
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@flow").size(), flows);
  // A sender grants no credit, with properties or without.
  EXPECT_EQ(p.client.grant_credit(p.sender, 1, txn_properties("tx-1")),
            make_error_code(errc::wrong_state));
}

TEST(transaction, a_receiver_acquires_inside_a_transaction_and_settles_in_it) {
  // The whole of spec Part 4, 4.4.3 on one link: the receiver names the transaction in its
  // flow, the sender sends, the receiver accepts inside the transaction.
  attached p;
  const transaction_id id = txn("tx-acq");
  ASSERT_FALSE(p.server.grant_credit(p.receiver, 2, txn_properties("tx-acq")));
  p.pump();
  const value& props = p.client.link(p.sender)->remote_flow_properties;
  ASSERT_EQ(props.type(), kind::map);
  auto d = p.client.send(p.sender, as_bytes("acquired"));
  ASSERT_TRUE(d);
  p.pump();
  const delivery_handle r = linked_pair::received(p.server_side).at(0);
  ASSERT_FALSE(p.server.settle(r, delivery_state::transactional(id, delivery_state::accepted())));
  p.pump();
  EXPECT_EQ(p.client.delivery(*d)->remote_state,
            delivery_state::transactional(id, delivery_state::accepted()));
}

}  // namespace
}  // namespace amqp
