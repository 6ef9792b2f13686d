// Transactions on the wire (spec Part 4): the coordinator target, the declare and discharge
// requests and how a coordinator reads them, the declared outcome, and transaction ids.
// Transfers, dispositions and flows inside a transaction are in transaction_transfer_test.cpp,
// a peer that gets them wrong in transaction_peer_test.cpp.
#include <gtest/gtest.h>

#include <string>
#include <unordered_set>
#include <variant>

#include "amqp/message.hpp"
#include "amqp/spec.hpp"
#include "amqp/transaction.hpp"
#include "transactions.hpp"

namespace amqp {
namespace {

using test::as_bytes;
using test::as_string;
using test::described;
using test::linked_pair;
using test::message_of;
using test::txn;

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
