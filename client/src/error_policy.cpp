#include "amqp/client/error_policy.hpp"

#include <algorithm>

namespace amqp::client {

std::string send_failure::to_string() const {
  std::string s;
  switch (what) {
    case kind::rejected: s = "rejected"; break;
    case kind::released: s = "released"; break;
    case kind::modified: s = undeliverable_here ? "modified (undeliverable here)" : "modified"; break;
    case kind::in_doubt: s = "in doubt (the link or connection ended before the outcome)"; break;
    case kind::link_closed: s = "the link ended before the message was sent"; break;
  }
  if (error) s += ": " + error->to_string();
  return s;
}

std::vector<std::string> error_policy::default_no_retry() {
  // The peer refuses the message, the node or this client for good, or the peer broke the
  // protocol: another attempt meets the same answer.
  return {"amqp:decode-error",
          "amqp:link:message-size-exceeded",
          "amqp:not-found",
          "amqp:not-implemented",
          "amqp:link:redirect",
          "amqp:not-allowed",
          "amqp:unauthorized-access",
          "amqp:link:stolen",
          "amqp:resource-limit-exceeded",
          "amqp:connection:redirect",
          "amqp:precondition-failed",
          "amqp:invalid-field",
          "amqp:resource-deleted",
          "amqp:illegal-state",
          "amqp:frame-size-too-small",
          "amqp:connection:framing-error",
          "amqp:session:window-violation",
          "amqp:session:errant-link",
          "amqp:session:handle-in-use",
          "amqp:session:unattached-handle"};
}

error_action error_policy::action(const send_failure& f, std::uint32_t retries) const {
  if (decide) {
    error_action a = decide(f, retries);
    if (a.retry && a.increment_retries && retries >= max_retries) a.retry = false;
    return a;
  }
  const error_action no{};
  if (retries >= max_retries) return no;
  if (f.what == send_failure::kind::rejected && !f.error) return no;
  if (f.what == send_failure::kind::modified && f.undeliverable_here) return no;
  if (f.error && std::find(no_retry.begin(), no_retry.end(), f.error->name) != no_retry.end())
    return no;
  return on_error;
}

}  // namespace amqp::client
