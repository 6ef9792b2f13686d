// A server's side of the messaging layer: links the peer attached answered by default or by the
// handler, refused, dynamic nodes, filters and durable termini on the wire, the anonymous
// relay, and SASL through the connection options.
#include <gtest/gtest.h>

#include <array>

#include "amqp/sasl.hpp"
#include "fixture.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

TEST(server_side, a_peers_link_is_answered_by_default_with_its_own_termini) {
  messaging_pair p;
  p.listen();
  auto c = p.connect();
  auto s = c.open_sender("orders", {.target = terminus{.capabilities = {"queue"}}});
  p.net.run();
  ASSERT_EQ(s.state(), endpoint_state::active);
  const seen_event* opened = p.server_h.first("on_link_opened");
  ASSERT_TRUE(opened);
  receiver r = opened->receiver;
  ASSERT_TRUE(r.is_set());
  EXPECT_EQ(r.address(), "orders");
  EXPECT_EQ(r.name(), s.name());
  EXPECT_EQ(r.role(), role::receiver);
  EXPECT_EQ(r.state(), endpoint_state::active);
  const auto answer = sent_with(p.server_trace, "@attach");
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_TRUE(has(answer[0], "role: receiver")) << answer[0];
  EXPECT_TRUE(has(answer[0], "address: \"orders\"")) << answer[0];
  EXPECT_TRUE(has(answer[0], ":queue")) << answer[0];
  ASSERT_TRUE(s.status()->remote_target);
  EXPECT_EQ(s.status()->remote_target->address, "orders");
  EXPECT_EQ(s.address(), "orders");
  // The default receiver grants its window.
  EXPECT_EQ(s.credit(), 10u);
  EXPECT_EQ(p.server_connection().address().host, "broker");
}

TEST(server_side, the_handler_answers_with_its_own_options) {
  messaging_pair p;
  p.listen();
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    if (e.receiver().is_set()) e.receiver().open({.credit_window = 2});
    if (e.sender().is_set()) e.sender().open({.source = terminus{.address = "orders-copy"}});
  });
  auto c = p.connect();
  auto s = c.open_sender("orders");
  auto r = c.open_receiver("orders");
  p.net.run();
  EXPECT_EQ(s.credit(), 2u);
  EXPECT_EQ(r.address(), "orders-copy");
  EXPECT_EQ(sent_with(p.server_trace, "@attach").size(), 2u);
  // The server's sender: its node is the source it gave.
  const seen_event* opened = p.server_h.last("on_link_opened");
  ASSERT_TRUE(opened->sender.is_set());
  EXPECT_EQ(opened->sender.address(), "orders-copy");
}

TEST(server_side, a_link_closed_in_on_link_opened_is_refused_with_the_condition) {
  messaging_pair p;
  p.listen();
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    e.link().close(condition{"amqp:not-found", "no node 'nowhere'", {}});
  });
  auto c = p.connect();
  auto s = c.open_sender("nowhere");
  p.net.run();
  EXPECT_EQ(p.client_h.only({"on_link_opened", "on_link_error", "on_link_closed"}),
            (calls{"on_link_error amqp:not-found", "on_link_closed amqp:not-found"}));
  EXPECT_EQ(s.error()->description, "no node 'nowhere'");
  EXPECT_EQ(s.state(), endpoint_state::closed);
  EXPECT_EQ(p.server_h.only({"on_link_opened", "on_link_closed"}),
            (calls{"on_link_opened", "on_link_closed"}));
  // An attach answers the peer's before the detach says why (spec Part 2, 2.6.3).
  const auto server_frames = sent_with(p.server_trace, "@");
  std::vector<std::string> performatives;
  for (const std::string& f : server_frames)
    for (const char* name : {"@attach", "@detach"})
      if (has(f, name)) performatives.push_back(name);
  EXPECT_EQ(performatives, (std::vector<std::string>{"@attach", "@detach"}));
  EXPECT_EQ(c.state(), endpoint_state::active);
}

TEST(server_side, a_dynamic_source_gets_the_address_the_server_gives) {
  messaging_pair p;
  p.listen();
  p.server_h.on("on_link_opened", [](messaging_event& e) {
    ASSERT_TRUE(e.sender().is_set());
    const link_status* st = e.sender().status();
    ASSERT_TRUE(st && st->remote_source);
    EXPECT_TRUE(st->remote_source->dynamic);
    EXPECT_FALSE(st->remote_source->address);
    e.sender().open({.source = terminus{.address = "reply-7", .dynamic = true}});
  });
  auto c = p.connect();
  auto r = c.open_receiver("", {.dynamic = true});
  EXPECT_EQ(r.address(), "");
  p.net.run();
  const auto attach = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_TRUE(has(attach[0], "dynamic: true")) << attach[0];
  EXPECT_EQ(r.address(), "reply-7");
  EXPECT_EQ(p.server_h.first("on_link_opened")->sender.address(), "reply-7");
}

TEST(server_side, a_dynamic_source_answered_by_default_gets_an_address_made_up) {
  messaging_pair p;
  p.listen();
  auto c = p.connect();
  auto r = c.open_receiver("", {.dynamic = true});
  p.net.run();
  EXPECT_FALSE(r.address().empty());
  const seen_event* opened = p.server_h.first("on_link_opened");
  ASSERT_TRUE(opened);
  EXPECT_EQ(opened->sender.address(), r.address());
  EXPECT_EQ(r.status()->remote_source->dynamic, true);
}

TEST(server_side, a_selector_goes_out_as_the_apache_selector_filter) {
  messaging_pair p;
  p.listen();
  auto c = p.connect();
  auto r = c.open_receiver("prices", {.selector = "colour = 'green'"});
  p.net.run();
  const auto attach = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_TRUE(has(attach[0], ":selector")) << attach[0];
  EXPECT_TRUE(has(attach[0], "apache.org:selector-filter:string")) << attach[0];
  EXPECT_TRUE(has(attach[0], "colour = 'green'")) << attach[0];
  // The server's sender sees it in the remote source.
  const seen_event* opened = p.server_h.first("on_link_opened");
  ASSERT_TRUE(opened);
  const link_status* st = opened->sender.status();
  ASSERT_TRUE(st && st->remote_source);
  EXPECT_EQ(st->remote_source->filter,
            value::map_of({{value::sym("selector"),
                            value::described_of(value::sym("apache.org:selector-filter:string"),
                                                value("colour = 'green'"))}}));
  EXPECT_EQ(r.state(), endpoint_state::active);
}

TEST(server_side, a_durable_subscription_detaches_and_attaches_again_by_name) {
  messaging_pair p;
  p.listen();
  auto c = p.connect();
  auto r =
      c.open_receiver("topic", {.name = "sub-1", .durable = true, .distribution_mode = "copy"});
  p.net.run();
  auto attach = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_TRUE(has(attach[0], "name: \"sub-1\"")) << attach[0];
  EXPECT_TRUE(has(attach[0], "durable: unsettled-state")) << attach[0];
  EXPECT_TRUE(has(attach[0], "expiry-policy: never")) << attach[0];
  EXPECT_TRUE(has(attach[0], "distribution-mode: :copy")) << attach[0];

  r.detach();
  p.net.pump();
  const auto detach = sent_with(p.client_trace, "@detach");
  ASSERT_EQ(detach.size(), 1u);
  EXPECT_FALSE(has(detach[0], "closed: true")) << detach[0];
  EXPECT_EQ(r.state(), endpoint_state::closed);
  EXPECT_EQ(p.client_h.count("on_link_closed"), 1u);

  auto again = c.open_receiver("topic", {.name = "sub-1", .durable = true});
  p.net.pump();
  EXPECT_EQ(again.state(), endpoint_state::active);
  EXPECT_EQ(again.name(), "sub-1");
  again.close();
  p.net.pump();
  EXPECT_TRUE(has(sent_with(p.client_trace, "@detach").back(), "closed: true"));
}

TEST(server_side, a_sender_without_address_uses_the_anonymous_relay_the_peer_offers) {
  messaging_pair p;
  p.listen({.offered_capabilities = {"ANONYMOUS-RELAY"}});
  auto c = p.connect();
  auto s = c.open_sender("");
  p.net.run();
  ASSERT_EQ(s.state(), endpoint_state::active);
  EXPECT_TRUE(c.peer_offers("ANONYMOUS-RELAY"));
  const auto attach = sent_with(p.client_trace, "@attach");
  ASSERT_EQ(attach.size(), 1u);
  EXPECT_FALSE(has(attach[0], "address:")) << attach[0];
  message m = text_message("to a");
  m.properties.to = "queue-a";
  ASSERT_TRUE(s.send(m));
  p.net.pump();
  const auto got = p.server_h.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(got[0].properties.to, value("queue-a"));
  EXPECT_EQ(p.client_h.count("on_accepted"), 1u);
}

TEST(server_side, a_sender_without_address_fails_naming_the_capability_the_peer_lacks) {
  messaging_pair p;
  p.listen();
  auto c = p.connect();
  auto s = c.open_sender("");
  auto other = c.open_sender("fine");
  p.net.run();
  EXPECT_EQ(p.client_h.only({"on_link_error", "on_link_closed"}),
            (calls{"on_link_error amqp:not-implemented", "on_link_closed amqp:not-implemented"}));
  const seen_event* err = p.client_h.last("on_link_error");
  EXPECT_EQ(err->sender, s);
  EXPECT_TRUE(has(err->error->description, "ANONYMOUS-RELAY")) << err->error->description;
  EXPECT_TRUE(has(err->error->description, "server")) << err->error->description;
  EXPECT_EQ(s.state(), endpoint_state::closed);
  EXPECT_EQ(sent_with(p.client_trace, "@attach").size(), 1u);  // only the other one
  EXPECT_EQ(other.state(), endpoint_state::active);
  EXPECT_FALSE(s.send(text_message("x")));
}

TEST(server_side, a_sender_without_address_opened_later_is_checked_at_once) {
  messaging_pair p;
  p.listen();
  auto c = p.connect();
  p.net.run();
  // Outside any handler call: the error comes when the binding runs the connection next, not
  // from inside open_sender.
  auto s = c.open_sender("");
  EXPECT_EQ(p.client_h.count("on_link_error"), 0u);
  p.net.pump();
  EXPECT_EQ(p.client_h.only({"on_link_error"}), (calls{"on_link_error amqp:not-implemented"}));
  EXPECT_EQ(p.client_h.last("on_link_error")->sender, s);
}

// --- SASL -----------------------------------------------------------------------------------

struct sasl_pair : messaging_pair {
  std::vector<sasl_auth_requested> asked;
  void listen_plain(std::vector<std::string> mechs = {"PLAIN"}) {
    connection_options o{.allowed_mechs = std::move(mechs), .allow_insecure_mechs = true};
    o.authenticate = [this](const sasl_auth_requested& r) {
      asked.push_back(r);
      return r.user == "alice" && r.password == "secret" ? sasl_verdict::accept()
                                                         : sasl_verdict::reject();
    };
    listen(std::move(o));
  }
};

TEST(server_side, user_and_password_come_from_the_url_and_the_server_accepts_them) {
  sasl_pair p;
  p.listen_plain();
  auto c = p.connect({.allow_insecure_mechs = true}, "amqp://alice:secret@broker:5672/q");
  p.net.run();
  ASSERT_EQ(p.asked.size(), 1u);
  EXPECT_EQ(p.asked[0].mechanism, "PLAIN");
  EXPECT_EQ(p.asked[0].user, "alice");
  EXPECT_EQ(p.asked[0].hostname, "broker");
  EXPECT_EQ(c.state(), endpoint_state::active);
  ASSERT_TRUE(p.server_connection().authentication());
  EXPECT_EQ(p.server_connection().authentication()->user, "alice");
  ASSERT_TRUE(c.authentication());
  EXPECT_EQ(c.authentication()->mechanism, "PLAIN");
  EXPECT_EQ(p.client_h.only({"on_connection_opened", "on_transport_error"}),
            (calls{"on_connection_opened"}));
}

TEST(server_side, a_wrong_password_is_a_transport_error_naming_the_reason) {
  sasl_pair p;
  p.listen_plain();
  auto c = p.connect({.allow_insecure_mechs = true, .reconnect = false},
                     "amqp://alice:wrong@broker:5672/q");
  auto s = c.open_sender("q");
  p.net.run();
  EXPECT_EQ(p.client_h.only({"on_connection_opened", "on_transport_error", "on_disconnected"}),
            (calls{"on_transport_error amqp:unauthorized-access", "on_disconnected"}));
  const seen_event* err = p.client_h.last("on_transport_error");
  EXPECT_TRUE(has(err->error->description, "authentication failed")) << err->error->description;
  EXPECT_TRUE(has(err->error->description, "broker:5672")) << err->error->description;
  EXPECT_TRUE(p.net.finished(c));
  EXPECT_EQ(s.state(), endpoint_state::closed);
  // The server's handler never saw the connection open.
  EXPECT_EQ(p.server_h.count("on_connection_opened"), 0u);
}

TEST(server_side, a_refused_authentication_is_not_retried) {
  sasl_pair p;
  p.listen_plain();
  // Reconnect is on: the refusal itself ends the connection.
  auto c = p.connect({.allow_insecure_mechs = true}, "amqp://alice:wrong@broker:5672/q");
  p.net.run();
  p.net.advance(60s);
  EXPECT_EQ(p.client_h.only({"on_transport_error", "on_disconnected", "on_reconnected"}),
            (calls{"on_transport_error amqp:unauthorized-access", "on_disconnected"}));
  EXPECT_EQ(p.asked.size(), 1u);
  EXPECT_EQ(p.net.attempts.size(), 1u);
  EXPECT_TRUE(p.net.finished(c));
}

TEST(server_side, options_override_the_urls_credentials) {
  sasl_pair p;
  p.listen_plain();
  auto c = p.connect({.user = "alice", .password = "secret", .allow_insecure_mechs = true},
                     "amqp://bob:nope@broker:5672");
  p.net.run();
  EXPECT_EQ(c.state(), endpoint_state::active);
  ASSERT_EQ(p.asked.size(), 1u);
  EXPECT_EQ(p.asked[0].user, "alice");
}

TEST(server_side, allowed_mechs_choose_scram_with_credentials_from_the_authenticator) {
  messaging_pair p;
  const std::array<std::uint8_t, 8> salt{1, 2, 3, 4, 5, 6, 7, 8};
  auto creds = make_scram_credentials("SCRAM-SHA-256", "secret", salt, 4096);
  ASSERT_TRUE(creds) << creds.error();
  connection_options so{.allowed_mechs = {"SCRAM-SHA-256", "PLAIN"}};
  so.authenticate = [&](const sasl_auth_requested& r) {
    EXPECT_EQ(r.mechanism, "SCRAM-SHA-256");
    return r.user == "alice" ? sasl_verdict::scram(*creds) : sasl_verdict::reject();
  };
  p.listen(so);
  auto c = p.connect({.allowed_mechs = {"SCRAM-SHA-256"}}, "amqp://alice:secret@broker:5672");
  p.net.run();
  EXPECT_EQ(c.state(), endpoint_state::active);
  ASSERT_TRUE(c.authentication());
  EXPECT_EQ(c.authentication()->mechanism, "SCRAM-SHA-256");
  EXPECT_EQ(p.server_connection().authentication()->user, "alice");
}

TEST(server_side, no_common_mechanism_is_a_transport_error_naming_both_lists) {
  sasl_pair p;
  p.listen_plain({"SCRAM-SHA-256"});
  auto c = p.connect({.allowed_mechs = {"PLAIN"}, .allow_insecure_mechs = true, .reconnect = false},
                     "amqp://alice:secret@broker:5672");
  p.net.run();
  const seen_event* err = p.client_h.last("on_transport_error");
  ASSERT_TRUE(err);
  EXPECT_TRUE(has(err->error->description, "SCRAM-SHA-256")) << err->error->description;
  EXPECT_TRUE(has(err->error->description, "PLAIN")) << err->error->description;
  EXPECT_TRUE(p.net.finished(c));
}

TEST(server_side, without_sasl_on_both_sides_the_connection_opens_plain) {
  messaging_pair p;
  p.listen({.sasl_enabled = false});
  auto c = p.connect({.sasl_enabled = false});
  auto s = c.open_sender("q");
  p.net.run();
  EXPECT_EQ(s.state(), endpoint_state::active);
  EXPECT_FALSE(c.authentication());
  EXPECT_TRUE(sent_with(p.client_trace, "@sasl").empty());
}

TEST(server_side, a_server_may_open_the_connection_itself_with_its_options) {
  messaging_pair p;
  p.listen({.offered_capabilities = {"ANONYMOUS-RELAY"}});
  p.server_h.on("on_connection_opened", [](messaging_event& e) {
    EXPECT_EQ(e.connection().state(), endpoint_state::opening);
    e.connection().open();
    EXPECT_EQ(e.connection().state(), endpoint_state::active);
  });
  auto c = p.connect();
  p.net.run();
  EXPECT_EQ(sent_with(p.server_trace, "@open").size(), 1u);
  EXPECT_TRUE(c.peer_offers("ANONYMOUS-RELAY"));
  EXPECT_EQ(c.remote_open()->container_id, "server");
}

TEST(server_side, a_server_may_open_a_session_and_link_before_its_own_open_goes_out) {
  messaging_pair p;
  p.listen();
  sender pushed;
  p.server_h.on("on_connection_opened",
                [&](messaging_event& e) { pushed = e.connection().open_sender("early"); });
  auto c = p.connect();
  p.net.run();
  EXPECT_EQ(pushed.state(), endpoint_state::active);
  EXPECT_EQ(p.client_h.only({"on_session_opened", "on_link_opened"}),
            (calls{"on_session_opened", "on_link_opened"}));
  EXPECT_EQ(p.client_h.first("on_link_opened")->receiver.address(), "early");
}

TEST(server_side, a_server_may_open_links_to_its_client) {
  messaging_pair p;
  p.listen();
  sender pushed;
  p.server_h.on("on_session_opened",
                [&](messaging_event& e) { pushed = e.session().open_sender("notifications"); });
  p.server_h.on("on_sendable", [&](messaging_event& e) {
    if (e.sender() == pushed) {
      ASSERT_TRUE(e.sender().send(text_message("hello client")));
    }
  });
  auto c = p.connect();
  c.open_session();
  p.net.run();
  EXPECT_EQ(pushed.state(), endpoint_state::active);
  const seen_event* opened = p.client_h.first("on_link_opened");
  ASSERT_TRUE(opened);
  EXPECT_TRUE(opened->receiver.is_set());
  EXPECT_EQ(opened->receiver.address(), "notifications");
  auto got = p.client_h.messages();
  ASSERT_EQ(got.size(), 1u);
  EXPECT_EQ(body_text(got[0]), "hello client");
}

}  // namespace
}  // namespace amqp::test
