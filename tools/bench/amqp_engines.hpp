// What the runners on this project's engine share (amqp_memory.cpp, amqp_handshake.cpp): the
// engines' configuration for a workload, TLS included, and the loop that moves bytes between
// a client and a server engine in memory.
//
//   const amqp_impl::tls_contexts tls = amqp_impl::make_tls_contexts(w);  // once per run
//   my_client client(amqp_impl::config(engine_role::client, tls));
//   my_server server(amqp_impl::config(engine_role::server, tls));
//   amqp_impl::pump(client, server, wire, [&] { return client.done(); });
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <system_error>

#include "amqp/engine.hpp"
#include "amqp/tls.hpp"
#include "bench/memory_bench.hpp"

namespace amqp::bench::amqp_impl {

[[noreturn]] void fail(const std::string& what);

inline void expect(std::error_code ec, const char* what) {
  if (ec) fail(std::string(what) + ": " + ec.message());
}

// Fails on an event that reports a broken conversation.
void check(const event& e);

// The TLS contexts of a run: built once, before anything is measured, and shared by every
// connection, as an application builds them. Both null when the workload has no TLS.
struct tls_contexts {
  std::shared_ptr<const tls_context> client;
  std::shared_ptr<const tls_context> server;
};
tls_contexts make_tls_contexts(const workload& w);

// One side's configuration: the workload's frame size, and TLS when `tls` has contexts.
engine_config config(engine_role role, const tls_contexts& tls);

// The time every engine is given: no deadline is ever near in a benchmark run.
inline constexpr time_point start_time{std::chrono::hours(1)};

// Feeds what `from` wants written to `to` where it lies, as from a socket's read buffer, and
// counts it in `wire`; false when nothing moved.
bool move(connection_engine& from, connection_engine& to, std::uint64_t& wire);

// Runs both sides until done() holds: the client's output goes to the server, the client may
// write more (on_drained), the server handles its events and answers, then the client handles
// its own. Client and Server have engine(), on_event(const event&) and on_drained().
template <class Client, class Server, class Done>
void pump(Client& client, Server& server, wire_bytes& wire, Done done) {
  while (!done()) {
    bool moved = move(client.engine(), server.engine(), wire.to_receiver);
    client.on_drained();
    while (auto e = server.engine().poll_event()) moved = true, server.on_event(*e);
    moved |= move(server.engine(), client.engine(), wire.to_sender);
    while (auto e = client.engine().poll_event()) moved = true, client.on_event(*e);
    if (!moved) fail("neither side can make progress");
  }
}

}  // namespace amqp::bench::amqp_impl
