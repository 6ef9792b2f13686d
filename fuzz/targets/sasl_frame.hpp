// What the sasl_frame target (sasl_frame.cpp) and its seed writer (sasl_seeds.cpp) share: the
// meaning of the options byte and what a configuration implies, and the unit under test, the
// engine's frame reader and SASL layer wired as the engine wires them (endpoint/input.cpp and
// authentication.cpp) with the smallest application that decides a server's
// sasl_auth_requested.
//
// The layer cannot be reached through the engine's public API without the rest of the
// connection, so the unit drives it directly: each protocol header and frame the reader cuts
// goes to on_header() or on_frame(), as the engine does while the exchange runs, and on after
// it ended too, so that a finished layer is seen to take nothing more. The reader has the
// engine's options (its default limits, performatives of AMQP frames left undecoded, SASL
// frames at most 512 bytes).
//
// Options byte (the first byte of the target's input; the rest is the peer's stream):
//   bit 0     0: server, 1: client
//   bits 1-2  the configuration (server_options and client_options below)
//   bit 3     TLS below, and the client presented a certificate with subject "CN=alice"
//   bits 4-5  server: when its application decides: at once, after the next item, at the end
//             of the input, never. client: who it is: alice, alice acting as "admin", nobody
//             (ANONYMOUS and EXTERNAL), "al,ice=" (which SCRAM escapes)
//   bits 6-7  server: max_rounds 4, 1, 0, 2. client: bit 6 sends the sasl-init hostname.
// Cyrus SASL mechanisms are left out: Cyrus draws its nonces from its own sources, so the same
// input would not give the same output twice.
#pragma once

#include <algorithm>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "amqp/config.hpp"
#include "amqp/frame.hpp"
#include "engine_sasl.hpp"
#include "sasl/sasl_layer.hpp"
#include "util/base64.hpp"

namespace sasl_frame {

using engine_sasl::decision;
using state = amqp::detail::sasl_layer::state;

inline constexpr std::string_view peer_subject = "CN=alice";
// A server's SCRAM secret, set so that no output may show it.
inline constexpr std::string_view server_secret = "sasl-frame fuzz server secret 32";

enum class timing : std::uint8_t { at_once, after_next_item, at_end, never };

struct setup {
  std::optional<amqp::sasl_client_options> client;
  std::optional<amqp::sasl_server_options> server;
  bool secure = false;
  timing when = timing::at_once;
  bool reject_all = false;  // the server's application refuses everyone (seeds only)
};

inline amqp::sasl_server_options server_options(unsigned configuration, unsigned rounds) {
  static const std::vector<std::string> lists[] = {
      engine_sasl::server_mechanisms(),
      amqp::sasl_server_options{}.mechanisms,  // the default: SCRAM only
      {"EXTERNAL", "PLAIN", "ANONYMOUS"},      // PLAIN and EXTERNAL need TLS
      {"PLAIN"},                               // nothing to offer without TLS
  };
  static const std::uint32_t max_rounds[] = {4, 1, 0, 2};
  amqp::sasl_server_options o{.mechanisms = lists[configuration & 3],
                              .allow_insecure_mechs = configuration == 0,
                              .max_rounds = max_rounds[rounds & 3]};
  o.scram_secret.assign(server_secret.begin(), server_secret.end());
  return o;
}

inline amqp::sasl_client_options client_options(unsigned configuration, unsigned identity,
                                                bool hostname) {
  amqp::sasl_client_options o = engine_sasl::client_options();
  if (configuration == 1) o = {.user = o.user, .password = o.password};  // built-in defaults
  if (configuration == 2) o.allowed_mechs = {"EXTERNAL", "PLAIN", "ANONYMOUS"};
  if (configuration == 3) o.allowed_mechs = {"SCRAM-SHA-1", "SCRAM-SHA-256", "PLAIN"};
  o.allow_insecure_mechs = configuration != 1 && configuration != 2;
  if (identity == 1) o.authzid = "admin";
  if (identity == 2) o.user = o.password = "";
  if (identity == 3) o.user = "al,ice=";
  if (hostname) o.hostname = "localhost";
  return o;
}

inline setup setup_of(std::uint8_t options) {
  setup s{.secure = (options & 8) != 0};
  const unsigned configuration = (options >> 1) & 3, high = options >> 4;
  if (options & 1) {
    s.client = client_options(configuration, high & 3, (high & 4) != 0);
  } else {
    s.server = server_options(configuration, high >> 2);
    s.when = static_cast<timing>(high & 3);
  }
  return s;
}

// The mechanisms a server with this setup offers, in its order (sasl.hpp: PLAIN only with TLS
// or allow_insecure_mechs, EXTERNAL only to a client with a certificate).
inline std::vector<std::string> offer_of(const setup& s) {
  std::vector<std::string> offer;
  for (const std::string& m : s.server->mechanisms) {
    if (m == "PLAIN" && !s.secure && !s.server->allow_insecure_mechs) continue;
    if (m == "EXTERNAL" && !s.secure) continue;
    offer.push_back(m);
  }
  return offer;
}

// What a client with this setup chooses from an offer (sasl.hpp): the first of its preference
// (by default the built-in mechanisms that need a user when it has one, the others when not,
// EXTERNAL only over TLS, where this setup has a client certificate) that is offered and
// usable; empty when none is.
inline std::string choice_of(const setup& s, const std::vector<std::string>& offered) {
  const amqp::sasl_client_options& o = *s.client;
  std::vector<std::string> allowed = o.allowed_mechs;
  if (allowed.empty()) {
    for (std::string_view m : amqp::sasl_builtin_mechanisms)
      if ((m != "ANONYMOUS" && m != "EXTERNAL") != o.user.empty() &&
          (m != "EXTERNAL" || s.secure))
        allowed.emplace_back(m);
  }
  for (const std::string& m : allowed) {
    if (std::find(offered.begin(), offered.end(), m) == offered.end()) continue;
    if (m == "PLAIN" && !s.secure && !o.allow_insecure_mechs) continue;
    return m;
  }
  return {};
}

// What a server must never show: its SCRAM secret and alice's stored keys, as they are and in
// base64.
inline const std::vector<std::string>& server_secrets() {
  static const std::vector<std::string> all = [] {
    std::vector<std::string> s{std::string(server_secret)};
    for (const char* m : {"SCRAM-SHA-1", "SCRAM-SHA-256", "SCRAM-SHA-512"}) {
      const amqp::scram_credentials* c = engine_sasl::stored_credentials(m);
      for (const auto* key : {&c->stored_key, &c->server_key}) {
        s.emplace_back(key->begin(), key->end());
        s.push_back(amqp::detail::base64_encode(amqp::bytes_view(*key)));
      }
    }
    return s;
  }();
  return all;
}

// One call into the layer: an item of the stream, or the application's decision.
struct step {
  const amqp::frame_reader::item_type* item = nullptr;  // null: a decision
  std::uint64_t item_end = 0;                           // where the item ends in the stream
  std::optional<decision> decided;
  std::error_code result;  // the decision command's
  state before{}, after{};
  amqp::bytes_view written;  // the output of this call
  std::vector<amqp::event> events;

  // The SASL frame the layer was given, if any, and whether it is a T.
  const amqp::frame_view* frame() const {
    const auto* f = item ? std::get_if<amqp::frame_view>(item) : nullptr;
    return f && f->type == amqp::frame_type::sasl ? f : nullptr;
  }
  template <class T>
  bool is() const {
    return frame() && engine_sasl::is_a<T>(frame()->performative);
  }
};

class unit {
 public:
  explicit unit(const setup& s)
      : setup_(s),
        reader_(
            amqp::frame_reader_options{.max_frame_size = amqp::limits{}.max_frame_size,
                                       .max_sasl_frame_size = amqp::limits{}.max_sasl_frame_size,
                                       .decode = amqp::limits{}.decode,
                                       .decode_performative = false}),
        layer_(setup_.client ? &*setup_.client : nullptr, setup_.server ? &*setup_.server : nullptr,
               random_, /*secure=*/false, events_, amqp::limits{}.max_sasl_frame_size) {
    // Over TLS the client has a certificate of its own: EXTERNAL is among its defaults.
    if (setup_.secure) layer_.secure(std::string(peer_subject), /*own_certificate=*/true);
    layer_.start(out_);  // a client's SASL header goes out before anything is read
  }
  unit(const unit&) = delete;
  unit& operator=(const unit&) = delete;

  // Reads the next piece of the peer's stream as the engine does, calling seen(step) after
  // every call into the layer; returns the bytes consumed (all of them, unless the reader fails).
  template <class F>
  std::size_t feed(amqp::bytes_view piece, F&& seen) {
    std::size_t used = 0;
    while (used < piece.size() && !reader_error_) {
      const auto r = reader_.read(piece.subspan(used));
      used += r.consumed;
      if (r.error) reader_error_ = *r.error;
      if (!r.item) break;
      call(seen, &*r.item, [&](step&) {
        if (const auto* h = std::get_if<amqp::protocol_header>(&*r.item))
          layer_.on_header(*h, out_);
        else
          layer_.on_frame(std::get<amqp::frame_view>(*r.item), out_);
      });
      if (request_ && setup_.when == timing::after_next_item && ++items_since_request_ > 1)
        decide(seen);
      if (request_ && setup_.when == timing::at_once) decide(seen);
    }
    return used;
  }

  // The input ended: a decision put off until now is given.
  template <class F>
  void end(F&& seen) {
    if (request_ && (setup_.when == timing::after_next_item || setup_.when == timing::at_end))
      decide(seen);
  }

  amqp::detail::sasl_layer& layer() noexcept { return layer_; }
  amqp::writer& out() noexcept { return out_; }
  const std::optional<amqp::decode_error>& reader_error() const noexcept { return reader_error_; }
  bool events_pending() const noexcept { return !events_.empty(); }
  const setup& config() const noexcept { return setup_; }

 private:
  template <class F, class Call>
  void call(F& seen, const amqp::frame_reader::item_type* item, Call&& into_layer) {
    step s{.item = item, .item_end = item ? reader_.position() : 0, .before = layer_.status()};
    const std::size_t from = out_.size();
    into_layer(s);
    s.after = layer_.status();
    s.written = out_.view().subspan(from);
    while (auto e = events_.pop()) {
      if (const auto* r = std::get_if<amqp::sasl_auth_requested>(&*e)) {
        request_ = *r;
        items_since_request_ = 0;
      }
      s.events.push_back(std::move(*e));
    }
    seen(s);
  }

  // The server application's decision (engine_sasl.hpp), and EXTERNAL for the certificate's
  // subject.
  template <class F>
  void decide(F& seen) {
    const amqp::sasl_auth_requested r = *std::exchange(request_, std::nullopt);
    decision d = engine_sasl::decide(r);
    if (r.mechanism == "EXTERNAL" && r.user == peer_subject) d = decision::accepted;
    if (setup_.reject_all) d = decision::rejected;
    call(seen, nullptr, [&](step& s) {
      s.decided = d;
      if (d == decision::accepted)
        s.result = layer_.accept(out_);
      else if (d == decision::credentials)
        s.result = layer_.scram_credentials(*engine_sasl::stored_credentials(r.mechanism), out_);
      else
        s.result = layer_.reject(out_);
    });
  }

  setup setup_;
  engine_sasl::counter_random random_;
  amqp::detail::ring<amqp::event> events_;
  amqp::frame_reader reader_;
  amqp::writer out_;
  amqp::detail::sasl_layer layer_;
  std::optional<amqp::decode_error> reader_error_;
  std::optional<amqp::sasl_auth_requested> request_;  // awaiting the application's decision
  unsigned items_since_request_ = 0;
};

}  // namespace sasl_frame
