// The server's side of transactions for tests: a transaction coordinator on the links whose
// target is one (spec Part 4), made with the engine's helpers (decode_coordinator_request,
// delivery::settle with declared ...), and a record of what arrived on the other links.
//
//   recorder server_h;
//   test_coordinator coordinator;
//   coordinator.capabilities.push_back("amqp:multi-txns-per-ssn");
//   coordinator.install(server_h);     // on_link_opened, on_message and on_sendable
//   ... run ...
//   EXPECT_EQ(coordinator.log, (std::vector<std::string>{"declare txn-0", "commit txn-0"}));
//
// Transaction ids are "txn-<n>" in ASCII. A message sent inside a transaction is answered with
// the provisional outcome transactional-state(id, accepted) (4.4.1); other messages are
// accepted. A server sender to "source" sends `to_send` messages as credit allows, inside the
// transaction the receiver's flow names (4.4.3).
#pragma once

#include <algorithm>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/writer.hpp"
#include "amqp/message.hpp"
#include "amqp/transaction.hpp"
#include "recorder.hpp"

namespace amqp::test {

inline transaction_id txn_id_of(std::string_view text) {
  return *transaction_id::from(
      bytes_view(reinterpret_cast<const std::uint8_t*>(text.data()), text.size()));
}

inline std::string text_of_id(const transaction_id& id) {
  return std::string(reinterpret_cast<const char*>(id.bytes().data()), id.size());
}

// The txn-id of flow properties; empty without one.
inline std::optional<transaction_id> txn_in(const value& properties) {
  const auto* m = properties.get_if<amqp::map>();
  if (!m) return std::nullopt;
  for (const auto& [k, v] : *m)
    if (k == value::sym("txn-id"))
      if (const auto* b = v.get_if<binary>())
        return transaction_id::from(bytes_view(b->bytes.data(), b->bytes.size()));
  return std::nullopt;
}

struct test_coordinator {
  // Offered in the coordinator target's capabilities.
  std::vector<std::string> capabilities{std::string(txn_capabilities::local_transactions)};
  // The coordinator link is refused with this condition: a null target, then the detach.
  std::optional<condition> refuse_link;
  std::optional<condition> reject_declare;
  std::optional<condition> reject_commit;
  // Requests are kept unanswered (in `held`) while set.
  bool hold = false;
  // The credit the coordinator link gets (its window).
  std::uint32_t credit = 10;
  // Other links' messages are left unsettled (in `deliveries`).
  bool keep = false;
  std::size_t to_send = 0;  // messages the sender to "source" still has

  int next = 0;
  std::vector<std::string> live;  // the ids declared and not discharged
  std::vector<std::string> log;   // "declare txn-0", "commit txn-0", "abort txn-0", "unknown ..."
  std::vector<delivery> held;
  std::vector<receiver> coordinators;
  std::vector<delivery_state> arrived;  // the state each message of other links came with
  std::vector<delivery> deliveries;
  std::vector<value> flow_properties;  // of the "source" sender, at each on_sendable
  sender source;

  void install(recorder& h) {
    h.on("on_link_opened", [this](messaging_event& e) { opened(e); });
    h.on("on_message", [this](messaging_event& e) { received(e); });
    h.on("on_sendable", [this](messaging_event& e) {
      if (e.sender() != source) return;
      flow_properties.push_back(e.sender().status()->remote_flow_properties);
      feed();
    });
  }

  void opened(messaging_event& e) {
    const link_status* st = e.link().status();
    if (e.receiver().is_set() && st && st->remote_target && st->remote_target->coordinator) {
      if (refuse_link) {
        e.link().close(*refuse_link);  // an attach with a null target, then the detach
        return;
      }
      coordinators.push_back(e.receiver());
      e.receiver().open({.credit_window = credit,
                         .auto_accept = false,
                         .target = terminus::make_coordinator(capabilities)});
      return;
    }
    if (e.sender().is_set() && e.sender().address() == "source") source = e.sender();
  }

  void received(messaging_event& e) {
    delivery d = e.delivery();
    if (std::find(coordinators.begin(), coordinators.end(), e.receiver()) != coordinators.end()) {
      if (hold)
        held.push_back(d);
      else
        answer(d);
      return;
    }
    const delivery_state st = d.remote_state();
    arrived.push_back(st);
    if (keep) {
      deliveries.push_back(d);
      return;
    }
    if (st.is_transactional())
      (void)d.settle(delivery_state::transactional(*st.txn, delivery_state::accepted()));
  }

  // Answers a request as the options say.
  void answer(delivery d) {
    auto request = decode_coordinator_request(d.payload());
    if (!request) {
      log.push_back("malformed");
      (void)d.settle(delivery_state::rejected(request.error()));
      return;
    }
    if (std::holds_alternative<declare_request>(*request)) {
      if (reject_declare) {
        log.push_back("declare rejected");
        (void)d.settle(delivery_state::rejected(*reject_declare));
        return;
      }
      std::string id = "txn-" + std::to_string(next++);
      live.push_back(id);
      log.push_back("declare " + id);
      (void)d.settle(delivery_state::declared(txn_id_of(id)));
      return;
    }
    const auto& discharge = std::get<discharge_request>(*request);
    const std::string id = text_of_id(discharge.id);
    const auto it = std::find(live.begin(), live.end(), id);
    if (it == live.end()) {
      log.push_back("unknown " + id);
      (void)d.settle(delivery_state::rejected(
          condition{std::string(transaction_errors::unknown_id), "no transaction " + id, {}}));
      return;
    }
    live.erase(it);
    if (!discharge.fail && reject_commit) {
      log.push_back("rollback " + id);
      (void)d.settle(delivery_state::rejected(*reject_commit));
      return;
    }
    log.push_back((discharge.fail ? "abort " : "commit ") + id);
    (void)d.settle(delivery_state::accepted());
  }

  void answer_held() {
    auto all = std::move(held);
    held.clear();
    for (delivery& d : all) answer(d);
  }

  // Sends what "source" has, inside the transaction its receiver's flow names, if any.
  void feed() {
    if (!source.is_set()) return;
    while (to_send > 0 && source.credit() > 0) {
      const std::optional<transaction_id> txn = txn_in(source.status()->remote_flow_properties);
      amqp::message m;
      m.set_value(value("acquired " + std::to_string(to_send)));
      writer w;
      if (encode_message(w, m)) return;
      if (!source.send_encoded(w.view(), txn ? &*txn : nullptr)) return;
      --to_send;
    }
  }
};

}  // namespace amqp::test
