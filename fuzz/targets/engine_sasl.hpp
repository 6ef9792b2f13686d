// What the SASL engine targets (engine_server_sasl.cpp, engine_client_sasl.cpp) and their seed
// writer (sasl_seeds.cpp) share: the identities, the engines' SASL configuration, the server
// application's decisions, the scripted random source, and the check that the password never
// reaches a trace.
//
// The password is "secret" on both sides. A fuzzed peer may well write "secret" itself, in any
// field a trace shows (a container id, a hostname, a challenge), so the check is: a trace line
// holds it only when the peer's stream holds it outside the credential fields. Those fields
// are the initial-response of a sasl-init and the response of a sasl-response in each SASL frame
// of the stream, cut as a frame reader cuts it, and read leniently (whatever else is wrong
// with the frame), since a trace must hide credentials even in a frame the engine then
// refuses. Only whole frames count: a stream may carry bytes that look like a sasl-init inside
// another frame's field, and the trace rightly shows that field.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/decoder.hpp"
#include "amqp/config.hpp"
#include "amqp/engine.hpp"
#include "amqp/frame.hpp"
#include "amqp/random.hpp"
#include "amqp/sasl.hpp"
#include "amqp/spec.hpp"

namespace engine_sasl {

inline constexpr std::string_view user = "alice";
inline constexpr std::string_view password = "secret";
inline constexpr std::string_view unauthorized = "amqp:unauthorized-access";

// Everything the server offers, in the order it offers them.
inline const std::vector<std::string>& server_mechanisms() {
  static const std::vector<std::string> m = {"ANONYMOUS", "PLAIN", "SCRAM-SHA-1", "SCRAM-SHA-256",
                                             "SCRAM-SHA-512"};
  return m;
}

// The client's order of preference: every built-in mechanism that needs no TLS, ANONYMOUS
// included (it is left out by default when a user is set), so that each can be chosen.
inline const std::vector<std::string>& client_mechanisms() {
  static const std::vector<std::string> m = {"SCRAM-SHA-512", "SCRAM-SHA-256", "SCRAM-SHA-1",
                                             "PLAIN", "ANONYMOUS"};
  return m;
}

inline amqp::sasl_server_options server_options(std::vector<std::string> mechanisms = server_mechanisms()) {
  // PLAIN is offered without TLS only when allowed.
  return amqp::sasl_server_options{.mechanisms = std::move(mechanisms), .allow_insecure_mechs = true};
}

inline amqp::sasl_client_options client_options(std::string_view who = user,
                                                std::string_view pass = password) {
  return amqp::sasl_client_options{.user = std::string(who),
                                   .password = std::string(pass),
                                   .allowed_mechs = client_mechanisms(),
                                   .allow_insecure_mechs = true};
}

// Hands out 0, 1, 2, ... (mod 256): SCRAM nonces and the server's secret are the same on every
// run, so a recorded conversation replays as it was recorded.
class counter_random final : public amqp::random_source {
 public:
  void fill(std::span<std::uint8_t> out) override {
    for (auto& b : out) b = next_++;
  }

 private:
  std::uint8_t next_ = 0;
};

// alice's stored SCRAM keys, one set per mechanism, derived once per process (4096 iterations
// each) so that no input pays for PBKDF2.
inline const amqp::scram_credentials* stored_credentials(std::string_view mechanism) {
  static const std::array<amqp::scram_credentials, 3> all = [] {
    const std::string_view salt = "engine-sasl-salt";
    const amqp::bytes_view s(reinterpret_cast<const std::uint8_t*>(salt.data()), salt.size());
    std::array<amqp::scram_credentials, 3> c;
    const char* names[] = {"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"};
    for (std::size_t i = 0; i < c.size(); ++i) {
      auto r = amqp::make_scram_credentials(names[i], password, s, 4096);
      if (!r) __builtin_trap();
      c[i] = *std::move(r);
    }
    return c;
  }();
  for (const amqp::scram_credentials& c : all)
    if (c.mechanism == mechanism) return &c;
  return nullptr;
}

enum class decision : std::uint8_t { none, accepted, rejected, credentials };

// The server application's decision: ANONYMOUS in; PLAIN for alice with her password; SCRAM
// goes on with alice's stored keys (the engine checks the proof); anyone else is rejected.
inline decision decide(const amqp::sasl_auth_requested& r) {
  if (r.mechanism == "ANONYMOUS") return decision::accepted;
  if (r.mechanism == "PLAIN")
    return r.user == user && r.password == password ? decision::accepted : decision::rejected;
  if (r.user == user && stored_credentials(r.mechanism)) return decision::credentials;
  return decision::rejected;
}

// Gives decision `d` to the engine; returns the command's result.
inline std::error_code apply(amqp::connection_engine& e, const amqp::sasl_auth_requested& r,
                             decision d) {
  switch (d) {
    case decision::accepted:
      return e.sasl_accept();
    case decision::credentials:
      return e.sasl_scram_credentials(*stored_credentials(r.mechanism));
    default:
      return e.sasl_reject();
  }
}

// Whether a described value is performative T, by code or by symbol.
template <class T>
bool is_a(const amqp::value_view& v) {
  return v.type() == amqp::kind::described &&
         v.as_described().is(amqp::spec::traits<T>::info.code, amqp::spec::traits<T>::info.symbol);
}

// The stream with every credential field (see the top of this file) overwritten with zeros:
// what a trace may show of it.
inline std::string visible_input(amqp::bytes_view stream) {
  std::string out(reinterpret_cast<const char*>(stream.data()), stream.size());
  const amqp::decode_limits limits{.max_depth = 64, .max_zero_width_elements = 65536};
  const auto blank = [&](const std::uint8_t* p, std::size_t n) {
    if (n == 0 || p < stream.data() || p + n > stream.data() + stream.size()) return;
    const std::size_t at = static_cast<std::size_t>(p - stream.data());
    for (std::size_t i = 0; i < n; ++i) out[at + i] = '\0';
  };
  // A frame larger than the whole stream never ends, so nothing of it can be traced: the
  // limits refuse it rather than let the reader reserve its declared size.
  const auto largest =
      static_cast<std::uint32_t>(std::min<std::size_t>(stream.size(), 0xffffffffu));
  amqp::frame_reader reader(amqp::frame_reader_options{
      .max_frame_size = largest,
      .max_sasl_frame_size = largest,
      .decode = limits,
      .decode_performative = false});  // as the engine reads: AMQP frames left whole
  amqp::bytes_view rest = stream;
  while (!rest.empty()) {
    const auto r = reader.read(rest);
    if (r.error || !r.item) break;
    rest = rest.subspan(r.consumed);
    const auto* f = std::get_if<amqp::frame_view>(&*r.item);
    if (!f || f->type != amqp::frame_type::sasl) continue;
    std::size_t field = 0;
    if (is_a<amqp::spec::sasl_init>(f->performative)) field = 1;
    else if (!is_a<amqp::spec::sasl_response>(f->performative)) continue;
    const amqp::value_view list = f->performative.as_described().value();
    if (list.type() != amqp::kind::list) continue;
    std::size_t index = 0;
    for (const amqp::value_view v : list.as_list()) {
      if (index++ != field) continue;
      if (v.type() == amqp::kind::binary) {
        blank(v.as_binary().data(), v.as_binary().size());
      } else if (v.type() == amqp::kind::string || v.type() == amqp::kind::symbol) {
        const std::string_view s = v.as_string();
        blank(reinterpret_cast<const std::uint8_t*>(s.data()), s.size());
      }
    }
  }
  return out;
}

// True when `text` shows the password though `visible` (visible_input) does not hold it.
inline bool leaks(std::string_view text, std::string_view visible) {
  return text.find(password) != std::string_view::npos &&
         visible.find(password) == std::string_view::npos;
}

}  // namespace engine_sasl
