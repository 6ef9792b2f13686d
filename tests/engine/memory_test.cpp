// Memory: a warm engine pair moves messages without allocating, and an allocation that fails
// anywhere in a whole conversation leaves the engine it hit poisoned, finished and leak-free,
// and its peer told that the transport ended.
#include <gtest/gtest.h>

#include <new>
#include <string>

#include "alloc_hooks.hpp"
#include "amqp/engine.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;

// Two engines and the applications on both sides of one link: the client sends `messages`
// messages at least once (the server accepts, the client settles on the outcome), then
// detaches, ends and closes. Nothing here allocates once warm except the engines.
class conversation {
 public:
  explicit conversation(std::size_t body, std::uint32_t frame_limit = 1u << 20)
      : client_(config(engine_role::client, frame_limit)),
        server_(config(engine_role::server, frame_limit)),
        body_(body, 'm') {}

  void start() {
    (void)client_.open({.container_id = "client"});
  }
  // Sends up to `n` more messages as credit allows; the run goes on until all are settled.
  void want(std::uint64_t n) {
    wanted_ += n;
    if (sender_.is_set()) send_some();
  }
  std::uint64_t settled() const { return settled_; }
  bool finished() const { return client_.is_finished() && server_.is_finished(); }
  connection_engine& client() { return client_; }
  connection_engine& server() { return server_; }

  // One round: bytes both ways, then both applications act on their events. False when
  // nothing moved and nothing happened.
  bool round() {
    bool busy = move(client_, server_) | move(server_, client_);
    while (auto e = server_.poll_event()) busy = true, on_server(*e);
    while (auto e = client_.poll_event()) busy = true, on_client(*e);
    return busy;
  }
  void run() {
    for (int i = 0; i < 100000 && round();) ++i;
  }
  // After a failure: each side learns that the other's bytes stopped.
  void end_inputs() {
    client_.feed_eof(now_);
    server_.feed_eof(now_);
    run();
  }
  bool closing = false;  // the client ends everything once all wanted messages are settled
  // Most bytes moved per call, as a transport's reads would bring them; 0: all there is.
  std::size_t chunk = 0;

 private:
  static engine_config config(engine_role r, std::uint32_t frame_limit) {
    engine_config c{.role = r};
    c.limits.max_frame_size = frame_limit;
    return c;
  }
  bool move(connection_engine& from, connection_engine& to) {
    bytes_view out = from.pending_output();
    if (out.empty()) return false;
    if (chunk && out.size() > chunk) out = out.first(chunk);
    const std::size_t used = to.feed(out, now_);
    from.consume_output(used);
    return used > 0;
  }
  void send_some() {
    while (sent_ < wanted_) {
      auto d = client_.send(sender_, {reinterpret_cast<const std::uint8_t*>(body_.data()), body_.size()});
      if (!d) return;
      ++sent_;
    }
  }
  void on_server(const event& e) {
    if (std::holds_alternative<peer_opened>(e)) (void)server_.open({.container_id = "server"});
    if (const auto* b = std::get_if<peer_began_session>(&e)) (void)server_.begin_session(b->session);
    if (const auto* a = std::get_if<peer_attached>(&e)) {
      receiver_ = a->link;
      (void)server_.attach(a->link, {.target = terminus{}});
      (void)server_.grant_credit(a->link, 1000);
    }
    if (const auto* t = std::get_if<transfer_received>(&e)) {
      (void)server_.settle(t->delivery, delivery_state::accepted());
      const link_status* l = server_.link(receiver_);
      if (l && l->credit <= 500) (void)server_.grant_credit(receiver_, 1000 - l->credit);
    }
    if (const auto* d = std::get_if<peer_detached>(&e)) (void)server_.close_link(d->link);
    if (const auto* s = std::get_if<peer_ended_session>(&e)) (void)server_.end_session(s->session);
    if (std::holds_alternative<peer_closed>(e)) (void)server_.close();
  }
  void on_client(const event& e) {
    if (std::holds_alternative<peer_opened>(e)) {
      auto s = client_.begin_session();
      if (s) session_ = *s;
    }
    if (std::holds_alternative<peer_began_session>(e)) {
      auto l = client_.attach_sender(session_, {.name = "l", .target = terminus{.address = "q"}});
      if (l) sender_ = *l;
    }
    if (std::holds_alternative<credit_granted>(e)) send_some();
    if (const auto* d = std::get_if<disposition_received>(&e); d && d->settled) {
      (void)client_.settle(d->delivery);
      ++settled_;
      send_some();
      if (closing && settled_ == wanted_) (void)client_.close_link(sender_);
    }
    if (std::holds_alternative<peer_detached>(e)) (void)client_.end_session(session_);
    if (std::holds_alternative<peer_ended_session>(e)) (void)client_.close();
  }

  connection_engine client_;
  connection_engine server_;
  std::string body_;
  time_point now_{1h};
  session_handle session_;
  link_handle sender_;
  link_handle receiver_;
  std::uint64_t wanted_ = 0;
  std::uint64_t sent_ = 0;
  std::uint64_t settled_ = 0;
};

TEST(memory, a_warm_pair_moves_messages_at_least_once_without_allocating) {
  for (std::size_t body : {100u, 64u * 1024u}) {
    conversation c(body);
    // Large messages arrive as a socket would read them, a few at a time: their buffers are
    // reused once settled, and the engine keeps only a few MiB of them idle.
    c.chunk = 256 * 1024;
    c.start();
    c.want(3000);  // warm: buffers, rings and indexes reach their working sizes
    c.run();
    ASSERT_EQ(c.settled(), 3000u);
    const std::uint64_t before = test::allocations();
    c.want(5000);
    c.run();
    const std::uint64_t allocated = test::allocations() - before;
    ASSERT_EQ(c.settled(), 8000u);
    EXPECT_EQ(allocated, 0u) << "body " << body;
  }
}

TEST(memory, a_failed_allocation_anywhere_poisons_only_the_engine_it_hit) {
  // One clean run counts the allocations of a whole conversation with split messages.
  const auto whole = [](conversation& c) {
    c.start();
    c.closing = true;
    c.want(3);
    c.run();
  };
  conversation clean(2000, 512);
  const std::uint64_t before = test::allocations();
  whole(clean);
  const std::uint64_t total = test::allocations() - before;
  ASSERT_TRUE(clean.finished());
  ASSERT_EQ(clean.settled(), 3u);

  std::uint64_t poisoned = 0;
  for (std::uint64_t k = 1; k <= total; ++k) {
    conversation c(2000, 512);
    test::fail_allocation(k);
    whole(c);
    test::fail_allocation(0);
    if (c.finished() && c.settled() == 3u) continue;  // the failure hit something that coped
    const bool client_failed = c.client().failure() == make_error_code(errc::engine_failed);
    const bool server_failed = c.server().failure() == make_error_code(errc::engine_failed);
    ASSERT_TRUE(client_failed || server_failed) << "allocation " << k;
    ++poisoned;
    connection_engine& failed = client_failed ? c.client() : c.server();
    EXPECT_TRUE(failed.is_finished());
    EXPECT_TRUE(failed.pending_output().empty());
    EXPECT_EQ(failed.begin_session().error(), make_error_code(errc::engine_failed));
    c.end_inputs();
    EXPECT_TRUE(c.finished()) << "allocation " << k;  // the peer saw its input end
  }
  EXPECT_GT(poisoned, total / 2) << total << " allocations in a conversation";
  RecordProperty("allocations", static_cast<int>(total));
}

}  // namespace
}  // namespace amqp
