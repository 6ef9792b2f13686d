// Two TLS stages, a client and a server, wired memory to memory, with contexts made from the
// test PKI.
#pragma once

#include <gtest/gtest.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <string_view>

#include "amqp/tls.hpp"
#include "pki/test_certs.hpp"
#include "tls/tls_stage.hpp"

namespace amqp::test {

using detail::tls_buffer_limits;
using detail::tls_stage;
using detail::tls_state;

inline bytes_view as_bytes(std::string_view s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline std::string as_string(bytes_view b) {
  return std::string(reinterpret_cast<const char*>(b.data()), b.size());
}

// A client that trusts the test CA and expects "localhost".
inline tls_client_options client_options() {
  tls_client_options o;
  o.ca_pem = test_certs().ca_cert;
  o.server_name = "localhost";
  return o;
}

// A server presenting the test PKI's server certificate.
inline tls_server_options server_options() {
  tls_server_options o;
  o.certificate_chain.pem = test_certs().server_chain;
  o.private_key.pem = test_certs().server_key;
  return o;
}

// The context, or a test failure (and null) with the error.
inline std::shared_ptr<tls_context> client_context(const tls_client_options& o = client_options()) {
  auto ctx = tls_context::client(o);
  if (!ctx) {
    ADD_FAILURE() << ctx.error();
    return nullptr;
  }
  return *ctx;
}

inline std::shared_ptr<tls_context> server_context(const tls_server_options& o = server_options()) {
  auto ctx = tls_context::server(o);
  if (!ctx) {
    ADD_FAILURE() << ctx.error();
    return nullptr;
  }
  return *ctx;
}

class tls_pair {
 public:
  tls_pair(std::shared_ptr<const tls_context> client_ctx,
           std::shared_ptr<const tls_context> server_ctx, std::string_view server_name = {},
           tls_buffer_limits limits = {})
      : client(std::move(client_ctx), server_name, limits),
        server(std::move(server_ctx), {}, limits) {}

  tls_stage client;
  tls_stage server;
  std::string client_received;  // plaintext the client read
  std::string server_received;  // plaintext the server read
  // At most this many bytes per feed() and per plaintext read: 1 feeds byte by byte.
  std::size_t chunk = std::numeric_limits<std::size_t>::max();
  bool read_plaintext = true;  // false: leave plaintext in the stages, to fill their buffers

  // Moves ciphertext both ways and reads plaintext until nothing moves. True if anything did.
  bool run() {
    bool any = false;
    while (step()) any = true;
    return any;
  }

  // One round: at most `chunk` bytes each way, and one plaintext read on each side. True if
  // anything moved.
  bool step() {
    bool moved = transfer(client, server);
    moved = transfer(server, client) || moved;
    if (read_plaintext) {
      moved = drain(client, client_received) || moved;
      moved = drain(server, server_received) || moved;
    }
    return moved;
  }

  // Runs the handshake; true when both ends are open.
  bool handshake() {
    run();
    return client.state() == tls_state::open && server.state() == tls_state::open;
  }

  // Writes all of `data` through `from`, running the pair whenever the stage takes no more.
  void write_all(tls_stage& from, std::string_view data) {
    while (!data.empty()) {
      const std::size_t n = from.write(as_bytes(data));
      data.remove_prefix(n);
      if (n == 0 && !run()) {
        ADD_FAILURE() << "the stage takes no more and nothing moves";
        return;
      }
    }
  }

 private:
  bool transfer(tls_stage& from, tls_stage& to) const {
    const bytes_view out = from.pending_output();
    if (out.empty()) return false;
    const std::size_t taken = to.feed(out.first(std::min(out.size(), chunk)));
    from.consume_output(taken);
    return taken > 0;
  }

  bool drain(tls_stage& s, std::string& sink) const {
    const bytes_view p = s.plaintext();
    if (p.empty()) return false;
    const std::size_t n = std::min(p.size(), chunk);
    sink += as_string(p.first(n));
    s.consume_plaintext(n);
    return true;
  }
};

}  // namespace amqp::test
