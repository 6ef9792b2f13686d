// sender::async_send over the Asio container: with a plain callback, with asio::use_future from
// a thread that does not run the loop, with asio::use_awaitable in a coroutine; the peer's
// outcomes, and the errors: in doubt, no credit, a finished connection.
#include <gtest/gtest.h>

#include <future>
#include <set>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "amqp/asio/async.hpp"
#include "amqp/asio/container.hpp"
#include "bindings/container_support.hpp"
#include "bindings/tcp_proxy.hpp"
#include "messaging/recorder.hpp"

namespace amqp::test {
namespace {

using kind = delivery_state::type;

struct outcome {
  std::error_code ec;
  delivery_state state;
  std::string what;
};

// A callback's view of one async_send.
auto keep(std::vector<outcome>& out, std::string what) {
  return [&out, what](std::error_code ec, const delivery_state& state) {
    out.push_back({ec, state, what});
  };
}

// Calls `go` once `s` has credit and `starved` (which the broker gives none) is attached.
void when_ready(recorder& h, const amqp::sender& s, const amqp::sender& starved,
                std::function<void()> go) {
  struct seen {
    bool credit = false;
    bool attached = false;
    bool went = false;
  };
  auto state = std::make_shared<seen>();
  auto check = [state, go] {
    if (state->credit && state->attached && !state->went) {
      state->went = true;
      go();
    }
  };
  h.on("on_sendable", [state, check, s](messaging_event& e) {
    if (e.sender() != s) return;
    state->credit = true;
    check();
  });
  h.on("on_link_opened", [state, check, starved](messaging_event& e) {
    if (e.sender() != starved) return;
    state->attached = true;
    check();
  });
}

TEST(async_send, a_callback_gets_the_peers_outcome) {
  recorder h;
  test_broker broker;
  asio::container c(h);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  std::vector<outcome> outcomes;
  amqp::sender settled;
  std::set<amqp::sender*> started;
  h.on("on_sendable", [&](messaging_event& e) {
    if (e.sender() == settled) {
      if (started.insert(&settled).second)
        e.sender().async_send(text_message("gone"), keep(outcomes, "settled"));
      return;
    }
    if (!started.insert(nullptr).second) return;
    e.sender().async_send(text_message("fine"), keep(outcomes, "fine"));
    e.sender().async_send(text_message("reject"), keep(outcomes, "reject"));
    e.sender().async_send(text_message("release"), keep(outcomes, "release"));
  });
  h.on("on_settled", [&](messaging_event& e) {
    if (outcomes.size() == 4) {
      e.connection().close();
      l->close();
    }
  });
  auto conn = c.connect(local_url(l->port()));
  conn.open_sender("q", {.mode = delivery_mode::at_least_once});
  settled = conn.open_sender("q", {.mode = delivery_mode::at_most_once});
  c.run();

  ASSERT_EQ(outcomes.size(), 4u);
  std::map<std::string, outcome> by;
  for (const outcome& o : outcomes) by[o.what] = o;
  EXPECT_FALSE(by["fine"].ec);
  EXPECT_EQ(by["fine"].state.kind, kind::accepted);
  EXPECT_FALSE(by["reject"].ec);
  EXPECT_EQ(by["reject"].state.kind, kind::rejected);
  ASSERT_TRUE(by["reject"].state.error);
  EXPECT_EQ(by["reject"].state.error->name, "amqp:precondition-failed");
  EXPECT_FALSE(by["release"].ec);
  EXPECT_EQ(by["release"].state.kind, kind::released);
  // Sent settled: no outcome will come, done at once.
  EXPECT_FALSE(by["settled"].ec) << by["settled"].ec.message();
  EXPECT_EQ(by["settled"].state.kind, kind::none);
  // The handler heard of the outcomes too.
  EXPECT_EQ(h.count("on_accepted"), 1u);
  EXPECT_EQ(h.count("on_rejected"), 1u);
  EXPECT_EQ(h.count("on_released"), 1u);
}

TEST(async_send, a_future_waits_on_a_thread_that_does_not_run_the_loop) {
  recorder h;
  test_broker broker;
  asio::container c(h);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  auto conn = c.connect(local_url(l->port()));
  amqp::sender s = conn.open_sender("q", {.mode = delivery_mode::at_least_once});
  amqp::sender starved = conn.open_sender("nocredit");
  std::promise<void> ready;
  when_ready(h, s, starved, [&] { ready.set_value(); });
  std::thread loop([&] { c.run(); });
  ASSERT_EQ(ready.get_future().wait_for(20s), std::future_status::ready);

  delivery_state fine = s.async_send(text_message("fine"), ::asio::use_future).get();
  EXPECT_EQ(fine.kind, kind::accepted);
  delivery_state rejected = s.async_send(text_message("reject"), ::asio::use_future).get();
  EXPECT_EQ(rejected.kind, kind::rejected);
  delivery_state released = s.async_send(text_message("release"), ::asio::use_future).get();
  EXPECT_EQ(released.kind, kind::released);
  std::future<delivery_state> none = starved.async_send(text_message("x"), ::asio::use_future);
  try {
    none.get();
    ADD_FAILURE() << "sent without credit";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::no_credit)) << e.code().message();
  }

  EXPECT_TRUE(conn.post([conn]() mutable { conn.close(); }));
  l->close();
  loop.join();
  // The connection is over: the operation completes with invalid_handle, on the token's
  // executor, without the loop.
  std::future<delivery_state> late = s.async_send(text_message("late"), ::asio::use_future);
  try {
    late.get();
    ADD_FAILURE() << "sent on a finished connection";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::invalid_handle)) << e.code().message();
  }
  EXPECT_EQ(broker.stored("q"), 1u);
}

::asio::awaitable<void> send_three(amqp::sender s, amqp::sender starved,
                                   std::vector<outcome>& out) {
  for (const char* text : {"fine", "reject", "release"}) {
    delivery_state st = co_await s.async_send(text_message(text), ::asio::use_awaitable);
    out.push_back({{}, st, text});
  }
  try {
    co_await starved.async_send(text_message("x"), ::asio::use_awaitable);
    out.push_back({{}, {}, "no error"});
  } catch (const std::system_error& e) {
    out.push_back({e.code(), {}, "starved"});
  }
  // Errors as values rather than exceptions.
  auto [ec, st] = co_await starved.async_send(
      text_message("x"), ::asio::experimental::as_tuple(::asio::use_awaitable));
  out.push_back({ec, st, "starved, as a tuple"});
  amqp::connection conn = s.connection();
  conn.post([conn]() mutable { conn.close(); });
}

TEST(async_send, a_coroutine_awaits_each_outcome) {
  recorder h;
  test_broker broker;
  asio::container c(h);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  std::vector<outcome> outcomes;
  std::exception_ptr failure;
  bool finished = false;
  auto conn = c.connect(local_url(l->port()));
  amqp::sender s = conn.open_sender("q", {.mode = delivery_mode::at_least_once});
  amqp::sender starved = conn.open_sender("nocredit");
  when_ready(h, s, starved, [&] {
    ::asio::co_spawn(c.io_context(), send_three(s, starved, outcomes), [&](std::exception_ptr p) {
      failure = p;
      finished = true;
    });
  });
  h.on("on_connection_closed", [&](messaging_event&) { l->close(); });
  c.run();

  EXPECT_TRUE(finished);
  EXPECT_FALSE(failure);
  ASSERT_EQ(outcomes.size(), 5u);
  EXPECT_EQ(outcomes[0].state.kind, kind::accepted);
  EXPECT_EQ(outcomes[1].state.kind, kind::rejected);
  EXPECT_EQ(outcomes[2].state.kind, kind::released);
  EXPECT_EQ(outcomes[3].what, "starved");
  EXPECT_EQ(outcomes[3].ec, make_error_code(errc::no_credit));
  EXPECT_EQ(outcomes[4].ec, make_error_code(errc::no_credit));
}

TEST(async_send, a_dropped_connection_leaves_the_message_in_doubt) {
  recorder h;
  test_broker broker;
  asio::container c(h);
  watchdog dog(c);
  auto l = c.listen("127.0.0.1:0", {}, &broker);
  ASSERT_TRUE(l) << l.error();
  tcp_proxy relay(l->port());
  // The broker keeps the message unsettled, and the network fails once it arrived.
  broker.after_message = [&](messaging_event&, std::size_t) { relay.cut(); };
  std::vector<outcome> outcomes;
  h.on("on_sendable", [&](messaging_event& e) {
    if (outcomes.empty() && h.count("on_sendable") == 1)
      e.sender().async_send(text_message("held"), keep(outcomes, "held"));
  });
  h.on("on_disconnected", [&](messaging_event&) {
    relay.close();
    l->close();
  });
  auto conn = c.connect(local_url(relay.port()), {.reconnect = false});
  conn.open_sender("hold", {.mode = delivery_mode::at_least_once});
  c.run();

  ASSERT_EQ(outcomes.size(), 1u);
  EXPECT_EQ(outcomes[0].ec, make_error_code(errc::in_doubt)) << outcomes[0].ec.message();
  EXPECT_EQ(h.count("on_in_doubt"), 1u);
  EXPECT_EQ(broker.stored("hold"), 1u);
}

TEST(async_send, a_handle_of_a_finished_connection_is_invalid) {
  recorder h;
  asio::container c(h);
  watchdog dog(c);
  auto conn = c.connect(local_url(closed_port()), {.reconnect = false});
  amqp::sender s = conn.open_sender("q");
  c.run();
  EXPECT_EQ(conn.state(), endpoint_state::closed);
  std::promise<std::error_code> done;
  s.async_send(text_message("x"),
               [&](std::error_code ec, const delivery_state&) { done.set_value(ec); });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(20s), std::future_status::ready);
  EXPECT_EQ(f.get(), make_error_code(errc::invalid_handle));
}

}  // namespace
}  // namespace amqp::test
