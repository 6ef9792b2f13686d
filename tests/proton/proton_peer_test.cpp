// Tests of the Proton test peer itself: two proton_peer instances, a client and a server,
// wired memory-to-memory on a virtual clock. The frames that crossed are read back with our
// own frame reader and spec codec, which also shows what Proton puts on the wire.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/frame.hpp"
#include "amqp/spec.hpp"
#include "proton_peer.hpp"
#include "support/hex.hpp"

namespace amqp::test {
namespace {

std::vector<std::uint8_t> bytes_of(std::string_view s) {
  return {s.begin(), s.end()};
}

// Bytes that differ from one offset to the next, so a misplaced chunk shows.
std::vector<std::uint8_t> pattern(std::size_t n) {
  std::vector<std::uint8_t> out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>((i * 7) % 251);
  return out;
}

// One frame that crossed: `body` is the performative and payload, copied out of the stream.
struct wire_frame {
  bool empty = false;            // a heartbeat
  std::uint64_t descriptor = 0;  // performative code, e.g. 0x13 for flow
  std::uint32_t size = 0;
  std::vector<std::uint8_t> body;
};

std::vector<wire_frame> frames_of(const std::vector<std::uint8_t>& stream) {
  std::vector<wire_frame> out;
  frame_reader reader;
  bytes_view input(stream);
  while (!input.empty()) {
    auto r = reader.read(input);
    EXPECT_FALSE(r.error) << r.error->message();
    if (r.error) break;
    input = input.subspan(r.consumed);
    if (!r.item) continue;
    const auto* f = std::get_if<frame_view>(&*r.item);
    if (f == nullptr) continue;  // a protocol header
    auto h = parse_frame_header(bytes_view(stream).subspan(f->offset), 0xffffffffu);
    wire_frame w{.empty = f->is_empty(), .size = h->size};
    const std::size_t body_at = f->offset + 4u * h->doff;
    w.body.assign(stream.begin() + static_cast<std::ptrdiff_t>(body_at),
                  stream.begin() + static_cast<std::ptrdiff_t>(f->offset + h->size));
    if (!w.empty) w.descriptor = f->performative.as_described().descriptor().as_ulong();
    out.push_back(std::move(w));
  }
  return out;
}

// The performatives of type T among `frames`, decoded; they view the frames' bytes.
template <class T>
std::vector<T> decoded(const std::vector<wire_frame>& frames) {
  std::vector<T> out;
  for (const auto& f : frames) {
    if (f.empty || f.descriptor != spec::traits<T>::info.code) continue;
    std::size_t used = 0;
    auto r = spec::decode_prefix<T>(f.body, used);
    EXPECT_TRUE(r) << r.error().message();
    if (r) out.push_back(*r);
  }
  return out;
}
// The results view the frames' bytes: keep the frames.
template <class T>
std::vector<T> decoded(std::vector<wire_frame>&&) = delete;

std::size_t heartbeats(const std::vector<wire_frame>& frames) {
  return static_cast<std::size_t>(
      std::count_if(frames.begin(), frames.end(), [](const auto& f) { return f.empty; }));
}

const proton_event* find_event(const proton_peer& p, std::string_view type) {
  for (const auto& e : p.events()) {
    if (e.type == type) return &e;
  }
  return nullptr;
}

// A client and a server (auto-answering by default) with a session and one link, attached:
// the client sends on it unless `client_sends` is false.
struct link_pair {
  explicit link_pair(proton_options server_options = {.auto_answer = true},
                     link_options link = {.name = "l", .target = "queue"}, bool client_sends = true)
      : client(proton_role::client, {.container_id = "client"}),
        server(proton_role::server, server_options) {
    client.open();
    session = client.begin();
    client_link =
        client_sends ? client.open_sender(session, link) : client.open_receiver(session, link);
    pump(client, server);
    server_link = server.find_link(link.name).value();
  }
  proton_peer client;
  proton_peer server;
  session_handle session;
  link_handle client_link;
  link_handle server_link;  // the server's end of client_link
};

TEST(proton_peer, client_and_server_speak_plain_amqp_without_sasl) {
  proton_peer client(proton_role::client);
  proton_peer server(proton_role::server, {.auto_answer = true});
  EXPECT_TRUE(server.output().empty());  // a server waits for the client's header
  EXPECT_EQ(to_hex(client.output()), "41 4d 51 50 00 01 00 00");  // at once, before open()
  client.open();
  pump(client, server);
  const auto& answer = server.bytes_written();
  ASSERT_GE(answer.size(), 8u);
  EXPECT_EQ(to_hex(bytes_view(answer).first(8)), "41 4d 51 50 00 01 00 00");
  // Our reader would refuse a SASL frame after an AMQP header; here there is just an open.
  EXPECT_EQ(frames_of(client.bytes_written()).at(0).descriptor,
            spec::traits<spec::open>::info.code);
  EXPECT_EQ(frames_of(answer).at(0).descriptor, spec::traits<spec::open>::info.code);
  EXPECT_EQ(client.state(), (endpoint_state{endpoint::active, endpoint::active}));
  EXPECT_EQ(server.state(), (endpoint_state{endpoint::active, endpoint::active}));
  EXPECT_THROW(client.state(link_handle{3}), std::out_of_range);  // no such link
}

TEST(proton_peer, open_carries_the_options_and_proton_defaults) {
  proton_peer client(proton_role::client, {.container_id = "client",
                                           .hostname = "example.org",
                                           .max_frame_size = 4096,
                                           .channel_max = 7,
                                           .idle_timeout_ms = 2000});
  proton_peer server(proton_role::server, {.container_id = "server", .auto_answer = true});
  client.open();
  pump(client, server);
  EXPECT_EQ(server.remote_container_id(), "client");
  EXPECT_EQ(server.remote_hostname(), "example.org");
  EXPECT_EQ(server.remote_max_frame_size(), 4096u);
  EXPECT_EQ(server.remote_channel_max(), 7u);
  EXPECT_EQ(server.remote_idle_timeout(), 1000u);  // Proton advertises half its timeout
  // Proton's defaults, as the server sent them: no max-frame-size, channel-max 32767.
  EXPECT_EQ(client.remote_container_id(), "server");
  EXPECT_EQ(client.remote_max_frame_size(), 0xffffffffu);
  EXPECT_EQ(client.remote_channel_max(), 7u);  // Proton answers with the lower channel-max
  EXPECT_EQ(client.remote_idle_timeout(), 0u);

  auto client_frames = frames_of(client.bytes_written());
  auto opens = decoded<spec::open>(client_frames);
  ASSERT_EQ(opens.size(), 1u);
  EXPECT_EQ(opens[0].idle_time_out, 1000u);
  EXPECT_EQ(opens[0].max_frame_size, 4096u);
  auto server_frames = frames_of(server.bytes_written());
  auto answer = decoded<spec::open>(server_frames);
  ASSERT_EQ(answer.size(), 1u);
  EXPECT_FALSE(answer[0].idle_time_out);
  EXPECT_FALSE(answer[0].hostname);
  EXPECT_EQ(answer[0].channel_max, 7u);

  // Below the spec's minimum of 512, Proton advertises 512.
  proton_peer tiny(proton_role::client, {.max_frame_size = 100});
  proton_peer other(proton_role::server, {.auto_answer = true});
  tiny.open();
  pump(tiny, other);
  EXPECT_EQ(other.remote_max_frame_size(), 512u);
}

TEST(proton_peer, close_with_a_condition_is_answered_and_both_finish) {
  proton_peer client(proton_role::client, {.container_id = "client"});
  proton_peer server(proton_role::server, {.container_id = "server", .auto_answer = true});
  client.open();
  pump(client, server);
  EXPECT_EQ(server.count("PN_CONNECTION_REMOTE_OPEN"), 1u);
  server.clear_events();
  EXPECT_TRUE(server.events().empty());
  client.close({"amqp:internal-error", "boom"});
  pump(client, server);

  const proton_event* e = find_event(server, "PN_CONNECTION_REMOTE_CLOSE");
  ASSERT_NE(e, nullptr);
  EXPECT_EQ(e->cond, (condition{"amqp:internal-error", "boom"}));
  EXPECT_EQ(server.remote_condition(), (condition{"amqp:internal-error", "boom"}));
  EXPECT_EQ(server.state(), (endpoint_state{endpoint::closed, endpoint::closed}));
  EXPECT_EQ(client.state(), (endpoint_state{endpoint::closed, endpoint::closed}));
  EXPECT_FALSE(client.remote_condition().is_set());  // the answer carries no error
  EXPECT_TRUE(client.finished());
  EXPECT_TRUE(server.finished());
  EXPECT_EQ(server.count("PN_TRANSPORT_CLOSED"), 1u);

  auto frames = frames_of(client.bytes_written());
  auto closes = decoded<spec::close>(frames);
  ASSERT_EQ(closes.size(), 1u);
  ASSERT_TRUE(closes[0].error);
  EXPECT_EQ(closes[0].error->condition.str, "amqp:internal-error");
}

TEST(proton_peer, a_manual_server_opens_and_closes_with_its_own_condition) {
  proton_peer client(proton_role::client, {.container_id = "client"});
  proton_peer server(proton_role::server, {.container_id = "server"});
  client.open();
  pump(client, server);
  EXPECT_EQ(server.count("PN_CONNECTION_REMOTE_OPEN"), 1u);
  EXPECT_EQ(server.state(), (endpoint_state{endpoint::uninit, endpoint::active}));
  EXPECT_EQ(client.count("PN_CONNECTION_REMOTE_OPEN"), 0u);
  server.open();
  server.close({"amqp:connection:forced", "going away"});
  pump(client, server);
  EXPECT_EQ(client.remote_condition(), (condition{"amqp:connection:forced", "going away"}));
  EXPECT_EQ(client.state(), (endpoint_state{endpoint::active, endpoint::closed}));
  client.close();
  pump(client, server);
  EXPECT_TRUE(client.finished());
  EXPECT_TRUE(server.finished());
}

TEST(proton_peer, sessions_and_links_are_answered_the_proton_way) {
  proton_peer client(proton_role::client, {.container_id = "client"});
  proton_peer server(proton_role::server,
                     {.container_id = "server", .auto_answer = true, .credit_window = 7});
  client.open();
  auto s = client.begin();
  auto out = client.open_sender(s, {.name = "out",
                                    .target = "queue-a",
                                    .snd_settle = snd_settle_mode::unsettled,
                                    .rcv_settle = rcv_settle_mode::second,
                                    .max_message_size = 65536});
  auto in = client.open_receiver(s, {.name = "in", .source = "queue-b"});
  auto dyn = client.open_receiver(s, {.name = "dyn", .dynamic = true});
  pump(client, server);

  EXPECT_EQ(server.session_count(), 1u);
  ASSERT_EQ(server.link_count(), 3u);
  link_handle server_out = server.find_link("out").value();
  EXPECT_FALSE(server.is_sender(server_out));
  EXPECT_EQ(server.remote_target(server_out), "queue-a");
  EXPECT_EQ(server.remote_snd_settle_mode(server_out), snd_settle_mode::unsettled);
  EXPECT_EQ(server.remote_rcv_settle_mode(server_out), rcv_settle_mode::second);
  EXPECT_EQ(server.remote_max_message_size(server_out), 65536u);
  EXPECT_EQ(server.credit(server_out), 7);
  EXPECT_TRUE(server.is_sender(server.find_link("in").value()));

  EXPECT_EQ(client.state(s), (endpoint_state{endpoint::active, endpoint::active}));
  EXPECT_EQ(client.state(out), (endpoint_state{endpoint::active, endpoint::active}));
  EXPECT_EQ(client.remote_target(out), "queue-a");  // mirrored
  EXPECT_EQ(client.remote_source(in), "queue-b");
  EXPECT_EQ(client.remote_source(dyn), "proton-peer-dynamic-1");
  EXPECT_EQ(client.remote_rcv_settle_mode(out), rcv_settle_mode::second);
  EXPECT_EQ(client.credit(out), 7);
  EXPECT_EQ(client.credit(in), 0);

  // The order in which the server saw and answered the first link.
  std::vector<std::string> out_events;
  for (const auto& e : server.events()) {
    if (e.link_name == "out") out_events.push_back(e.type);
  }
  EXPECT_EQ(out_events, (std::vector<std::string>{"PN_LINK_INIT", "PN_LINK_REMOTE_OPEN",
                                                  "PN_LINK_LOCAL_OPEN"}));
  auto frames = frames_of(client.bytes_written());
  auto begins = decoded<spec::begin>(frames);
  ASSERT_EQ(begins.size(), 1u);
  EXPECT_EQ(begins[0].incoming_window, 2147483647u);  // Proton's default
  auto attaches = decoded<spec::attach>(frames);
  ASSERT_EQ(attaches.size(), 3u);
  EXPECT_EQ(attaches[0].name, "out");
  EXPECT_EQ(attaches[0].max_message_size, 65536u);
}

TEST(proton_peer, detach_close_and_end_carry_conditions) {
  proton_peer client(proton_role::client, {.container_id = "client"});
  proton_peer server(proton_role::server, {.container_id = "server", .auto_answer = true});
  client.open();
  auto s = client.begin();
  auto a = client.open_sender(s, {.name = "a", .target = "q"});
  auto b = client.open_receiver(s, {.name = "b", .source = "q"});
  pump(client, server);
  server.clear_events();

  client.detach(a, {"amqp:link:detach-forced", "later"});
  client.close(b, {"amqp:link:stolen", "mine"});
  pump(client, server);
  link_handle server_a = server.find_link("a").value();
  link_handle server_b = server.find_link("b").value();
  EXPECT_EQ(server.remote_condition(server_a), (condition{"amqp:link:detach-forced", "later"}));
  EXPECT_EQ(server.remote_condition(server_b), (condition{"amqp:link:stolen", "mine"}));
  const proton_event* detach_event = find_event(server, "PN_LINK_REMOTE_DETACH");
  ASSERT_NE(detach_event, nullptr);
  EXPECT_EQ(detach_event->link, server_a);
  ASSERT_NE(find_event(server, "PN_LINK_REMOTE_CLOSE"), nullptr);
  EXPECT_EQ(find_event(server, "PN_LINK_REMOTE_CLOSE")->link, server_b);
  // A detach (closed=false) leaves Proton's endpoint states alone.
  EXPECT_EQ(client.state(a), (endpoint_state{endpoint::active, endpoint::active}));
  EXPECT_TRUE(client.detached(a));
  EXPECT_TRUE(server.detached(server_a));
  EXPECT_EQ(client.count("PN_LINK_REMOTE_DETACH"), 1u);
  EXPECT_EQ(client.state(b), (endpoint_state{endpoint::closed, endpoint::closed}));
  auto frames = frames_of(client.bytes_written());
  auto detaches = decoded<spec::detach>(frames);
  ASSERT_EQ(detaches.size(), 2u);
  EXPECT_FALSE(detaches[0].closed);
  EXPECT_TRUE(detaches[1].closed);

  client.end(s, {"amqp:session:errant-link", "bad"});
  pump(client, server);
  const proton_event* end_event = find_event(server, "PN_SESSION_REMOTE_CLOSE");
  ASSERT_NE(end_event, nullptr);
  EXPECT_EQ(end_event->cond, (condition{"amqp:session:errant-link", "bad"}));
  EXPECT_EQ(server.remote_condition(session_handle{0}), end_event->cond);
  EXPECT_EQ(client.state(s), (endpoint_state{endpoint::closed, endpoint::closed}));
}

TEST(proton_peer, settled_and_unsettled_deliveries) {
  link_pair p;
  auto m1 = bytes_of("first message");
  auto m2 = bytes_of("second message");
  sent_handle d1 = p.client.send(p.client_link, "t1", m1, /*settled=*/true);
  sent_handle d2 = p.client.send(p.client_link, "t2", m2, /*settled=*/false);
  pump(p.client, p.server);

  const auto& got = p.server.received();
  ASSERT_EQ(got.size(), 2u);
  EXPECT_EQ(got[0].tag, "t1");
  EXPECT_EQ(got[0].bytes, m1);
  EXPECT_TRUE(got[0].remote_settled);
  EXPECT_TRUE(got[0].settled);
  EXPECT_EQ(got[0].link, p.server_link);
  EXPECT_EQ(got[1].tag, "t2");
  EXPECT_EQ(got[1].bytes, m2);
  EXPECT_FALSE(got[1].remote_settled);
  EXPECT_FALSE(got[1].settled);
  EXPECT_TRUE(p.client.sent()[d1.index].settled);
  EXPECT_FALSE(p.client.sent()[d2.index].settled);
  EXPECT_EQ(p.client.sent()[d2.index].remote.type, outcome::none);

  p.server.dispose(received_handle{1}, {.type = outcome::accepted});
  pump(p.client, p.server);
  const sent_delivery& answered = p.client.sent()[d2.index];
  EXPECT_EQ(answered.remote.type, outcome::accepted);
  EXPECT_TRUE(answered.remote_settled);
  EXPECT_TRUE(answered.settled);  // settled here because the receiver settled

  auto client_frames = frames_of(p.client.bytes_written());
  auto transfers = decoded<spec::transfer>(client_frames);
  ASSERT_EQ(transfers.size(), 2u);
  EXPECT_EQ(transfers[0].settled, true);
  EXPECT_FALSE(transfers[1].settled);
  auto server_frames = frames_of(p.server.bytes_written());
  auto dispositions = decoded<spec::disposition>(server_frames);
  ASSERT_EQ(dispositions.size(), 1u);  // none for the pre-settled one
  EXPECT_EQ(dispositions[0].first, 1u);
  EXPECT_TRUE(dispositions[0].settled);
}

TEST(proton_peer, every_outcome_reaches_the_sender) {
  link_pair p;
  const std::vector<disposition> outcomes = {
      {.type = outcome::accepted},
      {.type = outcome::rejected, .error = {"amqp:not-allowed", "no thanks"}},
      {.type = outcome::released},
      {.type = outcome::modified, .delivery_failed = true, .undeliverable_here = true},
      {.type = outcome::modified, .delivery_failed = true},
  };
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    p.client.send(p.client_link, std::to_string(i), bytes_of("m"), false);
  }
  pump(p.client, p.server);
  ASSERT_EQ(p.server.received().size(), outcomes.size());
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    p.server.dispose(received_handle{i}, outcomes[i]);
  }
  pump(p.client, p.server);
  for (std::size_t i = 0; i < outcomes.size(); ++i) {
    SCOPED_TRACE(i);
    EXPECT_EQ(p.client.sent()[i].remote, outcomes[i]);
    EXPECT_TRUE(p.client.sent()[i].settled);
    EXPECT_EQ(p.server.received()[i].local, outcomes[i]);
  }
  EXPECT_EQ(p.client.count("PN_DELIVERY"), outcomes.size());
}

TEST(proton_peer, rcv_settle_mode_second_waits_for_the_sender_to_settle) {
  link_pair p({.auto_answer = true},
              {.name = "l", .target = "q", .rcv_settle = rcv_settle_mode::second});
  sent_handle d = p.client.send(p.client_link, "t", bytes_of("m"), false);
  pump(p.client, p.server);
  p.server.dispose(received_handle{0}, {.type = outcome::accepted}, /*settle=*/false);
  pump(p.client, p.server);
  EXPECT_EQ(p.client.sent()[d.index].remote.type, outcome::accepted);
  EXPECT_FALSE(p.client.sent()[d.index].remote_settled);
  EXPECT_FALSE(p.server.received()[0].settled);

  p.client.settle(d);
  pump(p.client, p.server);
  EXPECT_TRUE(p.server.received()[0].remote_settled);
  EXPECT_TRUE(p.server.received()[0].settled);
}

TEST(proton_peer, a_delivery_in_chunks_over_small_frames) {
  // 2048 bytes of session window: the message only fits because the peer reads as it arrives.
  link_pair p({.max_frame_size = 512,
               .session_incoming_capacity = 2048,
               .auto_answer = true,
               .auto_accept = true});
  const auto message = pattern(3000);
  sent_handle d = p.client.begin_delivery(p.client_link, "big");
  for (std::size_t at = 0; at < message.size(); at += 1000) {
    p.client.send_chunk(d, std::span(message).subspan(at, 1000));
    pump(p.client, p.server);
    EXPECT_TRUE(p.server.received().empty());  // still partial
  }
  EXPECT_GE(p.server.count("PN_DELIVERY"), 3u);
  p.client.end_delivery(d, false);
  pump(p.client, p.server);
  ASSERT_EQ(p.server.received().size(), 1u);
  EXPECT_EQ(p.server.received()[0].bytes, message);
  EXPECT_EQ(p.client.sent()[d.index].remote.type, outcome::accepted);
  EXPECT_EQ(p.client.sent()[d.index].bytes_sent, 3000u);

  auto frames = frames_of(p.client.bytes_written());
  auto transfers = decoded<spec::transfer>(frames);
  ASSERT_GE(transfers.size(), 6u);  // 3000 bytes in frames of at most 512
  for (std::size_t i = 0; i + 1 < transfers.size(); ++i) EXPECT_TRUE(transfers[i].more);
  EXPECT_FALSE(transfers.back().more);
  for (const auto& f : frames) EXPECT_LE(f.size, 512u);
  auto server_frames = frames_of(p.server.bytes_written());
  auto begins = decoded<spec::begin>(server_frames);
  ASSERT_EQ(begins.size(), 1u);
  EXPECT_EQ(begins[0].incoming_window, 4u);  // capacity / max frame size
}

TEST(proton_peer, an_aborted_delivery) {
  link_pair p({.auto_answer = true, .auto_accept = true});
  sent_handle d = p.client.begin_delivery(p.client_link, "doomed");
  p.client.send_chunk(d, pattern(100));
  pump(p.client, p.server);  // the first transfer must be on the wire for the abort to show
  p.client.abort(d);
  pump(p.client, p.server);
  ASSERT_EQ(p.server.received().size(), 1u);
  EXPECT_TRUE(p.server.received()[0].aborted);
  EXPECT_TRUE(p.server.received()[0].settled);
  EXPECT_EQ(p.server.received()[0].bytes, pattern(100));
  EXPECT_TRUE(p.client.sent()[d.index].aborted);
  auto frames = frames_of(p.client.bytes_written());
  auto transfers = decoded<spec::transfer>(frames);
  ASSERT_EQ(transfers.size(), 2u);
  EXPECT_TRUE(transfers[1].aborted);
  EXPECT_EQ(p.client.credit(p.client_link), 10);  // it used a credit, which the window restored

  // Aborted before any byte went out: Proton drops it silently.
  const std::size_t written = p.client.bytes_written().size();
  sent_handle quiet = p.client.begin_delivery(p.client_link, "quiet");
  p.client.abort(quiet);
  pump(p.client, p.server);
  EXPECT_EQ(p.client.bytes_written().size(), written);

  // The link carries on.
  p.client.send(p.client_link, "next", bytes_of("fine"), false);
  pump(p.client, p.server);
  ASSERT_EQ(p.server.received().size(), 2u);
  EXPECT_EQ(p.server.received()[1].tag, "next");
  EXPECT_FALSE(p.server.received()[1].aborted);
}

TEST(proton_peer, drain_returns_unused_credit) {
  link_pair p({.auto_answer = true}, {.name = "r", .source = "q"}, /*client_sends=*/false);
  proton_peer &client = p.client, &server = p.server;
  const link_handle r = p.client_link, s = p.server_link;
  client.flow(r, 5);
  pump(client, server);
  EXPECT_EQ(server.credit(s), 5);
  server.send(s, "a", bytes_of("1"), true);
  server.send(s, "b", bytes_of("2"), true);
  pump(client, server);
  EXPECT_EQ(client.credit(r), 3);

  client.drain(r, 0);
  EXPECT_TRUE(client.draining(r));
  pump(client, server);
  EXPECT_FALSE(client.draining(r));
  EXPECT_EQ(client.drains_completed(r), 1);
  EXPECT_EQ(client.credit_drained(r), 3);
  EXPECT_EQ(client.credit(r), 0);
  EXPECT_EQ(server.credit_drained(s), 3);
  auto server_frames = frames_of(server.bytes_written());
  auto server_flows = decoded<spec::flow>(server_frames);
  ASSERT_FALSE(server_flows.empty());
  EXPECT_TRUE(server_flows.back().drain);
  EXPECT_EQ(server_flows.back().link_credit, 0u);
  EXPECT_EQ(server_flows.back().delivery_count, 5u);  // advanced by the unused credit

  // The drain flag is cleared once done: later credit is plain credit.
  client.flow(r, 2);
  pump(client, server);
  auto client_frames = frames_of(client.bytes_written());
  auto client_flows = decoded<spec::flow>(client_frames);
  EXPECT_FALSE(client_flows.back().drain);
  EXPECT_EQ(server.credit(s), 2);
}

TEST(proton_peer, a_manual_sender_completes_the_drain_itself) {
  link_pair p({.auto_answer = true, .auto_drain = false}, {.name = "r", .source = "q"}, false);
  proton_peer &client = p.client, &server = p.server;
  const link_handle r = p.client_link, s = p.server_link;
  client.drain(r, 3);
  pump(client, server);
  EXPECT_TRUE(client.draining(r));
  EXPECT_EQ(client.drains_completed(r), 0);
  server.send(s, "a", bytes_of("1"), true);
  EXPECT_EQ(server.complete_drain(s), 2);
  pump(client, server);
  EXPECT_FALSE(client.draining(r));
  EXPECT_EQ(client.drains_completed(r), 1);
  EXPECT_EQ(client.credit_drained(r), 2);
  ASSERT_EQ(client.received().size(), 1u);

  // Credit used up by transfers: Proton sends no flow, the transfers end the drain.
  client.drain(r, 2);
  pump(client, server);
  server.send(s, "b", bytes_of("2"), true);
  server.send(s, "c", bytes_of("3"), true);
  EXPECT_EQ(server.complete_drain(s), 0);
  pump(client, server);
  EXPECT_EQ(client.drains_completed(r), 2);
  EXPECT_EQ(client.credit(r), 0);
  EXPECT_EQ(client.received().size(), 3u);
}

TEST(proton_peer, idle_timeout_heartbeats_on_the_virtual_clock) {
  proton_peer client(proton_role::client, {.container_id = "client", .idle_timeout_ms = 1000});
  proton_peer server(proton_role::server, {.container_id = "server", .auto_answer = true});
  client.open();
  pump(client, server);
  ASSERT_EQ(server.remote_idle_timeout(), 500u);

  // The server keeps the client's advertised 500 ms: an empty frame within each 500 ms.
  std::int64_t now = 10'000;
  std::int64_t last_beat = now;
  std::int64_t last_input = now;  // when the client last received bytes
  std::size_t beats = 0;
  for (; now <= 15'000; now += 50) {
    client.tick(now);
    server.tick(now);
    const std::size_t fed = client.bytes_fed().size();
    pump(client, server);
    if (client.bytes_fed().size() != fed) last_input = now;
    std::size_t seen = heartbeats(frames_of(server.bytes_written()));
    if (seen != beats) {
      EXPECT_LE(now - last_beat, 500) << "at " << now;
      beats = seen;
      last_beat = now;
    }
  }
  EXPECT_GE(beats, 10u);
  EXPECT_EQ(heartbeats(frames_of(client.bytes_written())), 0u);  // the server asked for none
  EXPECT_EQ(client.state(), (endpoint_state{endpoint::active, endpoint::active}));
  EXPECT_FALSE(client.transport_condition().is_set());

  // Cut the server-to-client direction: the client gives up after its full 1000 ms without
  // input (counted from the tick that noticed the last bytes), not the advertised 500.
  std::int64_t expired_at = 0;
  for (; now <= last_input + 2000; now += 50) {
    EXPECT_NE(client.tick(now), 0);
    server.tick(now);
    transfer(client, server);
    if (client.transport_condition().is_set()) {
      expired_at = now;
      break;
    }
  }
  EXPECT_GE(expired_at - last_input, 1000);
  EXPECT_LE(expired_at - last_input, 1050);
  EXPECT_EQ(client.transport_condition(),
            (condition{"amqp:resource-limit-exceeded", "local-idle-timeout expired"}));
  const proton_event* error = find_event(client, "PN_TRANSPORT_ERROR");
  ASSERT_NE(error, nullptr);
  EXPECT_EQ(error->cond.name, "amqp:resource-limit-exceeded");
  transfer(client, server);  // the close frame that Proton sends with that error
  EXPECT_EQ(server.remote_condition(), client.transport_condition());
}

TEST(proton_peer, feed_copies_a_large_frame_in_steps_and_byte_by_byte_works) {
  link_pair p({.auto_answer = true, .auto_accept = true});
  const auto message = pattern(100'000);  // one transfer frame: Proton's frames are unlimited
  p.client.send(p.client_link, "large", message, false);
  // Proton hands out its output 8 KiB at a time; gather it and feed it in one call, which
  // Proton's read buffer cannot take at once either.
  std::vector<std::uint8_t> all;
  for (auto out = p.client.output(); !out.empty(); out = p.client.output()) {
    all.insert(all.end(), out.begin(), out.end());
    p.client.consume_output(out.size());
  }
  ASSERT_GT(all.size(), 100'000u);
  EXPECT_EQ(p.server.feed(all), all.size());
  ASSERT_EQ(p.server.received().size(), 1u);
  EXPECT_EQ(p.server.received()[0].bytes, message);
  auto frames = frames_of(p.client.bytes_written());
  EXPECT_EQ(decoded<spec::transfer>(frames).size(), 1u);

  // A whole conversation one byte at a time.
  proton_peer client(proton_role::client, {.container_id = "client"});
  proton_peer server(proton_role::server, {.container_id = "server", .auto_answer = true});
  client.open();
  auto l = client.open_sender(client.begin(), {.name = "l", .target = "q"});
  for (int round = 0; round < 3; ++round) {
    for (auto o = client.output(); !o.empty(); o = client.output()) {
      ASSERT_EQ(server.feed(o.first(1)), 1u);
      client.consume_output(1);
    }
    for (auto o = server.output(); !o.empty(); o = server.output()) {
      ASSERT_EQ(client.feed(o.first(1)), 1u);
      server.consume_output(1);
    }
    if (round == 1) client.send(l, "t", bytes_of("byte by byte"), false);
  }
  ASSERT_EQ(server.received().size(), 1u);
  EXPECT_EQ(server.received()[0].bytes, bytes_of("byte by byte"));
  EXPECT_EQ(client.bytes_written(), server.bytes_fed());
  EXPECT_EQ(server.bytes_written(), client.bytes_fed());
}

}  // namespace
}  // namespace amqp::test
