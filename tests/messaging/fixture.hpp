// A client container and a server container on one memory network, each with a recording
// handler and a frame trace: the bench most messaging tests start from.
//
//   messaging_pair p;
//   p.listen();                          // the server on broker:5672
//   auto c = p.connect();                // the client to it
//   auto s = c.open_sender("queue");
//   p.net.run();
//   EXPECT_EQ(p.client_h.count("on_link_opened"), 1u);
#pragma once

#include <chrono>
#include <string>
#include <string_view>
#include <vector>

#include <gtest/gtest.h>

#include "amqp/message.hpp"
#include "amqp/messaging/container.hpp"
#include "memory_container.hpp"
#include "recorder.hpp"
#include "support/trace_lines.hpp"

namespace amqp::test {

using namespace std::chrono_literals;

inline constexpr std::string_view broker_url = "amqp://broker:5672";

// A message whose body is the amqp-value `text`.
inline message text_message(std::string_view text) {
  message m;
  m.set_value(value(text));
  return m;
}

// "<prefix><n>", without the operator+ that g++ 12 warns about wrongly (-Wrestrict).
inline std::string numbered(std::string_view prefix, int n) {
  std::string s(prefix);
  s += std::to_string(n);
  return s;
}

// The amqp-value body of a message as a string; empty when it is something else.
inline std::string body_text(const message& m) {
  if (m.body.size() != 1) return {};
  const std::string* s = m.body[0].get_if<std::string>();
  return s ? *s : std::string();
}

// `line` holds `what`.
inline bool has(const std::string& line, std::string_view what) {
  return line.find(what) != std::string::npos;
}

// The lines of `t` that this side wrote ("-> ") and that hold `what` ("@flow").
inline std::vector<std::string> sent_with(const trace_lines& t, std::string_view what) {
  std::vector<std::string> out;
  for (const std::string& l : t.lines)
    if (l.starts_with("-> ") && has(l, what)) out.push_back(l);
  return out;
}

struct messaging_pair {
  memory_network net;
  recorder server_h;
  recorder client_h;
  trace_lines server_trace;
  trace_lines client_trace;
  memory_container server{net, server_h, "server"};
  memory_container client{net, client_h, "client"};
  listener server_listener;

  // The server's options: its trace, and what `o` says.
  connection_options server_options(connection_options o = {}) {
    if (!o.trace) o.trace = &server_trace.sink;
    return o;
  }
  connection_options client_options(connection_options o = {}) {
    if (!o.trace) o.trace = &client_trace.sink;
    return o;
  }

  void listen(connection_options o = {}, std::string_view where = broker_url) {
    auto l = server.listen(where, server_options(std::move(o)));
    ASSERT_TRUE(l) << l.error();
    server_listener = *l;
  }
  connection connect(connection_options o = {}, std::string_view where = broker_url) {
    return client.connect(where, client_options(std::move(o)));
  }
  // The server's side of the first connection it accepted.
  connection server_connection() const {
    auto all = net.accepted();
    return all.empty() ? connection() : all.front();
  }
};

}  // namespace amqp::test
