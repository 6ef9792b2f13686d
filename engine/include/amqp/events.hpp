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

// The peer broke the protocol. In a session (session is set): the engine ended that session
// with `error` and ignores the peer's frames on it until the peer's end. Otherwise the engine
// closed the connection with `error` and discards what the peer sends until its close. The
// error names the condition and describes what was wrong.
struct protocol_violation {
  condition error;
  session_handle session;  // unset for the connection
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

using event = std::variant<peer_opened, peer_closed, peer_began_session, peer_ended_session,
                           protocol_violation, idle_timeout_expired, transport_closed>;

}  // namespace amqp
