// Fuzz target: a whole server-role connection_engine that requires SASL (spec Part 5, 5.3),
// fed a client's byte stream: the SASL exchange, then AMQP as in engine_server.
//
// The server offers ANONYMOUS, PLAIN (allowed without TLS) and SCRAM-SHA-1/256/512, draws its
// nonces and secret from a counter (engine_sasl.hpp), and its application decides each
// sasl_auth_requested: ANONYMOUS in, PLAIN for "alice" with "secret" only, SCRAM with alice's
// stored keys (derived once per process, 4096 iterations) and sasl_reject() for anyone else.
// When it decides is the sasl-init frame's channel, which SASL ignores (spec Part 5, 5.3.1)
// and a real client writes as 0: bits 0-1 of its low byte 0 or 3 decide at once, 1 after
// 1 + (bits 2-4) more reads, 2 never (the handshake timeout ends it). Everything else, reads,
// clock and limits, is drawn as engine_harness.hpp says, and all its invariants hold.
//
// Oracles on top of the harness's (a broken one traps):
// - the offer is exactly the configured mechanisms, in order;
// - sasl_auth_requested at most once, for an offered mechanism, with the fields it has
//   (no user for ANONYMOUS, a user and password for PLAIN, no password for SCRAM); a decision
//   is refused (wrong_state) only when the transport has closed meanwhile;
// - sasl_authenticated at most once, for the mechanism and user requested, only after an
//   accepted request (ANONYMOUS, alice's PLAIN) or alice's SCRAM credentials, never after a
//   rejection; every accepted request is authenticated; authentication() agrees; peer_opened
//   only after it;
// - at most one sasl-outcome; ok only after an accept or credentials; nothing written after
//   an outcome that is not ok, and the transport then closes with amqp:unauthorized-access and
//   a description; a rejected ANONYMOUS or PLAIN request gets such an outcome; every
//   unauthorized-access close has a description;
// - no trace line shows the password "secret" unless the stream shows it outside the
//   credential fields (engine_sasl.hpp); the server's own challenge, which repeats the client's
//   nonce, is the one line that may repeat what the client chose there;
// - after the input ends the engine finishes (the harness's end checks).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "engine_harness.hpp"
#include "engine_sasl.hpp"

namespace {

using engine_harness::expect;
using engine_sasl::decision;

class server_sasl final : public engine_harness::sasl_hooks {
 public:
  void on_input(amqp::bytes_view stream) override {
    stream_.assign(stream.begin(), stream.end());
    visible_ = engine_sasl::visible_input(stream);
  }

  void configure(amqp::engine_config& c) override {
    c.sasl_server = engine_sasl::server_options();
    c.random = &random_;
  }

  void on_traced_header(amqp::trace_direction, const amqp::protocol_header&) override {}

  void on_traced_frame(amqp::trace_direction dir, const amqp::frame_view& f) override {
    // The reader reports a SASL frame's channel as 0, since it means nothing: the stream has it.
    if (dir == amqp::trace_direction::incoming && f.type == amqp::frame_type::sasl && !init_channel_ &&
        engine_sasl::is_a<amqp::spec::sasl_init>(f.performative) && f.offset + 8 <= stream_.size())
      init_channel_ = static_cast<std::uint16_t>(stream_[f.offset + 6] << 8 | stream_[f.offset + 7]);
  }

  void on_trace_line(std::string_view line) override {
    if (line.find("@sasl-challenge") != std::string_view::npos && line.starts_with("-> ")) return;
    expect(!engine_sasl::leaks(line, visible_), "a trace line shows the password");
  }

  void on_output(const amqp::frame_reader::item_type& item) override {
    expect(!failed_outcome_, "output after a sasl-outcome that is not ok");
    const auto* f = std::get_if<amqp::frame_view>(&item);
    if (!f || f->type != amqp::frame_type::sasl) return;
    if (engine_sasl::is_a<amqp::spec::sasl_mechanisms>(f->performative)) {
      const auto m = amqp::spec::decode<amqp::spec::sasl_mechanisms>(f->performative);
      expect(m.has_value(), "the server's sasl-mechanisms does not decode");
      std::vector<std::string> offered;
      for (amqp::symbol_view s : m->sasl_server_mechanisms) offered.emplace_back(s.str);
      expect(offered == engine_sasl::server_mechanisms(), "the offer is not the configured one");
    } else if (engine_sasl::is_a<amqp::spec::sasl_outcome>(f->performative)) {
      const auto o = amqp::spec::decode<amqp::spec::sasl_outcome>(f->performative);
      expect(o.has_value(), "the server's sasl-outcome does not decode");
      expect(!outcome_written_, "a second sasl-outcome");
      outcome_written_ = true;
      if (o->code == amqp::spec::sasl_code::ok) {
        expect(decided_ == decision::accepted || decided_ == decision::credentials,
               "an ok sasl-outcome the application never allowed");
      } else {
        failed_outcome_ = true;
      }
    }
  }

  void on_event(amqp::connection_engine& e, const amqp::event& ev,
                std::span<const amqp::event> later) override {
    if (const auto* r = std::get_if<amqp::sasl_auth_requested>(&ev)) {
      expect(!request_, "sasl_auth_requested twice");
      expect(!authenticated_, "sasl_auth_requested after sasl_authenticated");
      const auto& offered = engine_sasl::server_mechanisms();
      expect(std::find(offered.begin(), offered.end(), r->mechanism) != offered.end(),
             "sasl_auth_requested for a mechanism not offered");
      if (r->mechanism == "ANONYMOUS")
        expect(r->user.empty() && r->password.empty(), "an ANONYMOUS request names a user");
      else if (r->mechanism == "PLAIN")
        expect(!r->user.empty() && !r->password.empty(), "a PLAIN request without user or password");
      else
        expect(r->password.empty(), "a SCRAM request shows a password");
      request_ = *r;
      const std::uint16_t ch = init_channel_.value_or(0);
      switch (ch & 3) {
        case 1:
          reads_left_ = 1 + ((ch >> 2) & 7);
          break;
        case 2:
          break;  // never
        default:
          give_decision(e, later);
      }
    } else if (const auto* a = std::get_if<amqp::sasl_authenticated>(&ev)) {
      expect(!authenticated_, "sasl_authenticated twice");
      authenticated_ = true;
      expect(request_.has_value(), "sasl_authenticated without sasl_auth_requested");
      expect(decided_ == decision::accepted || decided_ == decision::credentials,
             "sasl_authenticated though the application did not accept");
      expect(a->mechanism == request_->mechanism && a->user == request_->user,
             "sasl_authenticated names another mechanism or user than requested");
      if (decided_ == decision::credentials)
        expect(a->user == engine_sasl::user, "SCRAM authenticated someone other than alice");
      const amqp::sasl_authenticated* now = e.authentication();
      expect(now && now->mechanism == a->mechanism && now->user == a->user,
             "authentication() does not match sasl_authenticated");
    } else if (std::holds_alternative<amqp::peer_opened>(ev)) {
      expect(authenticated_, "peer_opened before the SASL exchange succeeded");
    } else if (const auto* t = std::get_if<amqp::transport_closed>(&ev)) {
      closed_ = true;
      if (t->error && t->error->name == engine_sasl::unauthorized)
        expect(!t->error->description.empty(), "unauthorized-access without a description");
      if (failed_outcome_)
        expect(t->error && t->error->name == engine_sasl::unauthorized,
               "a failed sasl-outcome did not close with unauthorized-access");
    }
  }

  bool deciding() const override { return request_.has_value() && decided_ == decision::none; }

  void after_read(amqp::connection_engine& e) override {
    if (reads_left_ && --*reads_left_ == 0) give_decision(e, {});
  }

  void at_end(const amqp::connection_engine& e) override {
    if (decided_ == decision::accepted)
      expect(authenticated_, "an accepted request was never authenticated");
    if (decided_ == decision::rejected) {
      expect(!authenticated_, "a rejected client was authenticated");
      if (request_->mechanism == "ANONYMOUS" || request_->mechanism == "PLAIN")
        expect(failed_outcome_, "a rejected request got no failed sasl-outcome");
    }
    expect((e.authentication() != nullptr) == authenticated_,
           "authentication() disagrees with the events");
  }

 private:
  void give_decision(amqp::connection_engine& e, std::span<const amqp::event> later) {
    reads_left_.reset();
    const decision d = engine_sasl::decide(*request_);
    const std::error_code ec = engine_sasl::apply(e, *request_, d);
    if (!ec) {
      decided_ = d;
      return;
    }
    bool closing = closed_;
    for (const amqp::event& ev : later) closing |= std::holds_alternative<amqp::transport_closed>(ev);
    expect(ec == amqp::errc::wrong_state && closing,
           "a SASL decision was refused while the engine awaited one");
  }

  engine_sasl::counter_random random_;
  std::vector<std::uint8_t> stream_;
  std::string visible_;
  std::optional<std::uint16_t> init_channel_;
  std::optional<amqp::sasl_auth_requested> request_;
  std::optional<std::size_t> reads_left_;
  decision decided_ = decision::none;
  bool authenticated_ = false;
  bool outcome_written_ = false;
  bool failed_outcome_ = false;
  bool closed_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  server_sasl hooks;
  engine_harness::run(amqp::engine_role::server, data, size, &hooks);
  return 0;
}
