// The in-memory stream pair on its own: bytes in order, the end of stream, chunked reads,
// injected errors, pauses, closing, and completions that are never inline and run on the
// handler's strand.
#include <gtest/gtest.h>

#include <array>
#include <functional>
#include <string>
#include <thread>
#include <vector>

#include <asio/bind_executor.hpp>
#include <asio/io_context.hpp>
#include <asio/post.hpp>
#include <asio/read.hpp>
#include <asio/strand.hpp>
#include <asio/write.hpp>

#include "amqp/asio/memory_stream.hpp"

namespace amqp::test {
namespace {

using amqp::asio::memory_stream;

struct read_result {
  bool done = false;
  std::error_code ec;
  std::string bytes;
};

// Starts a read of at most 64 bytes into `r`.
void read_some(memory_stream& s, std::array<char, 64>& buffer, read_result& r) {
  r = {};
  s.async_read_some(::asio::buffer(buffer), [&r, &buffer](std::error_code ec, std::size_t n) {
    r.done = true;
    r.ec = ec;
    r.bytes.assign(buffer.data(), n);
  });
}

void write(memory_stream& s, std::string_view text) {
  ::asio::async_write(s, ::asio::buffer(text),
                      [](std::error_code ec, std::size_t) { EXPECT_FALSE(ec) << ec.message(); });
}

TEST(memory_stream, completes_reads_through_the_executor_never_inline) {
  ::asio::io_context io;
  auto [a, b] = memory_stream::make_pair(io.get_executor());
  std::array<char, 64> buffer{};
  read_result r;
  read_some(b, buffer, r);
  write(a, "hello");
  EXPECT_FALSE(r.done);  // bytes are there, but the handler waits for the io_context
  io.run();
  ASSERT_TRUE(r.done);
  EXPECT_FALSE(r.ec);
  EXPECT_EQ(r.bytes, "hello");

  // Bytes already waiting: still not inline.
  write(a, "world");
  io.restart();
  io.run();
  read_some(b, buffer, r);
  EXPECT_FALSE(r.done);
  io.restart();
  io.run();
  EXPECT_EQ(r.bytes, "world");
}

TEST(memory_stream, reads_the_end_of_stream_after_every_byte_before_it) {
  ::asio::io_context io;
  auto [a, b] = memory_stream::make_pair(io.get_executor());
  write(a, "last words");
  std::error_code ec;
  a.shutdown(::asio::socket_base::shutdown_send, ec);
  EXPECT_FALSE(ec);
  std::string all(32, '\0');
  std::size_t got = 0;
  std::error_code end;
  ::asio::async_read(b, ::asio::buffer(all), [&](std::error_code e, std::size_t n) {
    end = e;
    got = n;
  });
  io.run();
  EXPECT_EQ(end, ::asio::error::eof);
  EXPECT_EQ(all.substr(0, got), "last words");

  // Writing after shutting the sending side down is a broken pipe; the other direction works.
  std::error_code late;
  a.async_write_some(::asio::buffer("x", 1), [&](std::error_code e, std::size_t) { late = e; });
  write(b, "still open");
  std::array<char, 64> buffer{};
  read_result r;
  read_some(a, buffer, r);
  io.restart();
  io.run();
  EXPECT_EQ(late, ::asio::error::broken_pipe);
  EXPECT_EQ(r.bytes, "still open");
}

TEST(memory_stream, delivers_at_most_the_chunk_size_per_read) {
  ::asio::io_context io;
  auto streams = memory_stream::make_pair(io.get_executor());
  memory_stream& a = streams.first;
  memory_stream& b = streams.second;
  b.set_max_read_size(3);
  write(a, "abcdefgh");
  std::vector<std::string> reads;
  std::array<char, 64> buffer{};
  std::function<void()> next = [&] {
    b.async_read_some(::asio::buffer(buffer), [&](std::error_code ec, std::size_t n) {
      if (ec) return;
      reads.emplace_back(buffer.data(), n);
      next();
    });
  };
  next();
  io.poll();  // runs every read that can complete; the last one waits
  EXPECT_EQ(reads, (std::vector<std::string>{"abc", "def", "gh"}));
  b.close();  // completes the waiting read (operation_aborted) so nothing is left pending
  io.restart();
  io.run();
}

TEST(memory_stream, an_injected_error_fails_the_waiting_read_and_every_later_operation) {
  ::asio::io_context io;
  auto [a, b] = memory_stream::make_pair(io.get_executor());
  std::array<char, 64> buffer{};
  read_result r;
  read_some(b, buffer, r);
  io.poll();
  EXPECT_FALSE(r.done);
  b.inject_error(::asio::error::connection_reset);
  io.poll();
  ASSERT_TRUE(r.done);
  EXPECT_EQ(r.ec, ::asio::error::connection_reset);

  std::error_code w;
  b.async_write_some(::asio::buffer("x", 1), [&](std::error_code e, std::size_t) { w = e; });
  read_some(b, buffer, r);
  io.restart();
  io.run();
  EXPECT_EQ(w, ::asio::error::connection_reset);
  EXPECT_EQ(r.ec, ::asio::error::connection_reset);
}

TEST(memory_stream, paused_reads_wait_until_resumed) {
  ::asio::io_context io;
  auto [a, b] = memory_stream::make_pair(io.get_executor());
  b.set_read_paused(true);
  std::array<char, 64> buffer{};
  read_result r;
  read_some(b, buffer, r);
  write(a, "held");
  io.poll();
  EXPECT_FALSE(r.done);
  b.set_read_paused(false);
  io.restart();
  io.run();
  EXPECT_EQ(r.bytes, "held");
}

TEST(memory_stream, closing_aborts_the_waiting_read_and_ends_the_other_side) {
  ::asio::io_context io;
  auto [a, b] = memory_stream::make_pair(io.get_executor());
  std::array<char, 64> buffer_a{};
  std::array<char, 64> buffer_b{};
  read_result ra;
  read_result rb;
  read_some(a, buffer_a, ra);
  read_some(b, buffer_b, rb);
  a.close();
  io.run();
  EXPECT_EQ(ra.ec, ::asio::error::operation_aborted);
  EXPECT_EQ(rb.ec, ::asio::error::eof);
  EXPECT_FALSE(a.is_open());
  EXPECT_TRUE(b.is_open());

  // The closed end refuses; bytes written to it are dropped, as a kernel would take them.
  read_some(a, buffer_a, ra);
  std::error_code w;
  std::size_t n = 0;
  b.async_write_some(::asio::buffer("xyz", 3), [&](std::error_code e, std::size_t k) {
    w = e;
    n = k;
  });
  io.restart();
  io.run();
  EXPECT_EQ(ra.ec, ::asio::error::bad_descriptor);
  EXPECT_FALSE(w);
  EXPECT_EQ(n, 3u);
}

TEST(memory_stream, refuses_a_second_read_while_one_waits) {
  ::asio::io_context io;
  auto [a, b] = memory_stream::make_pair(io.get_executor());
  std::array<char, 64> first{};
  std::array<char, 64> second{};
  read_result r1;
  read_result r2;
  read_some(b, first, r1);
  read_some(b, second, r2);
  io.poll();
  EXPECT_FALSE(r1.done);
  EXPECT_EQ(r2.ec, ::asio::error::already_started);
  b.close();
  io.restart();
  io.run();
  EXPECT_EQ(r1.ec, ::asio::error::operation_aborted);
}

// Each end on its own strand, the io_context on two threads: the handler of a read completed
// by the other end's write runs on the reader's strand.
TEST(memory_stream, runs_handlers_on_their_strand_across_threads) {
  ::asio::io_context io;
  auto sa = ::asio::make_strand(io);
  auto sb = ::asio::make_strand(io);
  auto streams = memory_stream::make_pair(sa, sb);
  memory_stream& a = streams.first;
  memory_stream& b = streams.second;
  constexpr int rounds = 2000;
  int echoed = 0;
  bool off_strand = false;
  std::array<char, 1> in_b{};
  std::array<char, 1> in_a{};
  // b echoes every byte back; a counts them.
  std::function<void()> echo = [&] {
    ::asio::async_read(b, ::asio::buffer(in_b), [&](std::error_code ec, std::size_t) {
      if (ec) return;
      off_strand |= !sb.running_in_this_thread();
      ::asio::async_write(b, ::asio::buffer(in_b), [&](std::error_code e, std::size_t) {
        if (!e) echo();
      });
    });
  };
  std::function<void()> ping = [&] {
    ::asio::async_write(a, ::asio::buffer("p", 1), [&](std::error_code, std::size_t) {
      ::asio::async_read(a, ::asio::buffer(in_a), [&](std::error_code ec, std::size_t) {
        if (ec) return;
        off_strand |= !sa.running_in_this_thread();
        if (++echoed < rounds)
          ping();
        else
          a.close();  // b reads the end and stops
      });
    });
  };
  ::asio::post(sb, echo);
  ::asio::post(sa, ping);
  std::thread other([&] { io.run_for(std::chrono::seconds(60)); });
  io.run_for(std::chrono::seconds(60));
  other.join();
  EXPECT_EQ(echoed, rounds);
  EXPECT_FALSE(off_strand);
}

}  // namespace
}  // namespace amqp::test
