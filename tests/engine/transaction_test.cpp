// Transactions on the wire (spec Part 4): the coordinator target, the declare and discharge
// requests and how a coordinator reads them, the declared outcome, transfers and dispositions
// inside a transaction, the link-state properties of flows that name one, and what a peer may
// get wrong about them.
#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <variant>

#include "amqp/frame.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"
#include "amqp/transaction.hpp"
#include "links.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;
using test::as_bytes;
using test::as_string;
using test::linked_pair;

transaction_id txn(std::string_view s) {
  auto id = transaction_id::from(as_bytes(s));
  EXPECT_TRUE(id);
  return id.value_or(transaction_id());
}

std::string message_of(std::size_t n) {
  std::string s(n, ' ');
  for (std::size_t i = 0; i < n; ++i) s[i] = static_cast<char>('a' + i % 26);
  return s;
}

engine_config small_frames(engine_config c) {
  c.limits.max_frame_size = 512;
  return c;
}

// The encoded request, as a controller sends it.
std::string request_bytes(const coordinator_request& r) {
  writer w;
  EXPECT_FALSE(encode_coordinator_request(w, r));
  return as_string(w.view());
}

// A message of one amqp-value section holding `body`.
std::string value_message(value body) {
  message m;
  m.set_value(std::move(body));
  writer w;
  EXPECT_FALSE(encode_message(w, m));
  return as_string(w.view());
}

value described(std::uint64_t code, value fields) {
  return value::described_of(value(code), std::move(fields));
}

// A transaction controller (the client) attached to a coordinator (the server), with credit
// for its requests.
struct coordinator_link : linked_pair {
  coordinator_link() {
    std::tie(controller, coordinator) =
        attach_pair({.name = "txn-ctrl",
                     .source = terminus{},
                     .target = terminus::make_coordinator({"amqp:local-transactions"})},
                    link_options{.name = "txn-ctrl",
                                 .source = terminus{},
                                 .target = terminus::make_coordinator(
                                     {"amqp:local-transactions", "amqp:multi-txns-per-ssn"})});
    EXPECT_FALSE(server.grant_credit(coordinator, 10));
    pump();
  }

  // Sends `r` and returns {the controller's delivery, the coordinator's}.
  std::pair<delivery_handle, delivery_handle> request(const coordinator_request& r) {
    const std::size_t before = received(server_side).size();
    const std::string bytes = request_bytes(r);
    auto d = client.send(controller, as_bytes(bytes));
    EXPECT_TRUE(d);
    pump();
    const std::vector<delivery_handle> got = received(server_side);
    EXPECT_EQ(got.size(), before + 1);
    return {d ? *d : delivery_handle(), got.empty() ? delivery_handle() : got.back()};
  }

  link_handle controller;
  link_handle coordinator;
};

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

// --- the coordinator target ---------------------------------------------------------------

TEST(transaction, a_coordinator_target_reaches_the_coordinator_and_its_answer_comes_back) {
  coordinator_link p;
  const link_status* at_server = p.server.link(p.coordinator);
  ASSERT_NE(at_server, nullptr);
  ASSERT_TRUE(at_server->remote_target);
  EXPECT_TRUE(at_server->remote_target->coordinator);
  EXPECT_EQ(at_server->remote_target->capabilities,
            std::vector<std::string>{"amqp:local-transactions"});
  EXPECT_FALSE(at_server->remote_target->address);
  // The coordinator's answer offers what it supports.
  const link_status* at_client = p.client.link(p.controller);
  ASSERT_NE(at_client, nullptr);
  ASSERT_TRUE(at_client->remote_target);
  EXPECT_EQ(*at_client->remote_target,
            terminus::make_coordinator({"amqp:local-transactions", "amqp:multi-txns-per-ssn"}));
  EXPECT_EQ(linked_pair::sent_with(p.client_side, "@attach").at(0),
            "-> [72] ch 0 @attach(0x12) {name: \"txn-ctrl\", handle: uint 0, role: sender, "
            "source: @source(0x28) {}, target: @coordinator(0x30) {capabilities: "
            "symbol[:amqp:local-transactions]}, initial-delivery-count: uint 0}");
  EXPECT_NE(linked_pair::sent_with(p.server_side, "@attach")
                .at(0)
                .find("target: @coordinator(0x30) {capabilities: symbol[:amqp:local-transactions, "
                      ":amqp:multi-txns-per-ssn]}"),
            std::string::npos)
      << linked_pair::sent_with(p.server_side, "@attach").at(0);
}

TEST(transaction, an_ordinary_target_is_no_coordinator_and_a_bare_coordinator_has_no_fields) {
  linked_pair p;
  auto [sender, receiver] = p.attach_pair({.name = "plain", .target = terminus{.address = "q"}});
  ASSERT_TRUE(p.server.link(receiver)->remote_target);
  EXPECT_FALSE(p.server.link(receiver)->remote_target->coordinator);
  // Without capabilities the coordinator is an empty list: nothing but its descriptor.
  auto [controller, coordinator] =
      p.attach_pair({.name = "c", .target = terminus::make_coordinator()});
  ASSERT_TRUE(p.server.link(coordinator)->remote_target);
  EXPECT_EQ(*p.server.link(coordinator)->remote_target, terminus::make_coordinator());
  EXPECT_NE(
      linked_pair::sent_with(p.client_side, "@attach").back().find("target: @coordinator(0x30) {}"),
      std::string::npos)
      << linked_pair::sent_with(p.client_side, "@attach").back();
}

// --- declare and discharge ------------------------------------------------------------------

TEST(transaction, a_declare_is_answered_with_the_declared_outcome_and_the_new_id) {
  coordinator_link p;
  auto [d, r] = p.request(declare_request{});
  // An amqp-value section (0x77) holding a declare (0x31) with no fields.
  const std::string body = as_string(p.server.payload(r));
  EXPECT_EQ(body, std::string("\x00\x53\x77\x00\x53\x31\x45", 7));
  auto request = decode_coordinator_request(p.server.payload(r));
  ASSERT_TRUE(request) << request.error().description;
  ASSERT_TRUE(std::holds_alternative<declare_request>(*request));
  EXPECT_TRUE(std::get<declare_request>(*request).global_id.is_null());

  const transaction_id id = txn("tx-1");
  ASSERT_FALSE(p.server.settle(r, delivery_state::declared(id)));
  p.pump();
  const delivery_status* st = p.client.delivery(d);
  ASSERT_NE(st, nullptr);
  EXPECT_EQ(st->remote_state, delivery_state::declared(id));
  EXPECT_EQ(st->remote_state.kind, delivery_state::type::declared);
  ASSERT_TRUE(st->remote_state.txn);
  EXPECT_EQ(*st->remote_state.txn, id);
  EXPECT_TRUE(st->remote_state.is_outcome());
  EXPECT_FALSE(st->remote_state.is_transactional());  // it names the transaction, not in it
  EXPECT_TRUE(st->remote_settled);
  EXPECT_EQ(linked_pair::sent_with(p.server_side, "@disposition").at(0),
            "-> [206] ch 0 @disposition(0x15) {role: receiver, first: uint 0, settled: true, "
            "state: @declared(0x33) {txn-id: b\"tx-1\"}}");
}

TEST(transaction, a_declare_with_a_global_id_decodes_with_that_id) {
  const value global = value::bin(as_bytes("xid:branch-7"));
  auto request = decode_coordinator_request(as_bytes(request_bytes(declare_request{global})));
  ASSERT_TRUE(request) << request.error().description;
  EXPECT_EQ(*request, coordinator_request(declare_request{global}));
  // Any type: the spec leaves the global id's form to distributed transactions.
  const value listed = value::list_of({"xa", 7});
  request = decode_coordinator_request(as_bytes(request_bytes(declare_request{listed})));
  ASSERT_TRUE(request) << request.error().description;
  EXPECT_EQ(std::get<declare_request>(*request).global_id, listed);
}

TEST(transaction, a_discharge_round_trips_to_commit_and_to_roll_back) {
  for (const bool fail : {false, true}) {
    SCOPED_TRACE(fail ? "roll back" : "commit");
    coordinator_link p;
    const discharge_request sent{txn("tx-1"), fail};
    auto [d, r] = p.request(sent);
    auto request = decode_coordinator_request(p.server.payload(r));
    ASSERT_TRUE(request) << request.error().description;
    ASSERT_TRUE(std::holds_alternative<discharge_request>(*request));
    EXPECT_EQ(std::get<discharge_request>(*request), sent);
    // Commit leaves fail out; only a roll-back says it.
    EXPECT_EQ(linked_pair::sent_with(p.client_side, "@transfer").at(0),
              "-> [141] ch 0 @transfer(0x14) {handle: uint 0, delivery-id: uint 0, delivery-tag: "
              "b\"\\x00\", message-format: uint 0} @amqp-value(0x77) @discharge(0x32) {txn-id: "
              "b\"tx-1\"" +
                  std::string(fail ? ", fail: true}" : "}"));
    // The coordinator could not commit: the controller learns why.
    const condition why{std::string(transaction_errors::rollback), "a resource failed", {}};
    ASSERT_FALSE(
        p.server.settle(r, fail ? delivery_state::accepted() : delivery_state::rejected(why)));
    p.pump();
    EXPECT_EQ(p.client.delivery(d)->remote_state,
              fail ? delivery_state::accepted() : delivery_state::rejected(why));
  }
}

TEST(transaction, a_discharge_id_of_any_length_up_to_64_bytes_round_trips) {
  for (std::size_t n : {0u, 1u, 63u, 64u}) {
    const std::string raw = message_of(n);
    const discharge_request sent{txn(raw), true};
    auto request = decode_coordinator_request(as_bytes(request_bytes(sent)));
    ASSERT_TRUE(request) << n << ": " << request.error().description;
    EXPECT_EQ(std::get<discharge_request>(*request).id.size(), n);
    EXPECT_EQ(*request, coordinator_request(sent));
  }
}

struct malformed_case {
  std::string name;
  std::string message;
  std::string description;
};

TEST(transaction, malformed_requests_are_decode_errors_that_say_what_is_wrong) {
  message as_data;
  as_data.set_data(as_bytes("declare"));
  writer data_bytes;
  ASSERT_FALSE(encode_message(data_bytes, as_data));
  const value binary_id = value::bin(as_bytes("tx"));
  const std::vector<malformed_case> cases = {
      {"not a message", std::string("\x00\x53", 2),
       "not a transaction request: the message does not decode: "},
      {"a data body", as_string(data_bytes.view()),
       "not a transaction request: the body is not an amqp-value holding a declare or a "
       "discharge"},
      {"an amqp-value that is not described", value_message(value("declare")),
       "not a transaction request: the body is not an amqp-value holding a declare or a "
       "discharge"},
      {"an amqp-value with another descriptor", value_message(described(0x24, value::list_of({}))),
       "not a transaction request: the body holds neither a declare nor a discharge"},
      {"a discharge whose txn-id is a string",
       value_message(described(0x32, value::list_of({"tx"}))),
       "not a transaction request: the discharge's txn-id is not a binary"},
      {"a discharge whose txn-id is 65 bytes",
       value_message(described(0x32, value::list_of({value::bin(as_bytes(message_of(65)))}))),
       "not a transaction request: the discharge's txn-id is longer than 64 bytes"},
      {"a discharge without its txn-id", value_message(described(0x32, value::list_of({}))),
       "not a transaction request: invalid discharge: "},
      {"a discharge whose fail is not a boolean",
       value_message(described(0x32, value::list_of({binary_id, "yes"}))),
       "not a transaction request: invalid discharge: "},
      {"a declare whose fields are not a list", value_message(described(0x31, value("x"))),
       "not a transaction request: invalid declare: "},
  };
  for (const malformed_case& c : cases) {
    SCOPED_TRACE(c.name);
    auto request = decode_coordinator_request(as_bytes(c.message));
    ASSERT_FALSE(request);
    EXPECT_EQ(request.error().name, "amqp:decode-error");
    // The ones that end in ": " go on with the decoder's own words.
    if (c.description.ends_with(": ")) {
      EXPECT_TRUE(request.error().description.starts_with(c.description))
          << request.error().description;
      EXPECT_GT(request.error().description.size(), c.description.size());
    } else {
      EXPECT_EQ(request.error().description, c.description);
    }
  }
}

TEST(transaction, a_request_named_by_its_symbolic_descriptor_is_read_too) {
  const value by_name = value::described_of(value::sym("amqp:discharge:list"),
                                            value::list_of({value::bin(as_bytes("t")), true}));
  auto request = decode_coordinator_request(as_bytes(value_message(by_name)));
  ASSERT_TRUE(request) << request.error().description;
  EXPECT_EQ(*request, coordinator_request(discharge_request{txn("t"), true}));
}

TEST(transaction, a_global_id_the_encoder_cannot_write_is_refused_and_leaves_the_writer_alone) {
  // A descriptor that is itself described cannot be encoded.
  const value bad =
      value::described_of(value::described_of(value(std::uint64_t{1}), value(2)), value(3));
  writer w;
  w.append(as_bytes("kept"));
  EXPECT_EQ(encode_coordinator_request(w, declare_request{bad}),
            make_error_code(errc::nested_descriptor));
  EXPECT_EQ(as_string(w.view()), "kept");
}

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

value txn_properties(std::string_view id) {
  return value::map_of({{value::sym("txn-id"), value::bin(as_bytes(id))}});
}

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

// --- transaction ids ---------------------------------------------------------------------------

TEST(transaction, an_id_holds_up_to_64_bytes_and_no_more) {
  EXPECT_TRUE(transaction_id::from({}));
  EXPECT_EQ(transaction_id::from({})->size(), 0u);
  const std::string sixty_four = message_of(64);
  auto id = transaction_id::from(as_bytes(sixty_four));
  ASSERT_TRUE(id);
  EXPECT_EQ(as_string(id->bytes()), sixty_four);
  EXPECT_FALSE(transaction_id::from(as_bytes(message_of(65))));
  EXPECT_FALSE(transaction_id::from(as_bytes(message_of(1000))));
}

TEST(transaction, ids_print_as_hex_and_compare_and_hash_by_their_bytes) {
  EXPECT_EQ(to_hex(txn(std::string("\x00\x01\xab\xff", 4))), "0001abff");
  EXPECT_EQ(to_hex(transaction_id()), "");
  EXPECT_EQ(txn("abc"), txn("abc"));
  EXPECT_NE(txn("abc"), txn("abd"));
  EXPECT_NE(txn("abc"), txn("ab"));  // a prefix is another id
  EXPECT_EQ(transaction_id(), txn(""));
  EXPECT_EQ(std::hash<transaction_id>()(txn("abc")), std::hash<transaction_id>()(txn("abc")));
  std::unordered_set<transaction_id> ids{txn("a"), txn("b"), txn("a"), txn("")};
  EXPECT_EQ(ids.size(), 3u);
  EXPECT_TRUE(ids.contains(txn("b")));
  EXPECT_FALSE(ids.contains(txn("c")));
}

TEST(transaction, the_capability_and_error_names_are_the_specs) {
  EXPECT_EQ(txn_capabilities::local_transactions, "amqp:local-transactions");
  EXPECT_EQ(txn_capabilities::distributed_transactions, "amqp:distributed-transactions");
  EXPECT_EQ(txn_capabilities::promotable_transactions, "amqp:promotable-transactions");
  EXPECT_EQ(txn_capabilities::multi_txns_per_ssn, "amqp:multi-txns-per-ssn");
  EXPECT_EQ(txn_capabilities::multi_ssns_per_txn, "amqp:multi-ssns-per-txn");
  EXPECT_EQ(transaction_errors::unknown_id, "amqp:transaction:unknown-id");
  EXPECT_EQ(transaction_errors::rollback, "amqp:transaction:rollback");
  EXPECT_EQ(transaction_errors::timeout, "amqp:transaction:timeout");
}

}  // namespace
}  // namespace amqp
