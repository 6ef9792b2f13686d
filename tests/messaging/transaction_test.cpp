// Transactions from the controller's side (amqp/messaging/transaction.hpp) against the test
// coordinator on the memory network: the hidden coordinator link, declare, transactional
// sends, accepts and acquisition on the wire, commit and abort, the coordinator's refusals and
// capabilities, the connection dropping in each state, and where the events go.
#include <gtest/gtest.h>

#include "fixture.hpp"
#include "test_coordinator.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;
using kind = delivery_state::type;

// The transaction events a recorder saw, in order.
calls txn_events(const recorder& h) {
  return h.only({"on_transaction_declared", "on_transaction_committed", "on_transaction_aborted",
                 "on_transaction_declare_failed", "on_transaction_commit_failed"});
}

// A client connection to a server whose handler runs the test coordinator.
struct txn_pair : messaging_pair {
  test_coordinator coordinator;
  connection conn;

  void start(connection_options co = {}) {
    listen();
    coordinator.install(server_h);
    conn = connect(std::move(co));
  }
};

TEST(transactions,
     a_declare_attaches_a_hidden_coordinator_link_and_the_declared_outcome_activates) {
  txn_pair p;
  p.start();
  transaction t = declare_transaction(p.conn);
  ASSERT_TRUE(t.is_set());
  EXPECT_EQ(t.state(), transaction_state::declaring);
  EXPECT_EQ(t.id(), nullptr);
  p.net.run();

  ASSERT_EQ(t.state(), transaction_state::active);
  ASSERT_NE(t.id(), nullptr);
  EXPECT_EQ(text_of_id(*t.id()), "txn-0");
  EXPECT_FALSE(t.error());
  EXPECT_EQ(t.connection(), p.conn);
  EXPECT_EQ(t.session(), p.conn.default_session());
  EXPECT_EQ(txn_events(p.client_h), calls{"on_transaction_declared"});
  const seen_event* declared = p.client_h.last("on_transaction_declared");
  EXPECT_EQ(declared->transaction, t);
  EXPECT_EQ(declared->session, p.conn.default_session());
  // The coordinator link is the controller's own: the application hears nothing of it.
  EXPECT_EQ(p.client_h.only({"on_link_opened", "on_sendable", "on_accepted", "on_settled"}),
            calls{});
  EXPECT_EQ(p.coordinator.log, calls{"declare txn-0"});

  const auto attach = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_TRUE(has(attach[0], "name: \"txn-ctrl-client-")) << attach[0];
  EXPECT_TRUE(has(attach[0], "role: sender")) << attach[0];
  EXPECT_TRUE(has(attach[0], "@coordinator")) << attach[0];
  EXPECT_TRUE(has(attach[0], "@coordinator(0x30) {capabilities: symbol[:amqp:local-transactions]}"))
      << attach[0];
  EXPECT_TRUE(has(attach[0], "desired-capabilities: symbol[:amqp:local-transactions]"))
      << attach[0];
  EXPECT_TRUE(has(attach[0], "outcomes: symbol[:amqp:accepted:list, :amqp:rejected:list]"))
      << attach[0];
  // The declare: unsettled, an amqp-value of declare.
  const auto transfers = sent_with(p.client_trace, "@transfer");
  ASSERT_EQ(transfers.size(), 1u);
  EXPECT_TRUE(has(transfers[0], "handle: uint 0")) << transfers[0];
  EXPECT_TRUE(has(transfers[0], "@amqp-value(0x77) @declare(0x31) {}")) << transfers[0];
  EXPECT_FALSE(has(transfers[0], "settled: true")) << transfers[0];
  const auto answer = sent_with(p.server_trace, "@disposition");
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_TRUE(has(answer[0], "@declared")) << answer[0];
}

// The client's lines that hold every one of `parts`.
std::vector<std::string> sent_with_all(const trace_lines& t,
                                       std::initializer_list<std::string_view> parts) {
  std::vector<std::string> out;
  for (const std::string& l : t.lines) {
    if (!l.starts_with("-> ")) continue;
    bool all = true;
    for (std::string_view part : parts) all = all && has(l, part);
    if (all) out.push_back(l);
  }
  return out;
}

TEST(transactions, a_send_inside_it_carries_its_state_and_counts_once_committed) {
  txn_pair p;
  p.start();
  sender s = p.conn.open_sender("queue");
  std::vector<delivery_state> outcomes;
  p.client_h.on("on_accepted",
                [&](messaging_event& e) { outcomes.push_back(e.tracker().remote_state()); });
  transaction t = declare_transaction(p.conn);
  p.net.run();
  ASSERT_EQ(t.state(), transaction_state::active);
  auto one = t.send(s, text_message("one"));
  ASSERT_TRUE(one) << one.error().message();
  auto two = t.send(s, text_message("two"));
  ASSERT_TRUE(two) << two.error().message();
  p.net.pump();

  // The server saw both inside the transaction, and answered with the provisional outcome.
  ASSERT_EQ(p.coordinator.arrived.size(), 2u);
  for (const delivery_state& st : p.coordinator.arrived) {
    EXPECT_TRUE(st.is_transactional());
    ASSERT_TRUE(st.txn);
    EXPECT_EQ(*st.txn, *t.id());
    EXPECT_EQ(st.kind, kind::none);
  }
  EXPECT_EQ(sent_with_all(p.client_trace, {"@transfer", "@transactional-state", "txn-id"}).size(),
            2u);
  EXPECT_EQ(
      sent_with_all(p.server_trace, {"@disposition", "@transactional-state", "@accepted"}).size(),
      2u);
  ASSERT_EQ(outcomes.size(), 2u);
  for (const delivery_state& st : outcomes) {
    EXPECT_EQ(st.kind, kind::accepted);
    ASSERT_TRUE(st.txn);
    EXPECT_EQ(*st.txn, *t.id());
  }
  EXPECT_EQ(p.client_h.last("on_accepted")->tracker, *two);

  ASSERT_FALSE(t.commit());
  EXPECT_EQ(t.state(), transaction_state::committing);
  EXPECT_EQ(t.commit(), make_error_code(errc::wrong_state));
  p.net.pump();
  EXPECT_EQ(t.state(), transaction_state::committed);
  EXPECT_FALSE(t.error());
  EXPECT_EQ(p.coordinator.log, (calls{"declare txn-0", "commit txn-0"}));
  EXPECT_EQ(txn_events(p.client_h), (calls{"on_transaction_declared", "on_transaction_committed"}));
  const auto discharge = sent_with(p.client_trace, "@discharge");
  ASSERT_EQ(discharge.size(), 1u);
  EXPECT_TRUE(has(discharge[0], "@discharge(0x32) {txn-id: b\"txn-0\"}")) << discharge[0];
  EXPECT_EQ(p.client_h.last("on_transaction_committed")->transaction, t);
  // Over: nothing more goes in it.
  EXPECT_EQ(t.send(s, text_message("late")).error(), make_error_code(errc::wrong_state));
  EXPECT_EQ(t.commit(), make_error_code(errc::wrong_state));
  EXPECT_EQ(t.abort(), make_error_code(errc::wrong_state));
  // Plain sends are plain.
  ASSERT_TRUE(s.send(text_message("plain")));
  p.net.pump();
  ASSERT_EQ(p.coordinator.arrived.size(), 3u);
  EXPECT_TRUE(p.coordinator.arrived[2].empty());
}

TEST(transactions, accept_and_settle_inside_it_send_the_transactional_state_and_abort_rolls_back) {
  txn_pair p;
  p.coordinator.to_send = 3;
  p.start();
  std::vector<delivery> got;
  p.client_h.on("on_message", [&](messaging_event& e) { got.push_back(e.delivery()); });
  std::vector<delivery_state> seen_by_server;
  p.server_h.on("on_accepted",
                [&](messaging_event& e) { seen_by_server.push_back(e.tracker().remote_state()); });
  p.server_h.on("on_rejected",
                [&](messaging_event& e) { seen_by_server.push_back(e.tracker().remote_state()); });
  receiver r = p.conn.open_receiver("source", {.auto_accept = false});
  transaction t = declare_transaction(p.conn);
  p.net.run();
  ASSERT_EQ(got.size(), 3u);
  ASSERT_EQ(t.state(), transaction_state::active);
  EXPECT_FALSE(got[0].remote_state().txn);  // not acquired in it: sent plainly

  ASSERT_FALSE(t.accept(got[0]));
  ASSERT_FALSE(
      t.settle(got[1], delivery_state::rejected(condition{"amqp:precondition-failed", "no", {}})));
  EXPECT_TRUE(got[0].settled());
  EXPECT_EQ(t.accept(got[0]), make_error_code(errc::invalid_handle));
  // Outcomes only, not already in a transaction.
  EXPECT_EQ(t.settle(got[2], delivery_state::transactional(*t.id())),
            make_error_code(errc::invalid_argument));
  EXPECT_EQ(t.settle(got[2], delivery_state::received(0, 0)),
            make_error_code(errc::invalid_argument));
  EXPECT_EQ(t.settle(got[2], delivery_state::declared(*t.id())),
            make_error_code(errc::invalid_argument));
  p.net.pump();

  const auto dispositions = sent_with_all(p.client_trace, {"@disposition", "@transactional-state"});
  ASSERT_EQ(dispositions.size(), 2u);
  EXPECT_TRUE(has(dispositions[0], "@accepted")) << dispositions[0];
  EXPECT_TRUE(has(dispositions[0], "settled: true")) << dispositions[0];
  EXPECT_TRUE(has(dispositions[1], "@rejected")) << dispositions[1];
  EXPECT_EQ(p.server_h.only({"on_accepted", "on_rejected"}),
            (calls{"on_accepted", "on_rejected amqp:precondition-failed"}));
  ASSERT_EQ(seen_by_server.size(), 2u);
  for (const delivery_state& st : seen_by_server) {
    ASSERT_TRUE(st.txn);
    EXPECT_EQ(*st.txn, *t.id());
  }

  ASSERT_FALSE(t.abort());
  EXPECT_EQ(t.state(), transaction_state::aborting);
  p.net.pump();
  EXPECT_EQ(t.state(), transaction_state::aborted);
  EXPECT_FALSE(t.error());
  EXPECT_EQ(txn_events(p.client_h), (calls{"on_transaction_declared", "on_transaction_aborted"}));
  EXPECT_EQ(p.coordinator.log, (calls{"declare txn-0", "abort txn-0"}));
  const auto discharge = sent_with(p.client_trace, "@discharge");
  ASSERT_EQ(discharge.size(), 1u);
  EXPECT_TRUE(has(discharge[0], "fail: true")) << discharge[0];
  // Outside it again: a plain accept.
  ASSERT_FALSE(got[2].accept());
  p.net.pump();
  EXPECT_EQ(sent_with_all(p.client_trace, {"@disposition", "@transactional-state"}).size(), 2u);
  (void)r;
}

TEST(transactions, a_rejected_declare_fails_with_the_coordinators_condition) {
  txn_pair p;
  p.coordinator.reject_declare = condition{"amqp:not-allowed", "no transactions for you", {}};
  p.client_h.defaults = true;  // reported, and the connection goes on
  p.start();
  transaction t = declare_transaction(p.conn);
  p.net.run();
  EXPECT_EQ(t.state(), transaction_state::failed);
  ASSERT_TRUE(t.error());
  EXPECT_EQ(t.error()->name, "amqp:not-allowed");
  EXPECT_EQ(t.error()->description, "no transactions for you");
  EXPECT_EQ(t.id(), nullptr);
  EXPECT_EQ(txn_events(p.client_h), calls{"on_transaction_declare_failed amqp:not-allowed"});
  EXPECT_EQ(p.client_h.last("on_transaction_declare_failed")->transaction, t);
  ASSERT_EQ(p.client.errors.size(), 1u);
  EXPECT_TRUE(has(p.client.errors[0], "amqp:not-allowed")) << p.client.errors[0];
  EXPECT_EQ(p.conn.state(), endpoint_state::active);
  EXPECT_EQ(t.commit(), make_error_code(errc::wrong_state));

  // The coordinator link stays for the next declare.
  p.coordinator.reject_declare.reset();
  transaction again = declare_transaction(p.conn);
  p.net.pump();
  EXPECT_EQ(again.state(), transaction_state::active);
  EXPECT_EQ(sent_with(p.client_trace, "@attach").size(), 1u);
}

TEST(transactions,
     a_refused_coordinator_link_fails_every_waiting_declare_with_the_peers_condition) {
  txn_pair p;
  p.coordinator.refuse_link = condition{"amqp:not-implemented", "no transactions here", {}};
  p.start();
  std::vector<std::error_code> codes;
  transaction a = declare_transaction(
      p.conn.default_session(), [&](std::error_code ec, transaction) { codes.push_back(ec); });
  transaction b = declare_transaction(p.conn);
  p.net.run();
  EXPECT_EQ(a.state(), transaction_state::failed);
  EXPECT_EQ(b.state(), transaction_state::failed);
  ASSERT_TRUE(b.error());
  EXPECT_EQ(b.error()->name, "amqp:not-implemented");
  EXPECT_EQ(b.error()->description, "no transactions here");
  EXPECT_EQ(codes, std::vector<std::error_code>{make_error_code(errc::transaction_failed)});
  EXPECT_EQ(txn_events(p.client_h), (calls{"on_transaction_declare_failed amqp:not-implemented",
                                           "on_transaction_declare_failed amqp:not-implemented"}));
  // Refused as RabbitMQ does: an attach without a target, then the detach with the reason;
  // the application hears of it through its declares only.
  const auto answer = sent_with(p.server_trace, "@attach");
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_FALSE(has(answer[0], "target")) << answer[0];
  EXPECT_EQ(p.client_h.only({"on_link_opened", "on_link_error", "on_link_closed", "on_error"}),
            calls{});
  EXPECT_EQ(p.conn.state(), endpoint_state::active);

  // The next declare attaches a coordinator link again.
  p.coordinator.refuse_link.reset();
  transaction c = declare_transaction(p.conn);
  p.net.pump();
  EXPECT_EQ(c.state(), transaction_state::active);
  const auto attaches = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attaches.size(), 2u);
  EXPECT_NE(attaches[0].substr(0, attaches[0].find("handle")),
            attaches[1].substr(0, attaches[1].find("handle")));
}

TEST(transactions, a_container_that_takes_no_coordinator_refuses_its_link) {
  messaging_pair p;
  p.listen();  // a server whose handler knows nothing of transactions
  connection c = p.connect();
  transaction t = declare_transaction(c);
  p.net.run();
  EXPECT_EQ(t.state(), transaction_state::failed);
  EXPECT_EQ(txn_events(p.client_h), calls{"on_transaction_declare_failed amqp:not-implemented"});
  const auto answer = sent_with(p.server_trace, "@attach");
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_FALSE(has(answer[0], "target")) << answer[0];
  EXPECT_EQ(sent_with_all(p.server_trace, {"@detach", "amqp:not-implemented"}).size(), 1u);
  EXPECT_EQ(p.server_h.only({"on_link_opened", "on_link_closed"}),
            (calls{"on_link_opened", "on_link_closed"}));
  EXPECT_EQ(c.state(), endpoint_state::active);
}

TEST(transactions, declares_wait_for_the_coordinators_credit) {
  txn_pair p;
  p.coordinator.credit = 0;
  p.start();
  transaction t = declare_transaction(p.conn);
  p.net.run();
  EXPECT_EQ(t.state(), transaction_state::declaring);
  EXPECT_TRUE(sent_with(p.client_trace, "@transfer").empty());
  ASSERT_EQ(p.coordinator.coordinators.size(), 1u);
  ASSERT_FALSE(p.coordinator.coordinators[0].add_credit(1));
  p.net.pump();
  EXPECT_EQ(t.state(), transaction_state::active);
  // The commit waits for credit too.
  ASSERT_FALSE(t.commit());
  p.net.pump();
  EXPECT_EQ(t.state(), transaction_state::committing);
  ASSERT_FALSE(p.coordinator.coordinators[0].add_credit(1));
  p.net.pump();
  EXPECT_EQ(t.state(), transaction_state::committed);
}

TEST(transactions, a_commit_rejected_with_rollback_fails_and_the_callback_comes_first) {
  txn_pair p;
  p.coordinator.reject_commit =
      condition{std::string(transaction_errors::rollback), "the queue is full", {}};
  p.start();
  sender s = p.conn.open_sender("queue");
  transaction t = declare_transaction(p.conn);
  p.net.run();
  ASSERT_TRUE(t.send(s, text_message("one")));
  std::optional<std::error_code> done;
  ASSERT_FALSE(t.commit([&](std::error_code ec) {
    done = ec;
    EXPECT_EQ(p.client_h.count("on_transaction_commit_failed"), 0u);
    EXPECT_EQ(t.state(), transaction_state::failed);
  }));
  p.net.pump();
  ASSERT_TRUE(done);
  EXPECT_EQ(*done, make_error_code(errc::transaction_failed));
  EXPECT_EQ(t.state(), transaction_state::failed);
  ASSERT_TRUE(t.error());
  EXPECT_EQ(t.error()->name, transaction_errors::rollback);
  EXPECT_EQ(t.error()->description, "the queue is full");
  EXPECT_EQ(
      txn_events(p.client_h),
      (calls{"on_transaction_declared", "on_transaction_commit_failed amqp:transaction:rollback"}));
  EXPECT_EQ(p.coordinator.log, (calls{"declare txn-0", "rollback txn-0"}));
  EXPECT_EQ(p.conn.state(), endpoint_state::active);
}

TEST(transactions, discharging_an_id_the_coordinator_does_not_know_is_rejected_with_unknown_id) {
  txn_pair p;
  p.start();
  transaction t = declare_transaction(p.conn);
  p.net.run();
  ASSERT_EQ(t.state(), transaction_state::active);
  p.coordinator.live.clear();  // it forgot
  ASSERT_FALSE(t.commit());
  p.net.pump();
  EXPECT_EQ(t.state(), transaction_state::failed);
  EXPECT_EQ(t.error()->name, transaction_errors::unknown_id);
  EXPECT_EQ(txn_events(p.client_h).back(),
            "on_transaction_commit_failed amqp:transaction:unknown-id");

  // An abort of an unknown id: rolled back all the same, with the coordinator's word.
  transaction u = declare_transaction(p.conn);
  p.net.pump();
  ASSERT_EQ(u.state(), transaction_state::active);
  p.coordinator.live.clear();
  std::optional<std::error_code> done;
  ASSERT_FALSE(u.abort([&](std::error_code ec) { done = ec; }));
  p.net.pump();
  EXPECT_EQ(u.state(), transaction_state::aborted);
  EXPECT_EQ(u.error()->name, transaction_errors::unknown_id);
  EXPECT_EQ(done, make_error_code(errc::transaction_failed));
  EXPECT_EQ(txn_events(p.client_h).back(), "on_transaction_aborted amqp:transaction:unknown-id");
  EXPECT_EQ(p.coordinator.log,
            (calls{"declare txn-0", "unknown txn-0", "declare txn-1", "unknown txn-1"}));
}

TEST(transactions, several_at_once_on_a_session_when_the_coordinator_offers_multi_txns_per_ssn) {
  txn_pair p;
  p.coordinator.capabilities.emplace_back(txn_capabilities::multi_txns_per_ssn);
  p.coordinator.to_send = 1;
  p.start();
  sender s = p.conn.open_sender("queue");
  receiver r = p.conn.open_receiver("source", {.credit_window = 0});
  transaction a = declare_transaction(p.conn);
  transaction b = declare_transaction(p.conn);
  transaction c = declare_transaction(p.conn);
  p.net.run();
  ASSERT_EQ(a.state(), transaction_state::active);
  ASSERT_EQ(b.state(), transaction_state::active);
  ASSERT_EQ(c.state(), transaction_state::active);
  EXPECT_EQ(text_of_id(*a.id()), "txn-0");
  EXPECT_EQ(text_of_id(*b.id()), "txn-1");
  EXPECT_EQ(text_of_id(*c.id()), "txn-2");
  ASSERT_TRUE(a.send(s, text_message("in a")));
  ASSERT_TRUE(b.send(s, text_message("in b")));
  // A link acquires in one transaction at a time.
  ASSERT_FALSE(c.acquire(r, 0));
  EXPECT_EQ(b.acquire(r, 1), make_error_code(errc::wrong_state));
  ASSERT_FALSE(a.commit());
  ASSERT_FALSE(b.abort());
  p.net.pump();
  ASSERT_EQ(p.coordinator.arrived.size(), 2u);
  EXPECT_EQ(*p.coordinator.arrived[0].txn, *a.id());
  EXPECT_EQ(*p.coordinator.arrived[1].txn, *b.id());
  EXPECT_EQ(a.state(), transaction_state::committed);
  EXPECT_EQ(b.state(), transaction_state::aborted);
  EXPECT_EQ(c.state(), transaction_state::active);
  EXPECT_EQ(p.coordinator.log, (calls{"declare txn-0", "declare txn-1", "declare txn-2",
                                      "commit txn-0", "abort txn-1"}));
  // One coordinator link for them all.
  EXPECT_EQ(sent_with(p.client_trace, "@attach").size(), 3u);  // the coordinator, s and r
  EXPECT_EQ(sent_with_all(p.client_trace, {"@attach", "@coordinator"}).size(), 1u);
}

TEST(transactions, a_second_one_on_a_session_is_refused_without_multi_txns_per_ssn) {
  txn_pair p;
  p.start();
  // The capabilities unknown: both wait; the second fails once they are known.
  std::vector<std::error_code> codes;
  transaction a = declare_transaction(p.conn);
  transaction b =
      declare_transaction(p.conn.default_session(), [&](std::error_code ec, transaction t) {
        codes.push_back(ec);
        EXPECT_EQ(t.state(), transaction_state::failed);
      });
  p.net.run();
  EXPECT_EQ(a.state(), transaction_state::active);
  EXPECT_EQ(b.state(), transaction_state::failed);
  ASSERT_TRUE(b.error());
  EXPECT_EQ(b.error()->name, "amqp:not-allowed");
  EXPECT_EQ(codes, std::vector<std::error_code>{make_error_code(errc::invalid_argument)});
  // Refused as soon as the coordinator's attach showed its capabilities, before the first's
  // answer came.
  EXPECT_EQ(txn_events(p.client_h),
            (calls{"on_transaction_declare_failed amqp:not-allowed", "on_transaction_declared"}));
  EXPECT_EQ(p.coordinator.log, calls{"declare txn-0"});

  // Known: refused at once (the application hears of it once its call returned).
  std::vector<std::error_code> more;
  transaction c = declare_transaction(p.conn.default_session(),
                                      [&](std::error_code ec, transaction) { more.push_back(ec); });
  EXPECT_EQ(c.state(), transaction_state::failed);
  EXPECT_TRUE(more.empty());
  p.net.pump();
  EXPECT_EQ(more, std::vector<std::error_code>{make_error_code(errc::invalid_argument)});
  EXPECT_EQ(p.coordinator.log, calls{"declare txn-0"});

  // Once the first is over, the next may come; another session has a coordinator of its own.
  ASSERT_FALSE(a.commit());
  p.net.pump();
  transaction d = declare_transaction(p.conn);
  transaction e = declare_transaction(p.conn.open_session());
  p.net.pump();
  EXPECT_EQ(d.state(), transaction_state::active);
  EXPECT_EQ(e.state(), transaction_state::active);
  EXPECT_EQ(sent_with_all(p.client_trace, {"@attach", "@coordinator"}).size(), 2u);
}

TEST(transactions, work_on_another_session_needs_multi_ssns_per_txn) {
  for (const bool offered : {false, true}) {
    SCOPED_TRACE(offered ? "offered" : "not offered");
    txn_pair p;
    if (offered) p.coordinator.capabilities.emplace_back(txn_capabilities::multi_ssns_per_txn);
    p.coordinator.to_send = 1;
    p.coordinator.keep = true;
    p.start();
    session other = p.conn.open_session();
    sender near = p.conn.open_sender("queue");
    sender far = other.open_sender("queue");
    std::vector<delivery> got;
    p.client_h.on("on_message", [&](messaging_event& e) { got.push_back(e.delivery()); });
    receiver far_source = other.open_receiver("source", {.auto_accept = false});
    transaction t = declare_transaction(p.conn);
    connection second = p.connect();
    sender elsewhere = second.open_sender("queue");
    p.net.run();
    ASSERT_EQ(t.state(), transaction_state::active);
    ASSERT_EQ(got.size(), 1u);
    EXPECT_TRUE(t.send(near, text_message("near")));
    const auto far_sent = t.send(far, text_message("far"));
    if (offered) {
      EXPECT_TRUE(far_sent);
      EXPECT_FALSE(t.accept(got[0]));
      EXPECT_FALSE(t.acquire(far_source, 1));
    } else {
      ASSERT_FALSE(far_sent);
      EXPECT_EQ(far_sent.error(), make_error_code(errc::invalid_argument));
      EXPECT_EQ(t.accept(got[0]), make_error_code(errc::invalid_argument));
      EXPECT_EQ(t.acquire(far_source, 1), make_error_code(errc::invalid_argument));
    }
    // A link of another connection, never.
    EXPECT_EQ(t.send(elsewhere, text_message("elsewhere")).error(),
              make_error_code(errc::invalid_argument));
    p.net.pump();
    EXPECT_EQ(p.coordinator.arrived.size(), offered ? 2u : 1u);
    for (const delivery_state& st : p.coordinator.arrived) EXPECT_TRUE(st.is_transactional());
  }
}

TEST(transactions,
     acquire_names_the_transaction_in_the_flow_and_a_flow_without_it_follows_the_end) {
  txn_pair p;
  p.coordinator.to_send = 2;
  p.start();
  std::vector<delivery_state> got;
  p.client_h.on("on_message",
                [&](messaging_event& e) { got.push_back(e.delivery().remote_state()); });
  receiver r = p.conn.open_receiver("source", {.credit_window = 0});
  transaction t = declare_transaction(p.conn);
  p.net.run();
  ASSERT_EQ(t.state(), transaction_state::active);
  EXPECT_TRUE(got.empty());
  ASSERT_FALSE(t.acquire(r, 2));
  p.net.pump();

  const auto flows = sent_with_all(p.client_trace, {"@flow", "txn-id"});
  ASSERT_EQ(flows.size(), 1u);
  EXPECT_TRUE(has(flows[0], "link-credit: uint 2")) << flows[0];
  ASSERT_FALSE(p.coordinator.flow_properties.empty());
  const auto seen = txn_in(p.coordinator.flow_properties.back());
  ASSERT_TRUE(seen);
  EXPECT_EQ(*seen, *t.id());
  // The server sent them inside it; auto_accept accepted them inside it too (4.4.2).
  ASSERT_EQ(got.size(), 2u);
  for (const delivery_state& st : got) {
    ASSERT_TRUE(st.is_transactional());
    EXPECT_EQ(*st.txn, *t.id());
  }
  const auto accepts = sent_with_all(p.client_trace, {"@disposition", "@transactional-state"});
  ASSERT_FALSE(accepts.empty());
  for (const std::string& a : accepts) EXPECT_TRUE(has(a, "@accepted")) << a;

  ASSERT_FALSE(t.commit());
  p.net.pump();
  ASSERT_EQ(t.state(), transaction_state::committed);
  // The link leaves the transaction: a flow without properties.
  const auto after = sent_with(p.client_trace, "@flow");
  ASSERT_FALSE(after.empty());
  EXPECT_FALSE(has(after.back(), "properties")) << after.back();
  EXPECT_TRUE(p.coordinator.source.status()->remote_flow_properties.is_null());
  // What comes next comes plainly, and is accepted plainly.
  p.coordinator.to_send = 1;
  ASSERT_FALSE(r.add_credit(1));
  p.net.pump();
  ASSERT_EQ(got.size(), 3u);
  EXPECT_TRUE(got[2].empty());
  EXPECT_EQ(sent_with_all(p.client_trace, {"@disposition", "@transactional-state"}).size(),
            accepts.size());
}

TEST(transactions, a_credit_window_acquires_inside_the_transaction_while_it_lasts) {
  txn_pair p;
  p.start();
  std::vector<delivery_state> got;
  p.client_h.on("on_message",
                [&](messaging_event& e) { got.push_back(e.delivery().remote_state()); });
  receiver r = p.conn.open_receiver("source", {.credit_window = 4});
  transaction t = declare_transaction(p.conn);
  p.net.run();
  ASSERT_EQ(t.state(), transaction_state::active);
  // No more credit: the window's carries the transaction from now on.
  ASSERT_FALSE(t.acquire(r, 0));
  p.net.pump();
  p.coordinator.to_send = 6;
  p.coordinator.feed();
  p.net.pump();
  ASSERT_EQ(got.size(), 6u);
  for (const delivery_state& st : got) EXPECT_TRUE(st.is_transactional());
  // The window's top-ups named it too.
  const auto flows = sent_with(p.client_trace, "@flow");
  std::size_t named = 0;
  for (const std::string& f : flows) named += has(f, "txn-id") ? 1 : 0;
  EXPECT_GE(named, 2u);
  ASSERT_FALSE(t.abort());
  p.net.pump();
  EXPECT_FALSE(has(sent_with(p.client_trace, "@flow").back(), "txn-id"));
  p.coordinator.to_send = 2;
  p.coordinator.feed();
  p.net.pump();
  ASSERT_EQ(got.size(), 8u);
  EXPECT_TRUE(got[7].empty());
}

TEST(transactions, a_lost_connection_ends_each_by_its_state_and_none_is_carried_over) {
  txn_pair p;
  p.coordinator.capabilities.emplace_back(txn_capabilities::multi_txns_per_ssn);
  p.start();
  transaction active = declare_transaction(p.conn);
  transaction committing = declare_transaction(p.conn);
  transaction aborting = declare_transaction(p.conn);
  p.net.run();
  p.coordinator.hold = true;
  transaction declaring = declare_transaction(p.conn);
  std::vector<std::pair<std::string, std::error_code>> done;
  ASSERT_FALSE(committing.commit([&](std::error_code ec) { done.emplace_back("commit", ec); }));
  ASSERT_FALSE(aborting.abort([&](std::error_code ec) { done.emplace_back("abort", ec); }));
  p.net.pump();
  ASSERT_EQ(p.coordinator.held.size(), 3u);
  const std::size_t mark = p.client_h.calls.size();
  ASSERT_TRUE(p.net.drop(p.conn));

  const calls since(p.client_h.calls.begin() + static_cast<std::ptrdiff_t>(mark),
                    p.client_h.calls.end());
  EXPECT_EQ(
      since,
      (calls{"on_transport_error amqp:connection:framing-error",
             "on_transaction_aborted amqp:transaction:rollback",
             "on_transaction_commit_failed amqp:connection:framing-error", "on_transaction_aborted",
             "on_transaction_declare_failed amqp:connection:framing-error", "on_disconnected"}));
  EXPECT_EQ(active.state(), transaction_state::aborted);
  EXPECT_TRUE(has(active.error()->description, "rolls the transaction back"))
      << active.error()->description;
  EXPECT_EQ(committing.state(), transaction_state::failed);
  EXPECT_TRUE(has(committing.error()->description, make_error_code(errc::in_doubt).message()))
      << committing.error()->description;
  EXPECT_EQ(aborting.state(), transaction_state::aborted);
  EXPECT_FALSE(aborting.error());
  EXPECT_EQ(declaring.state(), transaction_state::failed);
  EXPECT_EQ(done, (std::vector<std::pair<std::string, std::error_code>>{
                      {"commit", make_error_code(errc::in_doubt)}, {"abort", {}}}));
  // The declares and discharges were the controller's: no message in doubt.
  EXPECT_EQ(p.client_h.count("on_in_doubt"), 0u);

  // Reconnected: nothing comes back, the coordinator link is not attached again by itself.
  p.net.advance(1s);
  ASSERT_EQ(p.client_h.count("on_reconnected"), 1u);
  EXPECT_EQ(sent_with_all(p.client_trace, {"@attach", "@coordinator"}).size(), 1u);
  EXPECT_EQ(active.commit(), make_error_code(errc::wrong_state));
  EXPECT_EQ(txn_events(p.client_h).size(), 7u);  // three declared, four ended
  // The next declare attaches one on the new transport.
  p.coordinator.hold = false;
  transaction again = declare_transaction(p.conn);
  p.net.pump();
  EXPECT_EQ(again.state(), transaction_state::active);
  EXPECT_EQ(sent_with_all(p.client_trace, {"@attach", "@coordinator"}).size(), 2u);
}

TEST(transactions, the_coordinator_link_ending_rolls_back_what_was_not_discharged) {
  txn_pair p;
  p.coordinator.capabilities.emplace_back(txn_capabilities::multi_txns_per_ssn);
  p.start();
  transaction active = declare_transaction(p.conn);
  transaction committing = declare_transaction(p.conn);
  p.net.run();
  p.coordinator.hold = true;
  ASSERT_FALSE(committing.commit());
  p.net.pump();
  ASSERT_EQ(p.coordinator.coordinators.size(), 1u);
  p.coordinator.coordinators[0].close(condition{"amqp:internal-error", "coordinator restarts", {}});
  p.net.pump();
  EXPECT_EQ(txn_events(p.client_h), (calls{"on_transaction_declared", "on_transaction_declared",
                                           "on_transaction_aborted amqp:internal-error",
                                           "on_transaction_commit_failed amqp:internal-error"}));
  EXPECT_EQ(active.state(), transaction_state::aborted);
  EXPECT_EQ(committing.state(), transaction_state::failed);
  EXPECT_EQ(p.client_h.only({"on_link_error", "on_link_closed", "on_in_doubt"}), calls{});
  EXPECT_EQ(p.conn.state(), endpoint_state::active);
  p.coordinator.hold = false;
  transaction again = declare_transaction(p.conn);
  p.net.pump();
  EXPECT_EQ(again.state(), transaction_state::active);
  EXPECT_EQ(sent_with_all(p.client_trace, {"@attach", "@coordinator"}).size(), 2u);
}

TEST(transactions, events_go_to_the_handler_given_to_declare) {
  txn_pair p;
  p.start();
  recorder other;
  transaction t = declare_transaction(p.conn, &other);
  transaction_state seen = transaction_state::failed;
  other.on("on_transaction_declared", [&](messaging_event& e) {
    seen = e.transaction().state();
    EXPECT_FALSE(e.transaction().commit());
  });
  p.net.run();
  EXPECT_EQ(seen, transaction_state::active);
  EXPECT_EQ(txn_events(other), (calls{"on_transaction_declared", "on_transaction_committed"}));
  EXPECT_TRUE(txn_events(p.client_h).empty());
  EXPECT_EQ(other.last("on_transaction_committed")->transaction, t);
  EXPECT_EQ(other.last("on_transaction_committed")->connection, p.conn);
  // A copy of the event keeps its transaction.
  std::optional<messaging_event> kept;
  p.client_h.on("on_transaction_declared", [&](messaging_event& e) { kept = e; });
  transaction u = declare_transaction(p.conn.default_session());
  p.net.pump();
  ASSERT_TRUE(kept);
  EXPECT_EQ(kept->transaction(), u);
  EXPECT_EQ(txn_events(p.client_h), calls{"on_transaction_declared"});
}

TEST(transactions, handles_of_nothing_or_of_a_closed_connection_refuse_commands) {
  txn_pair p;
  p.start();
  sender s = p.conn.open_sender("queue");
  transaction t = declare_transaction(p.conn);
  p.net.run();
  ASSERT_EQ(t.state(), transaction_state::active);

  transaction none;
  EXPECT_FALSE(none.is_set());
  EXPECT_EQ(none.state(), transaction_state::failed);
  EXPECT_EQ(none.id(), nullptr);
  EXPECT_FALSE(none.error());
  EXPECT_FALSE(none.connection().is_set());
  EXPECT_EQ(none.commit(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(none.abort(), make_error_code(errc::invalid_handle));
  EXPECT_EQ(none.send(s, text_message("x")).error(), make_error_code(errc::invalid_handle));
  EXPECT_FALSE(declare_transaction(session()).is_set());
  EXPECT_FALSE(declare_transaction(connection()).is_set());

  // Closing: the transaction ends with the connection; nothing new is declared.
  p.conn.close();
  EXPECT_FALSE(declare_transaction(p.conn).is_set());
  p.net.pump();
  EXPECT_EQ(t.state(), transaction_state::aborted);
  EXPECT_EQ(txn_events(p.client_h).back(), "on_transaction_aborted amqp:transaction:rollback");
  EXPECT_EQ(t.commit(), make_error_code(errc::wrong_state));
  EXPECT_EQ(t.send(s, text_message("x")).error(), make_error_code(errc::wrong_state));
  EXPECT_FALSE(declare_transaction(p.conn).is_set());
  EXPECT_FALSE(declare_transaction(p.conn.default_session(), [](std::error_code, transaction) {
                 ADD_FAILURE() << "called for a declare that never was";
               }).is_set());
  p.net.pump();
}

}  // namespace
}  // namespace amqp::test
