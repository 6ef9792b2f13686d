// message_sender::async_send (amqp/client/asio.hpp) over loopback TCP against the example
// broker's handler: a plain callback on the connection's strand, asio::use_future from
// another thread, and the completion when the connection is over.
#include <gtest/gtest.h>

#include <future>
#include <thread>

#include <asio/use_future.hpp>

#include "amqp/asio/container.hpp"
#include "amqp/client/asio.hpp"
#include "broker.hpp"

namespace amqp::client {
namespace {

using namespace std::chrono_literals;

message text(std::string_view body) {
  message m;
  m.set_value(value(body));
  return m;
}

// A client container on a thread of its own, with a message_sender made once the connection
// opened; the broker's container on another.
struct async_bench : messaging_handler {
  broker::broker_handler broker_handler;
  asio::container broker{broker_handler};
  asio::container client{*this};
  std::thread broker_thread, client_thread;
  connection conn;
  message_sender sender;
  std::promise<void> opened;
  std::string url;

  async_bench() {
    auto l = broker.listen("127.0.0.1:0", broker_handler.connection_options());
    EXPECT_TRUE(l);
    url = "amqp://127.0.0.1:" + std::to_string(l ? l->port() : 1) + "/async";
    broker_thread = std::thread([this] { broker.run(); });
    client_thread = std::thread([this] { client.run(); });
    EXPECT_EQ(opened.get_future().wait_for(10s), std::future_status::ready);
  }
  ~async_bench() override {
    (void)conn.post([this] { sender.destroy(); });
    client.stop();  // also drops the timeout timers, which would keep run() going
    client_thread.join();
    broker.stop();
    broker_thread.join();
  }
  void on_start(messaging_event& e) override { conn = e.container().connect(url); }
  void on_connection_opened(messaging_event& e) override {
    sender = message_sender(e.connection(), "async");
    sender.open();
    opened.set_value();
  }
};

TEST(async_send, a_callback_completes_on_the_connections_strand) {
  async_bench b;
  std::promise<std::pair<send_result, std::string>> done;
  (void)b.conn.post([&] {
    b.sender.async_send(text("callback"), [&](send_result r, send_error e) {
      done.set_value({r, e.what});
    });
  });
  auto f = done.get_future();
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  EXPECT_EQ(f.get(), (std::pair<send_result, std::string>{send_result::ok, ""}));
}

TEST(async_send, use_future_waits_from_another_thread) {
  async_bench b;
  auto f = b.sender.async_send(text("future"), ::asio::use_future, 5s);
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  auto [result, error] = f.get();
  EXPECT_EQ(result, send_result::ok) << error.what;
}

TEST(async_send, a_message_too_large_completes_with_the_error) {
  async_bench b;
  auto f = b.sender.async_send(text(std::string(2 << 20, 'x')), ::asio::use_future);
  ASSERT_EQ(f.wait_for(10s), std::future_status::ready);
  auto [result, error] = f.get();
  EXPECT_EQ(result, send_result::error);
  EXPECT_EQ(error.what, "the message is 2097160 bytes, above max_message_size 1048576");
}

}  // namespace
}  // namespace amqp::client
