// Seeded random conversations between two engines: random message sizes (up to several
// frames), random credit grants, drains, outcomes and settlement orders, random cuts of the
// byte stream. After every step the invariants of flow control and settlement are checked,
// and at the end every message has arrived intact and in order and every delivery sent
// unsettled has been reported settled.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <deque>
#include <random>
#include <string>
#include <vector>

#include "amqp/engine.hpp"

namespace amqp {
namespace {

using namespace std::chrono_literals;

class random_conversation {
 public:
  explicit random_conversation(std::uint32_t seed) : rng_(seed) {
    engine_config c{.role = engine_role::client};
    engine_config s{.role = engine_role::server};
    c.limits.max_frame_size = s.limits.max_frame_size = 512 + pick(0, 1024);
    client_.emplace(c);
    server_.emplace(s);
    mode_ = static_cast<sender_settle_mode>(pick(0, 2));
    second_ = pick(0, 1) == 1;
  }

  void run() {
    ASSERT_FALSE(client_->open({.container_id = "c"}));
    for (int step = 0; step < 4000 && !done(); ++step) {
      move(*client_, *server_);
      move(*server_, *client_);
      events();
      act();
      check();
      if (::testing::Test::HasFatalFailure()) return;
    }
    // Let everything settle: send nothing more, move all, settle all.
    for (int i = 0; i < 2000 && !quiet(); ++i) {
      chunk_max_ = 0;
      move(*client_, *server_);
      move(*server_, *client_);
      events();
      settle_all();
      check();
      if (::testing::Test::HasFatalFailure()) return;
    }
    EXPECT_EQ(received_, sent_texts_.size()) << "messages lost";
    EXPECT_TRUE(unsettled_sent_.empty()) << unsettled_sent_.size() << " never reported settled";
  }

 private:
  std::uint32_t pick(std::uint32_t lo, std::uint32_t hi) {
    return std::uniform_int_distribution<std::uint32_t>(lo, hi)(rng_);
  }
  bool done() const { return sent_texts_.size() >= 300; }
  bool quiet() {
    return client_->pending_output().empty() && server_->pending_output().empty() &&
           unsettled_sent_.empty() && held_.empty() && received_ == sent_texts_.size();
  }

  void move(connection_engine& from, connection_engine& to) {
    bytes_view out = from.pending_output();
    while (!out.empty()) {
      const std::size_t n = chunk_max_ ? std::min<std::size_t>(out.size(), pick(1, static_cast<std::uint32_t>(chunk_max_))) : out.size();
      const std::size_t used = to.feed(out.first(n), now_);
      from.consume_output(used);
      if (used == 0) return;  // the reader waits for its events to be polled
      out = from.pending_output();
    }
  }

  void events() {
    while (auto e = server_->poll_event()) on_server(*e);
    while (auto e = client_->poll_event()) on_client(*e);
  }

  void on_server(const event& e) {
    if (const auto* v = std::get_if<protocol_violation>(&e))
      FAIL() << "honest peers never violate: " << v->error.to_string();
    if (std::holds_alternative<peer_opened>(e)) {
      ASSERT_FALSE(server_->open({.container_id = "s"}));
    }
    if (const auto* b = std::get_if<peer_began_session>(&e)) {
      ASSERT_FALSE(server_->begin_session(b->session, {.incoming_window = 1 + pick(0, 8)}));
    }
    if (const auto* a = std::get_if<peer_attached>(&e)) {
      receiver_ = a->link;
      ASSERT_FALSE(server_->attach(
          a->link, {.target = terminus{},
                    .rcv_settle_mode = second_ ? receiver_settle_mode::second
                                               : receiver_settle_mode::first}));
    }
    if (const auto* t = std::get_if<transfer_received>(&e)) {
      const std::string got(reinterpret_cast<const char*>(server_->payload(t->delivery).data()),
                            server_->payload(t->delivery).size());
      ASSERT_LT(received_, sent_texts_.size());
      ASSERT_EQ(got, sent_texts_[received_]) << "message " << received_;
      ASSERT_EQ(server_->delivery(t->delivery)->size, got.size());
      ++received_;
      held_.push_back(t->delivery);
    }
    if (const auto* d = std::get_if<disposition_received>(&e); d && d->settled) {
      // The sender settled (second mode): now the receiver may.
      ASSERT_FALSE(server_->settle(d->delivery));
      held_.erase(std::remove(held_.begin(), held_.end(), d->delivery), held_.end());
    }
  }

  void on_client(const event& e) {
    if (const auto* v = std::get_if<protocol_violation>(&e))
      FAIL() << "honest peers never violate: " << v->error.to_string();
    ASSERT_FALSE(std::holds_alternative<delivery_in_doubt>(e));
    if (std::holds_alternative<peer_opened>(e)) {
      auto s = client_->begin_session({.incoming_window = 1 + pick(0, 8)});
      ASSERT_TRUE(s);
    }
    if (const auto* b = std::get_if<peer_began_session>(&e)) {
      auto l = client_->attach_sender(b->session, {.name = "l",
                                                   .target = terminus{.address = "q"},
                                                   .snd_settle_mode = mode_});
      ASSERT_TRUE(l);
      sender_ = *l;
    }
    if (const auto* d = std::get_if<disposition_received>(&e)) {
      const delivery_status* st = client_->delivery(d->delivery);
      ASSERT_NE(st, nullptr) << "an event for a delivery already settled here";
      if (d->settled || st->remote_state.is_outcome()) {
        ASSERT_FALSE(client_->settle(d->delivery));
        unsettled_sent_.erase(std::remove(unsettled_sent_.begin(), unsettled_sent_.end(), d->delivery),
                              unsettled_sent_.end());
        ASSERT_EQ(client_->delivery(d->delivery), nullptr);
      }
    }
  }

  void act() {
    chunk_max_ = pick(0, 3) == 0 ? 0 : pick(1, 700);
    if (receiver_.is_set() && pick(0, 3) == 0 && server_->link(receiver_)) {
      if (pick(0, 9) == 0) {
        ASSERT_FALSE(server_->drain(receiver_));
      } else {
        ASSERT_FALSE(server_->grant_credit(receiver_, pick(0, 5)));
      }
    }
    if (sender_.is_set() && client_->link(sender_) && !done()) {
      const link_status* l = client_->link(sender_);
      for (std::uint32_t n = pick(0, 4); n > 0 && l->credit > 0 && !done(); --n) {
        std::string text = std::to_string(sent_texts_.size()) + ":" +
                           std::string(pick(0, 3000), static_cast<char>('a' + pick(0, 25)));
        const bool settled = mode_ == sender_settle_mode::settled ||
                             (mode_ == sender_settle_mode::mixed && pick(0, 1) == 1);
        auto d = client_->send(sender_, {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()},
                               {.settled = settled});
        ASSERT_TRUE(d) << d.error().message();
        if (!settled) unsettled_sent_.push_back(*d);
        sent_texts_.push_back(std::move(text));
      }
      if (l->drain && pick(0, 1) == 0) {
        ASSERT_FALSE(client_->complete_drain(sender_));
      }
    }
    // Settle some held deliveries, in random order, with random outcomes.
    for (std::uint32_t n = pick(0, 3); n > 0 && !held_.empty(); --n)
      settle_one(pick(0, static_cast<std::uint32_t>(held_.size() - 1)));
  }

  void settle_one(std::size_t i) {
    const delivery_handle d = held_[i];
    static const delivery_state states[] = {
        delivery_state::accepted(), delivery_state::released(),
        delivery_state::rejected(condition{"amqp:internal-error", "random", {}}),
        delivery_state::modified(true, false)};
    const delivery_state& s = states[pick(0, 3)];
    const delivery_status* st = server_->delivery(d);
    ASSERT_NE(st, nullptr);
    if (second_ && !st->remote_settled) {
      if (st->state.kind == delivery_state::type::none) {
        ASSERT_FALSE(server_->update_state(d, s));
      }
      return;  // waits for the sender's settlement
    }
    ASSERT_FALSE(server_->settle(d, s));
    held_.erase(held_.begin() + static_cast<std::ptrdiff_t>(i));
  }
  void settle_all() {
    for (std::size_t i = held_.size(); i > 0; --i) settle_one(i - 1);
    if (receiver_.is_set() && server_->link(receiver_) && server_->link(receiver_)->credit == 0) {
      ASSERT_FALSE(server_->grant_credit(receiver_, 10));
    }
  }

  void check() {
    if (!sender_.is_set() || !receiver_.is_set()) return;
    const link_status* s = client_->link(sender_);
    const link_status* r = server_->link(receiver_);
    ASSERT_TRUE(s && r);
    // The sender never has more credit than the receiver granted, and counts ahead of it.
    ASSERT_LE(s->credit, r->credit + (s->delivery_count - r->delivery_count));
    ASSERT_GE(static_cast<std::int32_t>(s->delivery_count - r->delivery_count), 0);
    ASSERT_LE(s->unsettled, unsettled_sent_.size());
    for (delivery_handle d : unsettled_sent_) ASSERT_NE(client_->delivery(d), nullptr);
    for (delivery_handle d : held_) {
      const delivery_status* st = server_->delivery(d);
      ASSERT_NE(st, nullptr);
      ASSERT_TRUE(st->complete);
    }
  }

  std::mt19937 rng_;
  std::optional<connection_engine> client_;
  std::optional<connection_engine> server_;
  time_point now_{1h};
  sender_settle_mode mode_ = sender_settle_mode::mixed;
  bool second_ = false;
  std::size_t chunk_max_ = 0;
  link_handle sender_;
  link_handle receiver_;
  std::vector<std::string> sent_texts_;
  std::size_t received_ = 0;
  std::vector<delivery_handle> unsettled_sent_;
  std::vector<delivery_handle> held_;
};

TEST(random, conversations_keep_flow_control_and_settlement_invariants) {
  for (std::uint32_t seed = 1; seed <= 200; ++seed) {
    SCOPED_TRACE("seed " + std::to_string(seed));
    random_conversation(seed).run();
    if (HasFailure()) return;
  }
}

}  // namespace
}  // namespace amqp
