// What the client's parts share: names compared without case, timers that run on their connection's thread, and the handler
// their links are left with when an object goes away before its links' last events.
#pragma once

#include <algorithm>
#include <cctype>
#include <chrono>
#include <functional>
#include <string_view>
#include <utility>

#include "amqp/messaging/container.hpp"
#include "amqp/messaging/handler.hpp"

namespace amqp::client::detail {

// Names of codecs, media types and content-encodings compare without case (RFC 9110, 8.3.1 and
// 8.4).
inline bool same_name(std::string_view a, std::string_view b) {
  return a.size() == b.size() && std::equal(a.begin(), a.end(), b.begin(), [](char x, char y) {
           return std::tolower(static_cast<unsigned char>(x)) ==
                  std::tolower(static_cast<unsigned char>(y));
         });
}

// "application/json; charset=utf-8" -> "application/json"
inline std::string_view media_type(std::string_view content_type) {
  content_type = content_type.substr(0, content_type.find(';'));
  while (!content_type.empty() && content_type.back() == ' ') content_type.remove_suffix(1);
  return content_type;
}

// A content-encoding that names no compression: HTTP's identity, or the charset a kombu
// sender puts there (kombu's content_encoding is one).
inline bool names_no_compression(std::string_view encoding) {
  for (std::string_view n : {"identity", "binary", "utf-8", "utf8", "us-ascii", "ascii"})
    if (same_name(encoding, n)) return true;
  return false;
}

// Runs `work` on `c`'s thread after `delay` on the container's clock (the container schedules
// on its own thread: the work hops over through connection::post()); dropped when the
// connection is over by then. Cancel what is no longer needed: a task keeps run() going.
inline scheduled_task after(const amqp::connection& c, std::chrono::milliseconds delay,
                            std::function<void()> work) {
  if (!c.is_set()) return {};
  return c.container().schedule(
      delay, [c, work = std::move(work)]() mutable { (void)c.post(std::move(work)); });
}

// Takes the remaining events of a link whose owner is gone: its close, its errors (which it
// does not report: the owner said what ending the link meant), late outcomes.
class orphaned_link_handler final : public messaging_handler {
 public:
  void on_error(messaging_event&) override {}
};

inline messaging_handler* orphaned_links() {
  static orphaned_link_handler handler;
  return &handler;
}

// Hands `l`'s events to orphaned_links() and closes it (unless only detached, or over).
inline void orphan(amqp::link l, bool close) {
  if (!l.is_set()) return;
  l.set_handler(orphaned_links());
  if (close && l.state() != endpoint_state::closed) l.close();
}

}  // namespace amqp::client::detail
