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

namespace amqp {

// The peer's open arrived; connection_engine::remote_open() has its fields.
struct peer_opened {};

// The peer's close arrived, with the error it closed with, if any. The engine has stopped
// sending anything but the close the application answers with (close()).
struct peer_closed {
  std::optional<condition> error;
};

// The peer broke the protocol: the engine closed the connection with `error` (the condition
// and a description naming what was wrong), and discards what the peer sends until its close.
struct protocol_violation {
  condition error;
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

using event =
    std::variant<peer_opened, peer_closed, protocol_violation, idle_timeout_expired, transport_closed>;

}  // namespace amqp
