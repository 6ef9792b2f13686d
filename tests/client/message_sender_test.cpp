// message_sender on the virtual clock, against a server whose answers each test scripts:
// callbacks exactly once with ok, error, timeout or cancelled; retries as the error policy
// says, with their backoff; what the attach carries; close, open and destroy.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "amqp/client/message_sender.hpp"
#include "fixture.hpp"

namespace amqp::client {
namespace {

using namespace std::chrono_literals;
using test::body_text;
using test::text_message;

// What one send's callback said.
struct reported {
  std::string body;
  send_result result;
  std::string what;
  std::optional<condition> error;
  std::chrono::milliseconds at;
};

struct sender_bench : test::messaging_pair {
  connection conn;
  // Before the sender: its destruction cancels what is left, which the callbacks record.
  std::vector<reported> results;
  message_sender snd;

  // Connects and makes the sender (not opened) once the client starts.
  void start(message_sender_options o = {}, connection_options co = {}) {
    listen();
    conn = connect(std::move(co));
    snd = message_sender(conn, "queue", std::move(o));
    snd.open();
    net.run();
  }
  send_callback record() {
    return [this](const message& m, send_result r, const send_error& e) {
      results.push_back({body_text(m), r, e.what, e.error, net.elapsed()});
    };
  }
  // The server's receivers grant no credit.
  void server_grants_nothing() {
    server_h.on("on_link_opened", [](messaging_event& e) {
      if (e.receiver().is_set()) e.receiver().open({.credit_window = 0});
    });
  }
  // The server settles nothing (the outcome never comes).
  void server_never_settles() {
    server_h.on("on_link_opened", [](messaging_event& e) {
      if (e.receiver().is_set()) e.receiver().open({.auto_accept = false});
    });
  }
};

TEST(message_sender, sends_in_order_and_calls_back_once_each_with_ok) {
  sender_bench b;
  b.start();
  EXPECT_EQ(b.snd.state(), link_state::open);
  for (int i = 0; i < 5; ++i) b.snd.send(text_message(test::numbered("m", i)), b.record());
  EXPECT_EQ(b.snd.pending(), 5u);
  b.net.pump();
  ASSERT_EQ(b.results.size(), 5u);
  for (int i = 0; i < 5; ++i) {
    EXPECT_EQ(b.results[i].body, test::numbered("m", i));
    EXPECT_EQ(b.results[i].result, send_result::ok);
    EXPECT_EQ(b.results[i].what, "");
  }
  EXPECT_EQ(b.snd.pending(), 0u);
  const auto got = b.server_h.messages();
  ASSERT_EQ(got.size(), 5u);
  EXPECT_EQ(body_text(got[4]), "m4");
}

TEST(message_sender, a_message_that_finishes_cancels_its_timeout) {
  sender_bench b;
  b.start({.timeout = std::chrono::hours(1)});
  ASSERT_FALSE(b.net.next_due());
  b.snd.send(text_message("quick"), b.record());
  ASSERT_TRUE(b.net.next_due());  // its timeout
  b.net.pump();
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::ok);
  // Nothing left to wait for: a container would not be held up by the timeout.
  EXPECT_FALSE(b.net.next_due());
}

TEST(message_sender, the_attach_carries_name_modes_size_properties_and_capabilities) {
  sender_bench b;
  b.start({.source = "client-outbox",
           .send_settle_mode = send_settle_mode::unsettled,
           .receive_settle_mode = receive_settle_mode::peek_lock,
           .max_message_size = 4096,
           .properties = value::map_of({{value::sym("purpose"), "orders"}}),
           .desired_capabilities = {"com.example:fast"}});
  const auto attaches = test::sent_with(b.client_trace, "@attach");
  ASSERT_EQ(attaches.size(), 1u);
  const std::string& a = attaches[0];
  EXPECT_NE(a.find("name: \"sender-"), std::string::npos) << a;
  EXPECT_EQ(b.snd.name().size(), std::string("sender-").size() + 36);
  EXPECT_NE(a.find("snd-settle-mode: unsettled"), std::string::npos) << a;
  EXPECT_NE(a.find("rcv-settle-mode: second"), std::string::npos) << a;
  EXPECT_NE(a.find("@source(0x28) {address: \"client-outbox\""), std::string::npos) << a;
  EXPECT_NE(a.find("@target(0x29) {address: \"queue\""), std::string::npos) << a;
  EXPECT_NE(a.find("max-message-size: ulong 4096"), std::string::npos) << a;
  EXPECT_NE(a.find("desired-capabilities: symbol[:com.example:fast]"), std::string::npos) << a;
  EXPECT_NE(a.find("properties: {:purpose: \"orders\"}"), std::string::npos) << a;
}

TEST(message_sender, a_settled_sender_reports_ok_once_sent_without_an_outcome) {
  sender_bench b;
  b.server_never_settles();
  b.start({.send_settle_mode = send_settle_mode::settled});
  b.snd.send(text_message("fire"), b.record());
  b.net.pump();
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::ok);
  EXPECT_EQ(b.server_h.count("on_message"), 1u);
}

TEST(message_sender, a_message_above_max_message_size_fails_at_once_naming_both_sizes) {
  sender_bench b;
  b.start({.max_message_size = 100});
  b.snd.send(text_message(std::string(200, 'x')), b.record());
  EXPECT_TRUE(b.results.empty());  // reported after send() returned
  b.net.pump();
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::error);
  EXPECT_EQ(b.results[0].what, "the message is 205 bytes, above max_message_size 100");
  EXPECT_EQ(b.server_h.count("on_message"), 0u);
}

TEST(message_sender, a_message_not_sent_within_its_timeout_is_discarded_with_timeout) {
  sender_bench b;
  b.server_grants_nothing();
  b.start();
  b.snd.send(text_message("late"), b.record(), 500ms);
  b.snd.send(text_message("patient"), b.record());  // no timeout
  b.net.advance(499ms);
  EXPECT_TRUE(b.results.empty());
  b.net.advance(1ms);
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].body, "late");
  EXPECT_EQ(b.results[0].result, send_result::timeout);
  EXPECT_EQ(b.results[0].what, "not sent within 500 ms");
  EXPECT_EQ(b.results[0].at, 500ms);
  EXPECT_EQ(b.snd.pending(), 1u);
  // Credit comes later: only the message still pending goes.
  for (const test::seen_event& s : b.server_h.events)
    if (s.what == "on_link_opened") {
      receiver r = s.receiver;
      ASSERT_FALSE(r.add_credit(10));
    }
  b.net.pump();
  ASSERT_EQ(b.results.size(), 2u);
  EXPECT_EQ(b.results[1].body, "patient");
  EXPECT_EQ(b.results[1].result, send_result::ok);
  const auto got = b.server_h.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(body_text(got[0]), "patient");
}

TEST(message_sender, a_message_without_an_outcome_in_time_ends_with_timeout_and_its_late_outcome_is_ignored) {
  sender_bench b;
  b.server_never_settles();
  b.start({.timeout = 2s});
  b.snd.send(text_message("slow"), b.record());
  b.net.advance(2s);
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::timeout);
  EXPECT_EQ(b.results[0].what, "no outcome within 2000 ms");
  // The server accepts after all: nothing more is reported.
  const test::seen_event* m = b.server_h.first("on_message");
  ASSERT_TRUE(m);
  delivery d = m->delivery;
  ASSERT_FALSE(d.accept());
  b.net.pump();
  EXPECT_EQ(b.results.size(), 1u);
}

TEST(message_sender, a_retryable_rejection_is_sent_again_after_its_backoff) {
  sender_bench b;
  int rejected = 0;
  b.server_h.on("on_message", [&](messaging_event& e) {
    if (rejected < 2) {
      ++rejected;
      (void)e.delivery().reject(condition{"amqp:internal-error", "disk busy", {}});
    }
  });
  message_sender_options o;
  o.error_policy.on_error.backoff = 300ms;
  b.start(std::move(o));
  b.snd.send(text_message("persistent"), b.record());
  b.net.pump();
  EXPECT_EQ(b.server_h.count("on_message"), 1u);
  b.net.advance(300ms);
  EXPECT_EQ(b.server_h.count("on_message"), 2u);
  EXPECT_TRUE(b.results.empty());
  b.net.advance(300ms);
  EXPECT_EQ(b.server_h.count("on_message"), 3u);
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::ok);
  EXPECT_EQ(b.results[0].at, 600ms);
}

TEST(message_sender, a_condition_in_no_retry_fails_at_once_with_it) {
  sender_bench b;
  b.server_h.on("on_message", [&](messaging_event& e) {
    (void)e.delivery().reject(condition{"amqp:not-allowed", "read-only queue", {}});
  });
  b.start();
  b.snd.send(text_message("refused"), b.record());
  b.net.advance(5s);
  EXPECT_EQ(b.server_h.count("on_message"), 1u);
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::error);
  EXPECT_EQ(b.results[0].what, "rejected: amqp:not-allowed: read-only queue");
  ASSERT_TRUE(b.results[0].error);
  EXPECT_EQ(b.results[0].error->name, "amqp:not-allowed");
}

TEST(message_sender, released_is_retried_up_to_max_retries_then_an_error) {
  sender_bench b;
  b.server_h.on("on_message", [&](messaging_event& e) { (void)e.delivery().release(); });
  message_sender_options o;
  o.error_policy.max_retries = 2;
  b.start(std::move(o));
  b.snd.send(text_message("unwanted"), b.record());
  b.net.pump();
  EXPECT_EQ(b.server_h.count("on_message"), 3u);
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::error);
  EXPECT_EQ(b.results[0].what, "released");
}

TEST(message_sender, a_policys_decide_sees_each_failure_and_its_retry_count) {
  sender_bench b;
  b.server_h.on("on_message", [&](messaging_event& e) {
    (void)e.delivery().modify(true, false);
  });
  std::vector<std::string> seen;
  message_sender_options o;
  o.error_policy.decide = [&](const send_failure& f, std::uint32_t retries) {
    seen.push_back(f.to_string() + " #" + std::to_string(retries));
    return error_action{.retry = retries < 1, .backoff = 10ms};
  };
  b.start(std::move(o));
  b.snd.send(text_message("m"), b.record());
  b.net.advance(1s);
  EXPECT_EQ(seen, (std::vector<std::string>{"modified #0", "modified #1"}));
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].what, "modified");
}

TEST(message_sender, messages_in_doubt_at_a_lost_connection_go_again_after_the_reconnect) {
  sender_bench b;
  b.server_never_settles();
  b.start();
  b.snd.send(text_message("once-more"), b.record());
  b.net.pump();
  ASSERT_EQ(b.server_h.count("on_message"), 1u);
  // From now on the server accepts.
  b.server_h.on("on_link_opened", [](messaging_event& e) {
    if (e.receiver().is_set()) e.receiver().open({});
  });
  ASSERT_TRUE(b.net.drop(b.conn));
  b.net.advance(1s);
  EXPECT_EQ(b.server_h.count("on_message"), 2u);
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::ok);
  EXPECT_EQ(b.snd.state(), link_state::open);
}

TEST(message_sender, a_link_the_peer_refuses_fails_the_queued_messages_with_its_condition) {
  sender_bench b;
  b.server_h.on("on_link_opened", [](messaging_event& e) {
    e.receiver().close(condition{"amqp:not-found", "no queue 'queue'", {}});
  });
  b.start();
  b.snd.send(text_message("nowhere"), b.record());
  b.net.pump();
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::error);
  EXPECT_EQ(b.results[0].what,
            "the link ended before the message was sent: amqp:not-found: no queue 'queue'");
  EXPECT_EQ(b.snd.state(), link_state::error);
  // Sent after the refusal: it fails the same way.
  b.snd.send(text_message("still nowhere"), b.record());
  b.net.pump();
  ASSERT_EQ(b.results.size(), 2u);
  EXPECT_EQ(b.results[1].what, b.results[0].what);
}

TEST(message_sender, close_keeps_the_queue_and_open_resumes_it) {
  sender_bench b;
  b.start();
  b.snd.close();
  b.net.pump();
  EXPECT_EQ(b.snd.state(), link_state::closed);
  EXPECT_EQ(test::sent_with(b.client_trace, "@detach").size(), 1u);
  // closed false is the field's default, so it is left out.
  EXPECT_EQ(test::sent_with(b.client_trace, "@detach")[0].find("closed"), std::string::npos)
      << test::sent_with(b.client_trace, "@detach")[0];
  b.snd.send(text_message("after"), b.record());
  b.net.pump();
  EXPECT_TRUE(b.results.empty());
  b.snd.open();
  b.net.pump();
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::ok);
}

TEST(message_sender, destroy_cancels_what_is_not_finished_and_closes_the_link) {
  sender_bench b;
  b.server_grants_nothing();
  b.start();
  b.snd.send(text_message("a"), b.record());
  b.snd.send(text_message("b"), b.record());
  b.snd.destroy();
  ASSERT_EQ(b.results.size(), 2u);
  EXPECT_EQ(b.results[0].result, send_result::cancelled);
  EXPECT_EQ(b.results[1].what, "the sender was destroyed");
  b.net.pump();
  EXPECT_NE(test::sent_with(b.client_trace, "@detach")[0].find("closed: true"), std::string::npos);
  b.snd.send(text_message("c"), b.record());
  b.net.pump();
  ASSERT_EQ(b.results.size(), 3u);
  EXPECT_EQ(b.results[2].result, send_result::cancelled);
}

TEST(message_sender, link_credit_bounds_the_messages_in_flight) {
  sender_bench b;
  b.server_never_settles();
  b.start({.link_credit = 2});
  for (int i = 0; i < 5; ++i) b.snd.send(text_message(test::numbered("m", i)), b.record());
  b.net.pump();
  EXPECT_EQ(b.server_h.count("on_message"), 2u);
  delivery first = b.server_h.first("on_message")->delivery;
  ASSERT_FALSE(first.accept());
  b.net.pump();
  EXPECT_EQ(b.server_h.count("on_message"), 3u);
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].body, "m0");
}

TEST(message_sender, the_connections_end_fails_what_is_left) {
  sender_bench b;
  b.server_grants_nothing();
  connection_options co;
  co.reconnect = false;
  b.start({}, co);
  b.snd.send(text_message("stranded"), b.record());
  b.net.pump();
  ASSERT_TRUE(b.net.drop(b.conn));
  b.net.pump();
  ASSERT_EQ(b.results.size(), 1u);
  EXPECT_EQ(b.results[0].result, send_result::error);
  EXPECT_TRUE(b.results[0].what.starts_with("the link ended before the message was sent: "))
      << b.results[0].what;
}

}  // namespace
}  // namespace amqp::client
