// An AMQP error condition (spec Part 2, 2.8.14), owned: what the engine reports when a peer or
// the engine itself closes a scope with an error, and what an application passes to close one.
//
//   (void)engine.close(amqp::condition{"amqp:internal-error", "database unavailable"});
//   if (const auto* c = std::get_if<amqp::peer_closed>(&ev); c && c->error)
//     std::cerr << c->error->to_string() << '\n';   // "amqp:not-allowed: no such node"
#pragma once

#include <string>
#include <string_view>

#include "amqp/codec/value.hpp"
#include "amqp/spec/transport.hpp"

namespace amqp {

struct condition {
  std::string name;         // the condition symbol, "amqp:connection:framing-error"
  std::string description;  // for a person; may be empty
  value info;               // null, or a map of symbol keys with more detail

  // A copy of a decoded error (its views point into a frame).
  static condition from(const spec::error& e);
  // A view for encoding; valid while this condition lives and is not changed.
  spec::error to_spec() const noexcept;
  // "name: description", or the name alone.
  std::string to_string() const;

  friend bool operator==(const condition&, const condition&) = default;
};

}  // namespace amqp
