// Reconnect policy logic: the backoff sequence, giving up, starting over, jitter from an
// injected source, the failover rotation in rounds, and a policy of the application's own.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "amqp/messaging/reconnect.hpp"
#include "amqp/random.hpp"

namespace amqp {
namespace {

using ms = std::chrono::milliseconds;

// The next `n` delays, -1 for "gave up".
std::vector<long long> delays(reconnect_policy& p, int n) {
  std::vector<long long> out;
  for (int i = 0; i < n; ++i) {
    auto d = p.next();
    out.push_back(d ? static_cast<long long>(d->count()) : -1);
  }
  return out;
}

std::vector<url> urls(std::initializer_list<const char*> hosts) {
  std::vector<url> out;
  for (const char* h : hosts) {
    url u;
    u.host = h;
    out.push_back(u);
  }
  return out;
}

// "host+delay" for each of the next `n` attempts, "give up" when there is none.
std::vector<std::string> attempts(reconnect_state& rs, int n) {
  std::vector<std::string> out;
  for (int i = 0; i < n; ++i) {
    auto a = rs.next_attempt();
    out.push_back(a ? a->target.host + "+" + std::to_string(a->delay.count()) : "give up");
  }
  return out;
}

using strings = std::vector<std::string>;
using counts = std::vector<long long>;

TEST(exponential_backoff, doubles_from_100_ms_up_to_10_s) {
  exponential_backoff p;
  EXPECT_EQ(delays(p, 12),
            (counts{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000, 10000, 10000, 10000}));
  EXPECT_EQ(p.attempts(), 12u);
}

TEST(exponential_backoff, gives_up_after_max_attempts_until_reset) {
  exponential_backoff p({.max_attempts = 3});
  EXPECT_EQ(delays(p, 5), (counts{100, 200, 400, -1, -1}));
  p.reset();
  EXPECT_EQ(delays(p, 4), (counts{100, 200, 400, -1}));
}

TEST(exponential_backoff, reset_starts_the_sequence_over) {
  exponential_backoff p;
  EXPECT_EQ(delays(p, 4), (counts{100, 200, 400, 800}));
  p.reset();
  EXPECT_EQ(p.attempts(), 0u);
  EXPECT_EQ(delays(p, 3), (counts{100, 200, 400}));
}

TEST(exponential_backoff, follows_its_options) {
  exponential_backoff a({.initial = ms{50}, .multiplier = 3.0, .max_delay = ms{1000}});
  EXPECT_EQ(delays(a, 5), (counts{50, 150, 450, 1000, 1000}));
  exponential_backoff b({.initial = ms{10}, .multiplier = 1.5, .max_delay = ms{100}});
  EXPECT_EQ(delays(b, 7), (counts{10, 15, 23, 34, 51, 76, 100}));
  exponential_backoff constant({.initial = ms{250}, .multiplier = 1.0});
  EXPECT_EQ(delays(constant, 3), (counts{250, 250, 250}));
}

TEST(exponential_backoff, odd_options_are_made_sensible) {
  // A multiplier below 1 (or NaN) would shrink the delays: it counts as 1.
  exponential_backoff shrink({.initial = ms{100}, .multiplier = 0.5});
  EXPECT_EQ(delays(shrink, 3), (counts{100, 100, 100}));
  exponential_backoff nan({.multiplier = std::nan("")});
  EXPECT_EQ(delays(nan, 2), (counts{100, 100}));
  EXPECT_EQ(nan.options().multiplier, 1.0);
  // A cap below the first delay caps it too.
  exponential_backoff capped({.initial = ms{500}, .max_delay = ms{300}});
  EXPECT_EQ(delays(capped, 2), (counts{300, 300}));
  // A negative first delay counts as zero.
  exponential_backoff negative({.initial = ms{-5}});
  EXPECT_EQ(delays(negative, 2), (counts{0, 0}));
  // Immediate retries: a zero first delay stays zero.
  exponential_backoff zero({.initial = ms{0}});
  EXPECT_EQ(delays(zero, 2), (counts{0, 0}));
  // Huge values do not overflow.
  exponential_backoff huge(
      {.initial = ms{1'000'000'000}, .multiplier = 1e300, .max_delay = ms::max()});
  auto d = delays(huge, 4);
  EXPECT_EQ(d[0], 1'000'000'000);
  for (long long v : d) EXPECT_GT(v, 0);
  EXPECT_EQ(d[2], d[3]);
}

// Hands out the same byte, or counts up.
struct scripted_random final : random_source {
  std::optional<std::uint8_t> fixed;
  std::uint8_t next = 0;
  int calls = 0;
  void fill(std::span<std::uint8_t> out) override {
    ++calls;
    for (auto& b : out) b = fixed ? *fixed : next++;
  }
};

TEST(exponential_backoff, jitter_draws_from_the_injected_source) {
  scripted_random high;
  high.fixed = 0xff;
  exponential_backoff top({}, &high);
  EXPECT_EQ(delays(top, 4), (counts{100, 200, 400, 800}));
  EXPECT_EQ(high.calls, 4);

  scripted_random low;
  low.fixed = 0x00;
  exponential_backoff bottom({}, &low);
  EXPECT_EQ(delays(bottom, 4), (counts{50, 100, 200, 400}));

  // Anything between stays within [d/2, d], and the undrawn sequence goes on regardless.
  scripted_random counting;
  exponential_backoff mid({.max_attempts = 9}, &counting);
  const counts full{100, 200, 400, 800, 1600, 3200, 6400, 10000, 10000};
  const auto got = delays(mid, 10);
  for (std::size_t i = 0; i < full.size(); ++i) {
    EXPECT_GE(got[i], full[i] / 2) << i;
    EXPECT_LE(got[i], full[i]) << i;
  }
  EXPECT_EQ(got[9], -1);
  // Without a source nothing is drawn.
  exponential_backoff plain;
  EXPECT_EQ(delays(plain, 1), (counts{100}));
}

TEST(failover_list, rotates_in_rounds) {
  failover_list l(urls({"a", "b", "c"}));
  EXPECT_EQ(l.size(), 3u);
  EXPECT_EQ(l.current().host, "a");
  EXPECT_FALSE(l.round_complete());  // only a, the initial connection, was tried
  EXPECT_EQ(l.advance().host, "b");
  EXPECT_FALSE(l.round_complete());
  EXPECT_EQ(l.advance().host, "c");
  EXPECT_TRUE(l.round_complete());
  EXPECT_EQ(l.advance().host, "a");
  EXPECT_FALSE(l.round_complete());
  EXPECT_EQ(l.index(), 0u);

  // Connected on b: stay there; the round is over and the next one starts after b.
  EXPECT_EQ(l.advance().host, "b");
  l.reset_to_connected();
  EXPECT_EQ(l.current().host, "b");
  EXPECT_TRUE(l.round_complete());
  EXPECT_EQ(l.advance().host, "c");
  EXPECT_FALSE(l.round_complete());
  EXPECT_EQ(l.advance().host, "a");
  EXPECT_EQ(l.advance().host, "b");
  EXPECT_TRUE(l.round_complete());
}

TEST(failover_list, one_url_is_a_round_of_its_own) {
  failover_list l(urls({"only"}));
  EXPECT_TRUE(l.round_complete());
  EXPECT_EQ(l.advance().host, "only");
  EXPECT_TRUE(l.round_complete());
}

TEST(failover_list, an_empty_list_is_a_precondition_violation) {
  // Asserted in debug builds; otherwise a list of one default url, not a crash.
  EXPECT_DEBUG_DEATH(
      {
        failover_list l{std::vector<url>{}};
        EXPECT_EQ(l.size(), 1u);
        EXPECT_TRUE(l.current().host.empty());
        EXPECT_TRUE(l.advance().host.empty());
      },
      "at least one URL");
}

TEST(reconnect_state, one_url_backs_off_between_attempts) {
  reconnect_state rs(urls({"a"}));
  EXPECT_EQ(rs.current().host, "a");
  EXPECT_EQ(attempts(rs, 9), (strings{"a+100", "a+200", "a+400", "a+800", "a+1600", "a+3200",
                                      "a+6400", "a+10000", "a+10000"}));
  rs.connected();
  EXPECT_EQ(attempts(rs, 2), (strings{"a+100", "a+200"}));
}

TEST(reconnect_state, tries_every_url_before_waiting_longer) {
  reconnect_state rs(urls({"a", "b", "c"}));
  // The initial connection to a failed: b and c at once, then rounds with growing delays.
  EXPECT_EQ(attempts(rs, 11), (strings{"b+0", "c+0", "a+100", "b+0", "c+0", "a+200", "b+0", "c+0",
                                       "a+400", "b+0", "c+0"}));
}

TEST(reconnect_state, a_loss_moves_on_to_the_next_url_after_the_first_delay) {
  reconnect_state rs(urls({"a", "b", "c"}));
  EXPECT_EQ(attempts(rs, 4), (strings{"b+0", "c+0", "a+100", "b+0"}));
  rs.connected();  // on b
  EXPECT_EQ(rs.current().host, "b");
  // b was lost: c after the policy's (reset) first delay, then the rest of that round.
  EXPECT_EQ(attempts(rs, 7), (strings{"c+100", "a+0", "b+0", "c+200", "a+0", "b+0", "c+400"}));
  rs.connected();  // on c
  EXPECT_EQ(attempts(rs, 1), (strings{"a+100"}));
}

TEST(reconnect_state, gives_up_after_max_attempts_rounds) {
  reconnect_state rs(urls({"a", "b"}), backoff_options{.max_attempts = 2});
  EXPECT_EQ(attempts(rs, 7),
            (strings{"b+0", "a+100", "b+0", "a+200", "b+0", "give up", "give up"}));
  EXPECT_TRUE(rs.gave_up());
  rs.connected();  // on b, the URL of the last attempt
  EXPECT_FALSE(rs.gave_up());
  EXPECT_EQ(attempts(rs, 2), (strings{"a+100", "b+0"}));
}

TEST(reconnect_state, without_a_policy_tries_each_url_once) {
  reconnect_state rs(urls({"a", "b", "c"}), std::unique_ptr<reconnect_policy>{});
  EXPECT_EQ(rs.policy(), nullptr);
  EXPECT_EQ(attempts(rs, 3), (strings{"b+0", "c+0", "give up"}));
  reconnect_state single(urls({"a"}), std::unique_ptr<reconnect_policy>{});
  EXPECT_EQ(attempts(single, 1), (strings{"give up"}));
}

// An application's policy: scripted delays, and a count of resets.
class scripted_policy final : public reconnect_policy {
 public:
  scripted_policy(std::vector<long long> script, int* resets)
      : script_(std::move(script)), resets_(resets) {}
  void reset() noexcept override {
    ++*resets_;
    at_ = 0;
  }
  std::optional<ms> next() override {
    if (at_ >= script_.size()) return std::nullopt;
    return ms{script_[at_++]};
  }

 private:
  std::vector<long long> script_;
  int* resets_;
  std::size_t at_ = 0;
};

TEST(reconnect_state, takes_a_policy_of_the_applications) {
  int resets = 0;
  reconnect_state rs(urls({"a", "b"}),
                     std::make_unique<scripted_policy>(std::vector<long long>{0, 5, -7}, &resets));
  // Zero is an immediate retry; a negative delay counts as zero.
  EXPECT_EQ(attempts(rs, 8), (strings{"b+0", "a+0", "b+0", "a+5", "b+0", "a+0", "b+0", "give up"}));
  EXPECT_EQ(resets, 0);
  rs.connected();
  EXPECT_EQ(resets, 1);
  EXPECT_EQ(rs.current().host, "b");
  EXPECT_EQ(attempts(rs, 2), (strings{"a+0", "b+0"}));
}

TEST(reconnect_state, giving_up_is_final_even_if_the_policy_changes_its_mind) {
  // A policy that says no once, then yes again.
  struct fickle final : reconnect_policy {
    int calls = 0;
    void reset() noexcept override {}
    std::optional<ms> next() override {
      if (++calls == 1) return std::nullopt;
      return ms{1};
    }
  };
  reconnect_state rs(urls({"a"}), std::make_unique<fickle>());
  EXPECT_EQ(attempts(rs, 2), (strings{"give up", "give up"}));
  EXPECT_EQ(static_cast<fickle*>(rs.policy())->calls, 1);
}

TEST(reconnect_state, attempts_carry_the_whole_url) {
  std::vector<url> list = urls({"a", "b"});
  list[1].scheme = "amqps";
  list[1].port = 5671;
  list[1].user = "u";
  list[1].password = "p";
  list[1].address = "q";
  reconnect_state rs(list);
  auto a = rs.next_attempt();
  ASSERT_TRUE(a);
  EXPECT_EQ(a->target, list[1]);
  EXPECT_EQ(a->delay, ms{0});
  EXPECT_EQ(rs.failover().urls(), list);
}

}  // namespace
}  // namespace amqp
