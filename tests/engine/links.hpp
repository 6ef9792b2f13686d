// A connection with one session begun both ways, and helpers to attach links over it: the
// starting point of the link, flow and delivery tests.
//
//   test::linked_pair p;
//   auto [sender, receiver] = p.attach_pair({.name = "l", .target = amqp::terminus{}});
//   ASSERT_FALSE(p.server.grant_credit(receiver, 10));
#pragma once

#include <gtest/gtest.h>

#include <string>
#include <utility>
#include <vector>

#include "pair.hpp"

namespace amqp::test {

struct linked_pair : engine_pair {
  explicit linked_pair(engine_config client_cfg = client_config(),
                       engine_config server_cfg = server_config(), session_options so = {})
      : engine_pair(std::move(client_cfg), std::move(server_cfg)) {
    EXPECT_FALSE(client.open({.container_id = "client-1"}));
    pump();
    EXPECT_FALSE(server.open({.container_id = "server-1"}));
    pump();
    auto s = client.begin_session(so);
    EXPECT_TRUE(s);
    client_session = *s;
    pump();
    for (const event& e : server_side.events)
      if (const auto* b = std::get_if<peer_began_session>(&e)) server_session = b->session;
    EXPECT_FALSE(server.begin_session(server_session, so));
    pump();
  }

  // The links the peer attached on `side` that wait for an answer, in order.
  static std::vector<link_handle> attached_by_peer(const engine_side& side) {
    std::vector<link_handle> out;
    for (const event& e : side.events)
      if (const auto* a = std::get_if<peer_attached>(&e); a && !a->answer) out.push_back(a->link);
    return out;
  }

  // Attaches a client sender, answered by a server receiver with `answer` (or the same
  // options); returns {client sender, server receiver}.
  std::pair<link_handle, link_handle> attach_pair(const link_options& o,
                                                  std::optional<link_options> answer = {}) {
    const std::size_t before = attached_by_peer(server_side).size();
    auto l = client.attach_sender(client_session, o);
    EXPECT_TRUE(l);
    pump();
    const std::vector<link_handle> peer = attached_by_peer(server_side);
    EXPECT_EQ(peer.size(), before + 1);
    EXPECT_FALSE(server.attach(peer.back(), answer.value_or(o)));
    pump();
    return {*l, peer.back()};
  }

  // Attaches a client receiver answered by a server sender; returns {client receiver, server
  // sender}.
  std::pair<link_handle, link_handle> attach_receiver_pair(const link_options& o) {
    const std::size_t before = attached_by_peer(server_side).size();
    auto l = client.attach_receiver(client_session, o);
    EXPECT_TRUE(l);
    pump();
    const std::vector<link_handle> peer = attached_by_peer(server_side);
    EXPECT_EQ(peer.size(), before + 1);
    EXPECT_FALSE(server.attach(peer.back(), o));
    pump();
    return {*l, peer.back()};
  }

  // The deliveries received on `side`, in order.
  static std::vector<delivery_handle> received(const engine_side& side) {
    std::vector<delivery_handle> out;
    for (const event& e : side.events)
      if (const auto* t = std::get_if<transfer_received>(&e)) out.push_back(t->delivery);
    return out;
  }

  // The lines of the frames `side` sent that contain `what` ("@transfer", "@disposition").
  static std::vector<std::string> sent_with(const engine_side& side, std::string_view what) {
    std::vector<std::string> out;
    for (const std::string& l : side.sent())
      if (l.find(what) != std::string::npos) out.push_back(l);
    return out;
  }

  session_handle client_session;
  session_handle server_session;
};

inline bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}
inline std::string as_string(bytes_view b) {
  return {reinterpret_cast<const char*>(b.data()), b.size()};
}

}  // namespace amqp::test
