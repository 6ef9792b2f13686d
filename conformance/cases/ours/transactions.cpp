// Part 4, transactions: sends and acceptances inside a transaction, committed or rolled back.
#include <string>

#include "amqp/messaging/transaction.hpp"
#include "cases.hpp"

namespace conformance {

namespace {

// Declares a transaction on `c` and waits until the coordinator declared it.
amqp::transaction declare(script& s, const amqp::connection& c) {
  amqp::transaction t = s.call(c, [&] { return amqp::declare_transaction(c); });
  if (!t.is_set()) fail_now("the transaction could not be declared: the connection is closed");
  s.wait(c, "the coordinator's declared", [&] {
    for (const happening& h : s.log())
      if (h.what == "on_transaction_declared" && h.transaction == t) return true;
    return false;
  });
  return t;
}

// Commits (or rolls back) `t` and waits for the coordinator's answer.
void discharge(script& s, const amqp::connection& c, const amqp::transaction& t, bool commit) {
  if (std::error_code ec = s.call(c, [&] {
        amqp::transaction mine = t;
        return commit ? mine.commit() : mine.abort();
      }))
    fail_now(std::string(commit ? "commit" : "rollback") + " failed: " + ec.message());
  const std::string done = commit ? "on_transaction_committed" : "on_transaction_aborted";
  s.wait(c, commit ? "the commit's outcome" : "the rollback's outcome", [&] {
    for (const happening& h : s.log())
      if (h.what == done && h.transaction == t) return true;
    return false;
  });
}

// Sends `texts` on `snd` inside `t`, and waits for the coordinator's provisional outcomes.
void send_in(script& s, const amqp::connection& c, const amqp::transaction& t,
             const amqp::sender& snd, const std::vector<std::string>& texts) {
  std::vector<amqp::tracker> sent;
  for (const std::string& text : texts) {
    sent.push_back(s.call(c, [&] {
      auto r = amqp::transaction(t).send(snd, text_message(text));
      if (!r) fail_now("sending in the transaction failed: " + r.error().message());
      return *r;
    }));
  }
  s.confirm(c, sent);
}

verdict commit_send(script& s) {
  amqp::connection c = s.open();
  amqp::sender snd = s.open_sender(c, s.p.address, {.mode = amqp::delivery_mode::at_least_once});
  amqp::transaction t = declare(s, c);
  send_in(s, c, t, snd, {"t-0", "t-1"});
  discharge(s, c, t, true);
  amqp::receiver r = s.open_receiver(c, s.p.address);
  const std::vector<happening> got = s.receive(c, r, 2);
  if (bodies(got) != "t-0, t-1") return fail("received " + bodies(got) + " after the commit");
  s.close(c);
  return pass("both messages sent in the committed transaction arrived");
}

verdict rollback_send(script& s) {
  amqp::connection c = s.open();
  amqp::sender snd = s.open_sender(c, s.p.address, {.mode = amqp::delivery_mode::at_least_once});
  amqp::transaction t = declare(s, c);
  send_in(s, c, t, snd, {"t-0", "t-1"});
  discharge(s, c, t, false);
  s.confirm(c, s.send(c, snd, {text_message("outside")}));
  amqp::receiver r = s.open_receiver(c, s.p.address);
  std::vector<happening> got = s.receive(c, r, 1);
  for (happening& h : s.extras(c, r, 1s)) got.push_back(std::move(h));
  if (bodies(got) != "outside")
    return fail("received " + bodies(got) + " after the rollback, expected only outside");
  s.close(c);
  return pass("only the message sent outside the rolled back transaction arrived");
}

// Receives 2 messages, accepts both inside a transaction, and commits or rolls it back.
void accept_in_transaction(script& s, const amqp::connection& c, bool commit) {
  s.put(c, s.p.address, {text_message("A"), text_message("B")});
  amqp::transaction t = declare(s, c);
  amqp::receiver r = s.open_receiver(
      c, s.p.address, {.credit_window = 0, .auto_accept = false, .auto_settle = false});
  s.call(c, [&] { return r.add_credit(2); });
  const std::vector<happening> got = s.receive(c, r, 2);
  for (const happening& h : got)
    if (std::error_code ec = s.call(c, [&] { return amqp::transaction(t).accept(h.delivery); }))
      fail_now("accepting in the transaction failed: " + ec.message());
  discharge(s, c, t, commit);
  s.close_link(c, r);
}

verdict commit_accept(script& s) {
  amqp::connection c = s.open();
  accept_in_transaction(s, c, true);
  amqp::receiver again = s.open_receiver(c, s.p.address);
  if (auto got = s.extras(c, again, 1s); !got.empty())
    return fail("a new receiver got " + bodies(got) + " after the acceptances were committed");
  s.close(c);
  return pass("after the commit a new receiver got nothing");
}

verdict rollback_accept(script& s) {
  amqp::connection c = s.open();
  accept_in_transaction(s, c, false);
  amqp::receiver again = s.open_receiver(c, s.p.address);
  const std::vector<happening> got = s.receive(c, again, 2);
  if (bodies(got) != "A, B") return fail("a new receiver got " + bodies(got) + ", expected A, B");
  s.close(c);
  return pass("after the rollback a new receiver got both messages again");
}

const case_entry cases[] = {
    {"transactions.commit_send", commit_send},
    {"transactions.rollback_send", rollback_send},
    {"transactions.commit_accept", commit_accept},
    {"transactions.rollback_accept", rollback_accept},
};

}  // namespace

std::span<const case_entry> transaction_cases() { return cases; }

}  // namespace conformance
