// Transactions' completion-token forms over the Asio container and loopback TCP, against the
// test coordinator: async_declare_transaction, async_commit and async_abort with a plain
// callback, with asio::use_future from a thread that does not run the loop, and with
// asio::use_awaitable in a coroutine; the coordinator's refusals as errors, and handles of
// nothing.
#include <gtest/gtest.h>

#include <future>

#include <asio/co_spawn.hpp>
#include <asio/experimental/as_tuple.hpp>
#include <asio/use_awaitable.hpp>
#include <asio/use_future.hpp>

#include "amqp/asio/async.hpp"
#include "amqp/asio/container.hpp"
#include "bindings/container_support.hpp"
#include "bindings/tcp_proxy.hpp"
#include "messaging/recorder.hpp"
#include "messaging/test_coordinator.hpp"

namespace amqp::test {
namespace {

using calls = std::vector<std::string>;

// The client's transaction events, in order.
calls txn_events(const recorder& h) {
  return h.only({"on_transaction_declared", "on_transaction_committed", "on_transaction_aborted",
                 "on_transaction_declare_failed", "on_transaction_commit_failed"});
}

// A server that runs the test coordinator (its handler), listening on a free port.
struct coordinator_server {
  recorder handler;
  test_coordinator coordinator;
  listener l;

  explicit coordinator_server(asio::container& c) {
    coordinator.install(handler);
    auto r = c.listen("127.0.0.1:0", {}, &handler);
    EXPECT_TRUE(r) << r.error();
    if (r) l = *r;
  }
};

TEST(transaction_async, callbacks_declare_commit_and_abort) {
  recorder h;
  asio::container c(h);
  watchdog dog(c);
  coordinator_server server(c);
  auto conn = c.connect(local_url(server.l.port()));
  amqp::sender s = conn.open_sender("queue");
  std::vector<std::string> steps;
  transaction first;
  transaction second;
  // Declared before the connection even opened: the declare waits for the coordinator.
  amqp::async_declare_transaction(conn, [&](std::error_code ec, transaction t) {
    steps.push_back("declared " + ec.message());
    first = t;
    EXPECT_TRUE(t.send(s, text_message("inside")));
    t.async_commit([&, conn](std::error_code cec) mutable {
      steps.push_back("committed " + cec.message());
      amqp::async_declare_transaction(conn.default_session(),
                                      [&, conn](std::error_code dec, transaction u) mutable {
                                        steps.push_back("declared " + dec.message());
                                        second = u;
                                        u.async_abort([&, conn](std::error_code aec) mutable {
                                          steps.push_back("aborted " + aec.message());
                                          conn.close();
                                          server.l.close();
                                        });
                                      });
    });
  });
  c.run();

  const std::string ok = std::error_code().message();
  EXPECT_EQ(steps, (calls{"declared " + ok, "committed " + ok, "declared " + ok, "aborted " + ok}));
  EXPECT_EQ(first.state(), transaction_state::committed);
  EXPECT_EQ(second.state(), transaction_state::aborted);
  EXPECT_EQ(server.coordinator.log,
            (calls{"declare txn-0", "commit txn-0", "declare txn-1", "abort txn-1"}));
  ASSERT_EQ(server.coordinator.arrived.size(), 1u);
  EXPECT_TRUE(server.coordinator.arrived[0].is_transactional());
  // The handler heard of it all as well.
  EXPECT_EQ(txn_events(h), (calls{"on_transaction_declared", "on_transaction_committed",
                                  "on_transaction_declared", "on_transaction_aborted"}));
}

TEST(transaction_async, futures_wait_on_a_thread_that_does_not_run_the_loop) {
  recorder h;
  asio::container c(h);
  watchdog dog(c);
  coordinator_server server(c);
  auto conn = c.connect(local_url(server.l.port()));
  amqp::sender s = conn.open_sender("queue");
  amqp::session ss = conn.default_session();
  std::thread loop([&] { c.run(); });

  transaction t = amqp::async_declare_transaction(ss, ::asio::use_future).get();
  ASSERT_EQ(t.state(), transaction_state::active);
  std::promise<bool> sent;
  ASSERT_TRUE(conn.post([&] { sent.set_value(static_cast<bool>(t.send(s, text_message("x")))); }));
  EXPECT_TRUE(sent.get_future().get());
  EXPECT_NO_THROW(t.async_commit(::asio::use_future).get());
  EXPECT_EQ(t.state(), transaction_state::committed);
  // Committing twice: the command is refused.
  try {
    t.async_commit(::asio::use_future).get();
    ADD_FAILURE() << "committed twice";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::wrong_state)) << e.code().message();
  }

  // The coordinator rolls the next one back: the future throws, the transaction says why.
  ASSERT_TRUE(conn.post([&] {
    server.coordinator.reject_commit =
        condition{std::string(transaction_errors::rollback), "no room", {}};
  }));
  transaction u = amqp::async_declare_transaction(conn, ::asio::use_future).get();
  try {
    u.async_commit(::asio::use_future).get();
    ADD_FAILURE() << "committed what the coordinator rolled back";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::transaction_failed)) << e.code().message();
  }
  EXPECT_EQ(u.state(), transaction_state::failed);
  ASSERT_TRUE(u.error());
  EXPECT_EQ(u.error()->name, transaction_errors::rollback);

  EXPECT_TRUE(conn.post([conn]() mutable { conn.close(); }));
  server.l.close();
  loop.join();
  // The connection is over: invalid_handle, without the loop.
  try {
    amqp::async_declare_transaction(ss, ::asio::use_future).get();
    ADD_FAILURE() << "declared on a finished connection";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::invalid_handle)) << e.code().message();
  }
  try {
    transaction().async_abort(::asio::use_future).get();
    ADD_FAILURE() << "aborted nothing";
  } catch (const std::system_error& e) {
    EXPECT_EQ(e.code(), make_error_code(errc::invalid_handle)) << e.code().message();
  }
  EXPECT_EQ(server.coordinator.log,
            (calls{"declare txn-0", "commit txn-0", "declare txn-1", "rollback txn-1"}));
}

struct coroutine_result {
  std::vector<std::string> steps;
  std::error_code refused;
  std::error_code declare_refused;
  transaction declared_failed;
};

::asio::awaitable<void> work(amqp::connection conn, amqp::sender s, coordinator_server& server,
                             coroutine_result& out) {
  amqp::session ss = conn.default_session();
  transaction t = co_await amqp::async_declare_transaction(ss, ::asio::use_awaitable);
  out.steps.push_back("declared " + text_of_id(*t.id()));
  (void)t.send(s, text_message("one"));
  co_await t.async_commit(::asio::use_awaitable);
  out.steps.push_back("committed");

  transaction u = co_await amqp::async_declare_transaction(conn, ::asio::use_awaitable);
  co_await u.async_abort(::asio::use_awaitable);
  out.steps.push_back("aborted");

  // Errors as values: a commit rolled back, and a declare refused.
  server.coordinator.reject_commit =
      condition{std::string(transaction_errors::rollback), "no room", {}};
  transaction v = co_await amqp::async_declare_transaction(ss, ::asio::use_awaitable);
  auto [ec] = co_await v.async_commit(::asio::experimental::as_tuple(::asio::use_awaitable));
  out.refused = ec;
  server.coordinator.reject_declare = condition{"amqp:not-allowed", "no more", {}};
  auto [dec, w] = co_await amqp::async_declare_transaction(
      ss, ::asio::experimental::as_tuple(::asio::use_awaitable));
  out.declare_refused = dec;
  out.declared_failed = w;
  conn.close();
}

TEST(transaction_async, a_coroutine_awaits_declares_and_discharges) {
  recorder h;
  asio::container c(h);
  watchdog dog(c);
  coordinator_server server(c);
  auto conn = c.connect(local_url(server.l.port()));
  amqp::sender s = conn.open_sender("queue");
  coroutine_result out;
  std::exception_ptr failure;
  bool finished = false;
  h.on("on_connection_opened", [&](messaging_event&) {
    ::asio::co_spawn(c.io_context(), work(conn, s, server, out), [&](std::exception_ptr p) {
      failure = p;
      finished = true;
    });
  });
  h.on("on_connection_closed", [&](messaging_event&) { server.l.close(); });
  c.run();

  EXPECT_TRUE(finished);
  if (failure) {
    try {
      std::rethrow_exception(failure);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what();
    }
  }
  EXPECT_EQ(out.steps, (calls{"declared txn-0", "committed", "aborted"}));
  EXPECT_EQ(out.refused, make_error_code(errc::transaction_failed));
  EXPECT_EQ(out.declare_refused, make_error_code(errc::transaction_failed));
  EXPECT_EQ(out.declared_failed.state(), transaction_state::failed);
  ASSERT_TRUE(out.declared_failed.error());
  EXPECT_EQ(out.declared_failed.error()->name, "amqp:not-allowed");
  EXPECT_EQ(server.coordinator.log,
            (calls{"declare txn-0", "commit txn-0", "declare txn-1", "abort txn-1", "declare txn-2",
                   "rollback txn-2", "declare rejected"}));
}

TEST(transaction_async, a_commit_lost_with_the_connection_is_in_doubt) {
  recorder h;
  asio::container c(h);
  watchdog dog(c);
  coordinator_server server(c);
  tcp_proxy relay(server.l.port());
  std::optional<std::error_code> done;
  // The coordinator holds the commit; the network fails once it arrived.
  server.handler.on("on_message", [&](messaging_event& e) {
    server.coordinator.received(e);
    if (!server.coordinator.held.empty()) relay.cut();
  });
  auto conn = c.connect(local_url(relay.port()), {.reconnect = false});
  amqp::async_declare_transaction(conn, [&](std::error_code ec, transaction t) {
    ASSERT_FALSE(ec) << ec.message();
    server.coordinator.hold = true;
    t.async_commit([&](std::error_code cec) { done = cec; });
  });
  h.on("on_disconnected", [&](messaging_event&) {
    relay.close();
    server.l.close();
  });
  c.run();
  ASSERT_TRUE(done);
  EXPECT_EQ(*done, make_error_code(errc::in_doubt)) << done->message();
  EXPECT_EQ(h.count("on_transaction_commit_failed"), 1u);
  EXPECT_EQ(h.count("on_in_doubt"), 0u);
}

}  // namespace
}  // namespace amqp::test
