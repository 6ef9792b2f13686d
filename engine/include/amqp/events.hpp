// What the engine reports: one struct per past-tense fact, pulled with poll_event().
//
//   while (auto ev = engine.poll_event()) {
//     if (std::holds_alternative<amqp::peer_opened>(*ev)) (void)engine.open(options);
//     else if (auto* c = std::get_if<amqp::peer_closed>(&*ev)) (void)engine.close();
//     else if (auto* t = std::get_if<amqp::transport_closed>(&*ev); t && t->error)
//       std::cerr << t->error->to_string() << '\n';
//   }
//
// Events own what they carry; the large things (the peer's open) are queries on the engine.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "amqp/condition.hpp"
#include "amqp/handles.hpp"

namespace amqp {

// The peer's open arrived; connection_engine::remote_open() has its fields.
struct peer_opened {};

// The peer's close arrived, with the error it closed with, if any. The engine has stopped
// sending anything but the close the application answers with (close()).
struct peer_closed {
  std::optional<condition> error;
};

// The peer's begin arrived (spec Part 2, 2.5.2): either its answer to a begin_session(), or a
// session the peer began, which the application answers with begin_session(session, options)
// or refuses with end_session(). connection_engine::session_status() has its fields.
struct peer_began_session {
  session_handle session;
  bool answer = false;  // true when it answers a begin_session() of this side
};

// The peer's end arrived, with the error it ended with, if any. When it answers an
// end_session() of this side, the session is gone and its handle stale; otherwise the
// application answers with end_session().
struct peer_ended_session {
  session_handle session;
  std::optional<condition> error;
};

// The peer's attach arrived (spec Part 2, 2.6.3): either its answer to an attach_sender() or
// attach_receiver(), or a link the peer attached, which the application answers with
// attach(link, options) or refuses with close_link(). connection_engine::link() has its
// fields, the remote source and target among them.
struct peer_attached {
  link_handle link;
  bool answer = false;  // true when it answers an attach of this side
};

// The peer's detach arrived, closing the link or only detaching it. When it answers a
// detach() or close_link() of this side, the link is gone and its handle stale; otherwise the
// application answers with detach() or close_link().
struct peer_detached {
  link_handle link;
  bool closed = false;
  std::optional<condition> error;
};

// A sender's credit changed: the receiver granted credit, or asked to drain it (then
// link_status::drain is set: send what is available, then complete_drain()).
struct credit_granted {
  link_handle link;
};

// A receiver's drain completed: the sender used or gave up all the credit.
struct link_drained {
  link_handle link;
};

// A whole delivery arrived on a receiving link: payload() has its message, delivery() its
// state. The application settles it (settle()) when done with it; until then the handle and
// the payload stay valid.
struct transfer_received {
  link_handle link;
  delivery_handle delivery;
};

// The sender aborted a delivery it had begun (spec Part 2, 2.6.14): its frames are dropped.
struct transfer_aborted {
  link_handle link;
};

// The peer changed a delivery's state or settled it (spec Part 2, 2.7.6); delivery() has the
// remote state.
struct disposition_received {
  delivery_handle delivery;
  bool settled = false;
};

// A delivery this side sent lost its link, session or connection before the peer settled it:
// its outcome is unknown. The handle stays valid until the application settles it.
struct delivery_in_doubt {
  delivery_handle delivery;
};

// The peer broke the protocol, within the smallest scope set here. On a link: the engine
// closed the link with `error` and ignores the peer's frames for it until the peer's detach.
// In a session: the engine ended that session and ignores the peer's frames on it until the
// peer's end. Otherwise the engine closed the connection with `error` and discards what the
// peer sends until its close. The error names the condition and describes what was wrong.
struct protocol_violation {
  condition error;
  session_handle session;  // unset for the connection
  link_handle link;        // set when only the link was closed
};

// Nothing arrived within the local idle timeout: the engine closed the connection with
// amqp:resource-limit-exceeded (spec Part 2, 2.4.5).
struct idle_timeout_expired {};

// The conversation is over: both closes were exchanged (no error), or it ended otherwise (the
// input ended before the peer's close, a protocol error that leaves the stream unreadable, a
// timeout). The last event; the engine is finished once its output has been written.
struct transport_closed {
  std::optional<condition> error;
};

// Server: a client chose a SASL mechanism and said who it is (spec Part 5, 5.3.3.2). The
// application decides, now or later: sasl_accept() (ANONYMOUS, PLAIN), sasl_reject(), or for
// SCRAM sasl_scram_credentials() with the user's stored keys, the engine then checking the
// client's proof itself. Nothing else happens on the connection meanwhile.
struct sasl_auth_requested {
  std::string mechanism;
  // PLAIN's authcid, SCRAM's username (SASLprep'd), as the client sent it; a Cyrus mechanism's
  // user with its realm ("alice@example.org", see sasl_cyrus_options); empty for ANONYMOUS.
  std::string user;
  std::string authzid;   // the identity the client asks to act as; empty: its own
  std::string password;  // PLAIN only, to check against the application's store
  std::string hostname;  // the sasl-init hostname (a virtual host); empty when absent
};

// The SASL exchange succeeded: a server accepted the client, or a client was accepted (and,
// for SCRAM, the server proved it knows the password). The AMQP open follows.
struct sasl_authenticated {
  std::string mechanism;
  std::string user;  // empty for ANONYMOUS
};

using event = std::variant<peer_opened, peer_closed, peer_began_session, peer_ended_session,
                           peer_attached, peer_detached, credit_granted, link_drained,
                           transfer_received, transfer_aborted, disposition_received,
                           delivery_in_doubt, protocol_violation, idle_timeout_expired,
                           transport_closed, sasl_auth_requested, sasl_authenticated>;

}  // namespace amqp
