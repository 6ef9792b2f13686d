// SASL between two engines (spec Part 5, 5.3): every built-in mechanism succeeding and failing
// with a named error, the server's decisions taken through events (also late), refusals in both
// directions, the conversation cut at every chunk size, and no secret in a trace or an error.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "amqp/frame.hpp"
#include "amqp/sasl.hpp"
#include "amqp/spec.hpp"
#include "handshake.hpp"

namespace amqp::test {
namespace {

using namespace std::chrono_literals;

constexpr std::string_view password = "pencil-Secret-42";

engine_config sasl_client(sasl_client_options o) {
  engine_config c = client_config();
  c.sasl_client = std::move(o);
  return c;
}

engine_config sasl_server(sasl_server_options o) {
  engine_config c = server_config();
  c.sasl_server = std::move(o);
  return c;
}

scram_credentials credentials(std::string_view mechanism, std::string_view pass = password) {
  const std::uint8_t salt[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16};
  auto c = make_scram_credentials(mechanism, pass, salt, 4096);
  EXPECT_TRUE(c) << (c ? "" : c.error());
  return c ? *c : scram_credentials{};
}

bool anywhere(const engine_side& s, std::string_view needle) {
  return std::any_of(s.trace.lines.begin(), s.trace.lines.end(),
                     [&](const std::string& l) { return l.find(needle) != std::string::npos; });
}

std::error_code accept(connection_engine& e, const sasl_auth_requested&) {
  return e.sasl_accept();
}
std::error_code reject(connection_engine& e, const sasl_auth_requested&) {
  return e.sasl_reject();
}

TEST(sasl, anonymous_is_accepted_by_the_application_then_both_open) {
  engine_pair p(sasl_client({}), sasl_server({.mechanisms = {"ANONYMOUS"}}));
  open_both(p, accept);
  const auto* r = p.server_side.find<sasl_auth_requested>();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mechanism, "ANONYMOUS");
  EXPECT_EQ(r->user, "");
  EXPECT_TRUE(p.client_side.find<peer_opened>());
  EXPECT_TRUE(p.server_side.find<peer_opened>());
  ASSERT_TRUE(p.client.authentication());
  EXPECT_EQ(p.client.authentication()->mechanism, "ANONYMOUS");
  ASSERT_TRUE(p.server.authentication());
  // On the wire: the SASL header and frames, then the AMQP header and the open.
  const std::vector<std::string> sent = p.client_side.sent();
  ASSERT_GE(sent.size(), 4u);
  EXPECT_NE(sent[0].find("SASL 1.0.0"), std::string::npos) << sent[0];
  EXPECT_NE(sent[1].find("@sasl-init"), std::string::npos) << sent[1];
  EXPECT_NE(sent[1].find(":ANONYMOUS"), std::string::npos) << sent[1];
  EXPECT_NE(sent[2].find("AMQP 1.0.0"), std::string::npos) << sent[2];
  EXPECT_NE(sent[3].find("@open"), std::string::npos) << sent[3];
  EXPECT_TRUE(anywhere(p.server_side,
                       "-> [8] ch 0 @sasl-mechanisms(0x40) {sasl-server-mechanisms: "
                       "symbol[:ANONYMOUS]}"));
  EXPECT_TRUE(anywhere(p.server_side, "ch 0 @sasl-outcome(0x44) {code: ok}"));
}

TEST(sasl, plain_gives_the_server_the_user_and_password_and_keeps_the_password_out_of_traces) {
  engine_pair p(sasl_client({.user = "alice",
                             .password = std::string(password),
                             .authzid = "boss",
                             .allowed_mechs = {"PLAIN"},
                             .allow_insecure_mechs = true,
                             .hostname = "vhost-1"}),
                sasl_server({.mechanisms = {"PLAIN"}, .allow_insecure_mechs = true}));
  open_both(p, [](connection_engine& e, const sasl_auth_requested& r) {
    return r.password == password ? e.sasl_accept() : e.sasl_reject();
  });
  const auto* r = p.server_side.find<sasl_auth_requested>();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->mechanism, "PLAIN");
  EXPECT_EQ(r->user, "alice");
  EXPECT_EQ(r->authzid, "boss");
  EXPECT_EQ(r->password, password);
  EXPECT_EQ(r->hostname, "vhost-1");
  EXPECT_TRUE(p.client_side.find<peer_opened>());
  ASSERT_TRUE(p.server.authentication());
  EXPECT_EQ(p.server.authentication()->user, "alice");
  EXPECT_FALSE(anywhere(p.client_side, password));
  EXPECT_FALSE(anywhere(p.server_side, password));
  // The trace shows the frame, with the response's length in place of its bytes.
  EXPECT_TRUE(anywhere(p.client_side,
                       "-> [8] ch 0 @sasl-init(0x41) {mechanism: :PLAIN, "
                       "initial-response: b\"(27 bytes hidden)\", hostname: "
                       "\"vhost-1\"}"));
  EXPECT_TRUE(anywhere(p.server_side, "(27 bytes hidden)"));
}

TEST(sasl, plain_is_refused_in_the_clear_by_default_with_the_reason) {
  engine_pair p(sasl_client({.user = "alice", .password = std::string(password)}),
                sasl_server({.mechanisms = {"PLAIN"}, .allow_insecure_mechs = true}));
  open_both(p, accept);
  EXPECT_EQ(failure_of(p.client_side),
            "amqp:unauthorized-access: no mutually acceptable SASL mechanism: server offers "
            "[PLAIN], allowed [SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN] (PLAIN is "
            "refused without TLS unless allow_insecure_mechs is set)");
  EXPECT_FALSE(p.server_side.find<sasl_auth_requested>());
}

TEST(sasl, a_server_does_not_offer_plain_in_the_clear_by_default) {
  engine_pair p(sasl_client({.user = "alice",
                             .password = std::string(password),
                             .allowed_mechs = {"PLAIN"},
                             .allow_insecure_mechs = true}),
                sasl_server({.mechanisms = {"PLAIN", "SCRAM-SHA-256"}}));
  open_both(p, accept);
  EXPECT_EQ(failure_of(p.client_side),
            "amqp:unauthorized-access: no mutually acceptable SASL mechanism: server offers "
            "[SCRAM-SHA-256], allowed [PLAIN]");
}

class scram : public ::testing::TestWithParam<const char*> {};

TEST_P(scram, succeeds_with_the_stored_keys_and_both_sides_know_who) {
  const std::string mech = GetParam();
  engine_pair p(sasl_client({.user = "alice", .password = std::string(password)}),
                sasl_server({.mechanisms = {mech}}));
  open_both(p, [&](connection_engine& e, const sasl_auth_requested& r) {
    EXPECT_EQ(r.mechanism, mech);
    EXPECT_EQ(r.user, "alice");
    EXPECT_EQ(r.password, "");  // SCRAM never shows the server a password
    return e.sasl_scram_credentials(credentials(mech));
  });
  EXPECT_EQ(failure_of(p.client_side), "");
  EXPECT_TRUE(p.client_side.find<peer_opened>());
  EXPECT_TRUE(p.server_side.find<peer_opened>());
  ASSERT_TRUE(p.client_side.find<sasl_authenticated>());
  EXPECT_EQ(p.client_side.find<sasl_authenticated>()->mechanism, mech);
  ASSERT_TRUE(p.server.authentication());
  EXPECT_EQ(p.server.authentication()->user, "alice");
  EXPECT_TRUE(anywhere(p.server_side, "@sasl-challenge"));
  EXPECT_FALSE(anywhere(p.client_side, password));
}

TEST_P(scram, a_wrong_password_fails_on_both_sides_with_a_named_error) {
  const std::string mech = GetParam();
  engine_pair p(sasl_client({.user = "alice", .password = "not-the-password"}),
                sasl_server({.mechanisms = {mech}}));
  open_both(p, [&](connection_engine& e, const sasl_auth_requested&) {
    return e.sasl_scram_credentials(credentials(mech));
  });
  EXPECT_EQ(failure_of(p.client_side),
            "amqp:unauthorized-access: authentication failed: sasl-outcome auth (1) for user "
            "'alice' with mechanism " +
                mech);
  EXPECT_EQ(
      failure_of(p.server_side),
      "amqp:unauthorized-access: authentication failed for user 'alice' with mechanism " + mech);
  EXPECT_FALSE(p.client_side.find<peer_opened>());
  EXPECT_FALSE(p.server_side.find<peer_opened>());
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_TRUE(p.server.is_finished());
}

TEST_P(scram, an_unknown_user_looks_like_a_wrong_password_to_the_client) {
  const std::string mech = GetParam();
  engine_pair p(sasl_client({.user = "mallory", .password = std::string(password)}),
                sasl_server({.mechanisms = {mech}}));
  open_both(p, reject);
  EXPECT_TRUE(anywhere(p.server_side, "@sasl-challenge"));  // a challenge all the same
  EXPECT_EQ(failure_of(p.client_side),
            "amqp:unauthorized-access: authentication failed: sasl-outcome auth (1) for user "
            "'mallory' with mechanism " +
                mech);
}

INSTANTIATE_TEST_SUITE_P(mechanisms, scram,
                         ::testing::Values("SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"));

TEST(sasl, the_client_prefers_the_strongest_mechanism_both_allow) {
  engine_pair p(sasl_client({.user = "alice", .password = std::string(password)}),
                sasl_server({.mechanisms = {"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"}}));
  open_both(p, [&](connection_engine& e, const sasl_auth_requested& r) {
    return e.sasl_scram_credentials(credentials(r.mechanism));
  });
  ASSERT_TRUE(p.client.authentication());
  EXPECT_EQ(p.client.authentication()->mechanism, "SCRAM-SHA-512");
}

// EXTERNAL asserts the identity of a TLS client certificate: a client without one does not
// choose it by default, even from a server that offers it to everyone (RabbitMQ does).
TEST(sasl, a_client_without_a_certificate_does_not_choose_external_by_default) {
  engine_side s(sasl_client({}));
  ASSERT_FALSE(s.engine.open({.container_id = "client"}));
  const symbol_view offered[] = {symbol_view{"EXTERNAL"}, symbol_view{"ANONYMOUS"}};
  writer server;
  write_protocol_header(server, protocol_id::sasl);
  ASSERT_FALSE(write_frame(server, frame_type::sasl, 0,
                           spec::sasl_mechanisms{.sasl_server_mechanisms = offered}));
  (void)s.engine.feed(server.view(), time_point{});
  (void)s.engine.pending_output();
  const std::vector<std::string> sent = s.sent();
  ASSERT_FALSE(sent.empty());
  EXPECT_NE(sent.back().find("@sasl-init"), std::string::npos) << sent.back();
  EXPECT_NE(sent.back().find(":ANONYMOUS"), std::string::npos) << sent.back();
}

TEST(sasl, allowed_mechs_orders_the_clients_choice) {
  engine_pair p(sasl_client({.user = "alice",
                             .password = std::string(password),
                             .allowed_mechs = {"SCRAM-SHA-1", "SCRAM-SHA-512"}}),
                sasl_server({.mechanisms = {"SCRAM-SHA-512", "SCRAM-SHA-1"}}));
  open_both(p, [&](connection_engine& e, const sasl_auth_requested& r) {
    return e.sasl_scram_credentials(credentials(r.mechanism));
  });
  ASSERT_TRUE(p.client.authentication());
  EXPECT_EQ(p.client.authentication()->mechanism, "SCRAM-SHA-1");
}

TEST(sasl, a_rejected_plain_client_gets_auth_and_the_server_says_why) {
  engine_pair p(sasl_client({.user = "bob",
                             .password = std::string(password),
                             .allowed_mechs = {"PLAIN"},
                             .allow_insecure_mechs = true}),
                sasl_server({.mechanisms = {"PLAIN"}, .allow_insecure_mechs = true}));
  open_both(p, reject);
  EXPECT_EQ(failure_of(p.client_side),
            "amqp:unauthorized-access: authentication failed: sasl-outcome auth (1) for user "
            "'bob' with mechanism PLAIN");
  EXPECT_EQ(failure_of(p.server_side),
            "amqp:unauthorized-access: authentication failed for user 'bob' with mechanism "
            "PLAIN (rejected by the application)");
  EXPECT_EQ(failure_of(p.client_side).find(password), std::string::npos);
}

TEST(sasl, a_decision_may_come_late_within_the_handshake_timeout) {
  engine_pair p(sasl_client({}), sasl_server({.mechanisms = {"ANONYMOUS"}}));
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  ASSERT_TRUE(p.server_side.find<sasl_auth_requested>());
  p.advance(20s);  // an asynchronous credential check
  EXPECT_FALSE(p.server_side.find<transport_closed>());
  ASSERT_FALSE(p.server.sasl_accept());
  p.pump();
  EXPECT_TRUE(p.server_side.find<peer_opened>());
  EXPECT_EQ(p.server.sasl_accept(), make_error_code(errc::wrong_state));  // decided already
}

// Qpid Proton's clients send the whole opening at once: SASL header, sasl-init, AMQP header and
// open. The AMQP header waits, unread, while the application decides the init; after the
// outcome it is read, at whatever point the stream was cut.
TEST(sasl, a_server_reads_an_amqp_header_pipelined_behind_the_sasl_init_after_its_outcome) {
  writer w;
  write_protocol_header(w, protocol_id::sasl);
  ASSERT_FALSE(write_frame(w, frame_type::sasl, 0,
                           spec::sasl_init{.mechanism = symbol_view{"ANONYMOUS"}}));
  const std::size_t header_at = w.size();
  write_protocol_header(w, protocol_id::amqp);
  spec::open open;
  open.container_id = "pipelining-client";
  ASSERT_FALSE(write_frame(w, frame_type::amqp, 0, open));
  const bytes_view stream = w.view();

  for (std::size_t cut = 1; cut <= stream.size(); ++cut) {
    SCOPED_TRACE("cut at " + std::to_string(cut));
    engine_side server(sasl_server({.mechanisms = {"ANONYMOUS"}}));
    const time_point now{std::chrono::hours(1)};
    std::size_t fed = 0;
    for (int round = 0; fed < stream.size() && round < 16; ++round) {
      const std::size_t end = fed < cut ? cut : stream.size();
      fed += server.engine.feed(stream.subspan(fed, end - fed), now);
      server.drain_events();
      if (server.find<sasl_auth_requested>() &&
          !server.engine.authentication()) {
        // Nothing of AMQP is read before the decision.
        EXPECT_LE(fed, header_at);
        EXPECT_FALSE(server.find<peer_opened>());
        ASSERT_FALSE(server.engine.sasl_accept());
      }
    }
    ASSERT_EQ(fed, stream.size());
    EXPECT_FALSE(server.find<transport_closed>());
    const auto* opened = server.find<peer_opened>();
    ASSERT_TRUE(opened);
    ASSERT_TRUE(server.engine.remote_open());
    EXPECT_EQ(server.engine.remote_open()->container_id, "pipelining-client");
    const std::vector<std::string> sent = server.sent();
    EXPECT_TRUE(std::any_of(sent.begin(), sent.end(), [](const std::string& l) {
      return l.find("@sasl-outcome(0x44) {code: ok}") != std::string::npos;
    }));
  }
}

TEST(sasl, no_decision_within_the_handshake_timeout_ends_the_connection) {
  engine_pair p(sasl_client({}), sasl_server({.mechanisms = {"ANONYMOUS"}}));
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  p.advance(31s);
  EXPECT_NE(failure_of(p.server_side).find("amqp:resource-limit-exceeded"), std::string::npos);
  EXPECT_TRUE(p.server.is_finished());
  // A decision that comes after the end is refused and writes nothing.
  EXPECT_EQ(p.server.sasl_accept(), make_error_code(errc::wrong_state));
  EXPECT_EQ(p.server.sasl_reject(), make_error_code(errc::wrong_state));
  EXPECT_TRUE(p.server.pending_output().empty());
  EXPECT_TRUE(p.server.is_finished());
}

TEST(sasl, commands_out_of_turn_are_refused_and_change_nothing) {
  engine_pair p(sasl_client({.user = "alice", .password = std::string(password)}),
                sasl_server({.mechanisms = {"SCRAM-SHA-256"}}));
  EXPECT_EQ(p.server.sasl_accept(), make_error_code(errc::wrong_state));
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  ASSERT_TRUE(p.server_side.find<sasl_auth_requested>());
  EXPECT_EQ(p.server.sasl_accept(), make_error_code(errc::wrong_state));  // SCRAM needs keys
  EXPECT_EQ(p.server.sasl_scram_credentials(credentials("SCRAM-SHA-1")),
            make_error_code(errc::invalid_argument));
  EXPECT_EQ(p.server.open({.container_id = "server"}), make_error_code(errc::wrong_state));
  EXPECT_EQ(p.client.begin_session().error(), make_error_code(errc::wrong_state));
  ASSERT_FALSE(p.server.sasl_scram_credentials(credentials("SCRAM-SHA-256")));
  p.pump();
  EXPECT_TRUE(p.server_side.find<peer_opened>());
}

TEST(sasl, a_client_without_sasl_is_refused_by_a_server_that_requires_it) {
  engine_pair p(client_config(), sasl_server({.mechanisms = {"ANONYMOUS"}}));
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  EXPECT_EQ(failure_of(p.server_side),
            "amqp:unauthorized-access: the client sent AMQP 0.1.0.0, but this server requires "
            "SASL (AMQP 3.1.0.0) first");
  EXPECT_NE(failure_of(p.client_side).find("AMQP 3.1.0.0"), std::string::npos)
      << failure_of(p.client_side);
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_TRUE(p.server.is_finished());
}

TEST(sasl, a_client_that_requires_sasl_refuses_a_server_without_it) {
  engine_pair p(sasl_client({}), server_config());
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  EXPECT_EQ(failure_of(p.client_side),
            "amqp:unauthorized-access: the server answered with AMQP 0.1.0.0 instead of SASL "
            "(AMQP 3.1.0.0): it does not authenticate with SASL");
  EXPECT_TRUE(p.client.is_finished());
}

TEST(sasl, a_client_may_give_up_during_authentication) {
  engine_pair p(sasl_client({}), sasl_server({.mechanisms = {"ANONYMOUS"}}));
  ASSERT_FALSE(p.client.open({.container_id = "client"}));
  p.pump();
  ASSERT_FALSE(p.client.close());
  p.pump();
  const auto* t = p.client_side.find<transport_closed>();
  ASSERT_TRUE(t);
  EXPECT_FALSE(t->error);
  EXPECT_TRUE(p.client.is_finished());
  EXPECT_NE(failure_of(p.server_side).find("during SASL authentication"), std::string::npos)
      << failure_of(p.server_side);
}

// A SASL frame is at most 512 bytes (spec Part 5, 5.3.1): PLAIN's message holds the credentials
// as they are, and long ones do not fit. The client says so rather than write a frame that the
// server's reader refuses as badly framed.
TEST(sasl, a_frame_above_512_bytes_is_not_written_and_the_client_says_why) {
  engine_pair p(sasl_client({.user = std::string(255, 'u'),
                             .password = std::string(255, 'p'),
                             .allowed_mechs = {"PLAIN"},
                             .allow_insecure_mechs = true}),
                sasl_server({.mechanisms = {"PLAIN"}, .allow_insecure_mechs = true}));
  open_both(p, accept);
  EXPECT_NE(failure_of(p.client_side)
                .find("the sasl-init frame would be 544 bytes, more than the 512 a SASL frame"),
            std::string::npos)
      << failure_of(p.client_side);
  EXPECT_FALSE(p.server_side.find<sasl_auth_requested>());
  EXPECT_FALSE(anywhere(p.client_side, std::string(255, 'p')));
}

// Both peers raised max_sasl_frame_size: the same credentials go through.
TEST(sasl, a_larger_sasl_frame_limit_on_both_sides_lets_long_credentials_through) {
  engine_config c = sasl_client({.user = std::string(255, 'u'),
                                 .password = std::string(255, 'p'),
                                 .allowed_mechs = {"PLAIN"},
                                 .allow_insecure_mechs = true});
  engine_config s = sasl_server({.mechanisms = {"PLAIN"}, .allow_insecure_mechs = true});
  c.limits.max_sasl_frame_size = s.limits.max_sasl_frame_size = 1024;
  engine_pair p(std::move(c), std::move(s));
  open_both(p, accept);
  EXPECT_EQ(failure_of(p.client_side), "");
  ASSERT_TRUE(p.server.authentication());
  EXPECT_EQ(p.server.authentication()->user, std::string(255, 'u'));

  // A server left at 512 refuses the frame as too large.
  engine_config c2 = sasl_client({.user = std::string(255, 'u'),
                                  .password = std::string(255, 'p'),
                                  .allowed_mechs = {"PLAIN"},
                                  .allow_insecure_mechs = true});
  c2.limits.max_sasl_frame_size = 1024;
  engine_pair q(std::move(c2),
                sasl_server({.mechanisms = {"PLAIN"}, .allow_insecure_mechs = true}));
  open_both(q, accept);
  EXPECT_EQ(failure_of(q.server_side),
            "amqp:connection:framing-error: frame size above the maximum frame size at offset 8 "
            "of the input stream");
  EXPECT_FALSE(anywhere(q.server_side, std::string(255, 'p')));
}

// A sasl-init whose mechanism is a string, not a symbol, is refused, but traced first: its
// initial-response must not show there either.
TEST(sasl, a_sasl_init_that_does_not_decode_is_traced_without_its_credentials) {
  engine_side s(sasl_server({.mechanisms = {"PLAIN"}, .allow_insecure_mechs = true}));
  const std::string response = std::string("\0alice\0", 7) + std::string(password);
  const std::string list =
      std::string("\x02\xa1\x05PLAIN\xa0") + static_cast<char>(response.size()) + response;
  const std::string body =
      std::string("\x00\x53\x41\xc0", 4) + static_cast<char>(list.size()) + list;
  const std::string stream = std::string("AMQP\x03\x01\x00\x00\x00\x00\x00", 11) +
                             static_cast<char>(8 + body.size()) +
                             std::string("\x02\x01\x00\x00", 4) + body;
  (void)s.engine.feed(detail::as_bytes(stream), time_point{});
  s.drain_events();
  EXPECT_NE(failure_of(s).find("invalid sasl-init frame"), std::string::npos) << failure_of(s);
  EXPECT_TRUE(anywhere(s, "(23 bytes hidden)"));
  EXPECT_FALSE(anywhere(s, password));
}

// Every mechanism, the bytes cut into chunks of each size from 1 to 40: the same outcome.
TEST(sasl, every_mechanism_at_every_chunk_size) {
  for (const char* mech : {"ANONYMOUS", "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
    for (std::size_t chunk = 1; chunk <= 40; ++chunk) {
      const bool anonymous = std::string_view(mech) == "ANONYMOUS";
      engine_pair p(sasl_client({.user = anonymous ? "" : "alice",
                                 .password = anonymous ? "" : std::string(password),
                                 .allowed_mechs = {mech},
                                 .allow_insecure_mechs = true}),
                    sasl_server({.mechanisms = {mech}, .allow_insecure_mechs = true}));
      p.chunk = chunk;
      open_both(p, [&](connection_engine& e, const sasl_auth_requested& r) {
        return r.mechanism.starts_with("SCRAM") ? e.sasl_scram_credentials(credentials(mech))
                                                : e.sasl_accept();
      });
      EXPECT_EQ(failure_of(p.client_side), "") << mech << " chunk " << chunk;
      EXPECT_TRUE(p.client_side.find<peer_opened>()) << mech << " chunk " << chunk;
      EXPECT_TRUE(p.server_side.find<peer_opened>()) << mech << " chunk " << chunk;
    }
  }
}

}  // namespace
}  // namespace amqp::test
