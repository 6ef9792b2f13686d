// Fuzz target: a whole client-role connection_engine that authenticates with SASL (spec Part 5,
// 5.3) as "alice" with password "secret" before its open, fed a server's byte stream.
//
// The client allows SCRAM-SHA-512, SCRAM-SHA-256, SCRAM-SHA-1, PLAIN (without TLS) and
// ANONYMOUS, in that order, and draws its nonce from a counter (engine_sasl.hpp), so a recorded
// server's stream replays exactly: the seeds log in with every mechanism. Reads, clock and
// limits are drawn as engine_harness.hpp says, and all its invariants hold; the client begins
// its session, when it does, once authenticated.
//
// Oracles on top of the harness's (a broken one traps):
// - the sasl-init names a mechanism the server offered and the client allows, the first of
//   its preference that the server offers; PLAIN's message is exactly NUL alice NUL secret;
// - sasl_authenticated at most once, before peer_opened (which needs it), only after the
//   server's sasl-outcome said ok, for the mechanism the client chose; for SCRAM only when that
//   outcome carries the server signature a reference computation (OpenSSL's PBKDF2 and HMAC,
//   scram_fixture.hpp) derives from the password, the server's salt and iteration count and
//   this exchange's messages: the server proved it knows the password (the mechanism and the
//   signature are checked at the end, when the client's messages have all been written);
//   authentication() agrees;
// - once a sasl-outcome that is not ok arrived, the client writes nothing more, and closes
//   with amqp:unauthorized-access; a close for unauthorized-access has a description and
//   follows the last input item with no output of its own;
// - neither a trace line nor an error description shows the password unless the server's
//   stream shows it outside the credential fields (engine_sasl.hpp);
// - after the input ends the engine finishes (the harness's end checks).
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "engine_harness.hpp"
#include "engine_sasl.hpp"
#include "scram_fixture.hpp"

namespace {

using engine_harness::expect;

std::string text_of(amqp::bytes_view b) { return {reinterpret_cast<const char*>(b.data()), b.size()}; }

// The value of attribute `name` ("s", "i") in a SCRAM message, or empty.
std::string_view attribute(std::string_view message, char name) {
  std::size_t at = 0;
  while (at <= message.size()) {
    const std::size_t end = std::min(message.find(',', at), message.size());
    const std::string_view a = message.substr(at, end - at);
    if (a.size() >= 2 && a[0] == name && a[1] == '=') return a.substr(2);
    at = end + 1;
  }
  return {};
}

class client_sasl final : public engine_harness::sasl_hooks {
 public:
  void on_input(amqp::bytes_view stream) override { visible_ = engine_sasl::visible_input(stream); }

  void configure(amqp::engine_config& c) override {
    c.sasl_client = engine_sasl::client_options();
    c.random = &random_;
  }

  void on_traced_header(amqp::trace_direction dir, const amqp::protocol_header&) override {
    traced(dir);
  }

  void on_traced_frame(amqp::trace_direction dir, const amqp::frame_view& f) override {
    traced(dir);
    if (dir != amqp::trace_direction::incoming || f.type != amqp::frame_type::sasl) return;
    // The server's frames are traced as they are: keep what the checks need.
    if (engine_sasl::is_a<amqp::spec::sasl_mechanisms>(f.performative)) {
      if (auto m = amqp::spec::decode<amqp::spec::sasl_mechanisms>(f.performative); m && !offered_) {
        offered_.emplace();
        for (amqp::symbol_view s : m->sasl_server_mechanisms) offered_->emplace_back(s.str);
      }
    } else if (engine_sasl::is_a<amqp::spec::sasl_challenge>(f.performative)) {
      if (auto c = amqp::spec::decode<amqp::spec::sasl_challenge>(f.performative))
        server_first_ = text_of(c->challenge);
    } else if (engine_sasl::is_a<amqp::spec::sasl_outcome>(f.performative)) {
      if (auto o = amqp::spec::decode<amqp::spec::sasl_outcome>(f.performative)) {
        if (o->code == amqp::spec::sasl_code::ok && !outcome_) {
          outcome_ok_ = true;
          server_final_ = text_of(o->additional_data.value_or(amqp::bytes_view{}));
        } else if (o->code != amqp::spec::sasl_code::ok && init_sent_) {
          failed_outcome_ = true;
        }
        outcome_ = true;
      }
    }
  }

  void on_trace_line(std::string_view line) override {
    expect(!engine_sasl::leaks(line, visible_), "a trace line shows the password");
  }

  void on_output(const amqp::frame_reader::item_type& item) override {
    const auto* f = std::get_if<amqp::frame_view>(&item);
    if (!f || f->type != amqp::frame_type::sasl) return;
    if (engine_sasl::is_a<amqp::spec::sasl_init>(f->performative)) {
      const auto init = amqp::spec::decode<amqp::spec::sasl_init>(f->performative);
      expect(init.has_value(), "the client's sasl-init does not decode");
      expect(!init_sent_ && offered_.has_value(), "a sasl-init before the offer, or a second one");
      init_sent_ = true;
      mechanism_ = std::string(init->mechanism.str);
      // The first of the client's preference that the server offers.
      std::string first;
      for (const std::string& m : engine_sasl::client_mechanisms())
        if (first.empty() && std::find(offered_->begin(), offered_->end(), m) != offered_->end())
          first = m;
      expect(mechanism_ == first, "the client did not choose its preferred mechanism among those offered");
      const std::string message = text_of(init->initial_response.value_or(amqp::bytes_view{}));
      if (mechanism_ == "PLAIN")
        expect(message == std::string("\0alice\0secret", 13), "PLAIN's message is not NUL user NUL password");
      if (mechanism_.starts_with("SCRAM-")) client_first_ = message;
    } else if (engine_sasl::is_a<amqp::spec::sasl_response>(f->performative)) {
      const auto r = amqp::spec::decode<amqp::spec::sasl_response>(f->performative);
      expect(r.has_value(), "the client's sasl-response does not decode");
      expect(init_sent_, "a sasl-response before the sasl-init");
      client_final_ = text_of(r->response);
    } else {
      broken_frame();
    }
  }

  void on_event(amqp::connection_engine& e, const amqp::event& ev,
                std::span<const amqp::event>) override {
    if (const auto* a = std::get_if<amqp::sasl_authenticated>(&ev)) {
      expect(!authenticated_, "sasl_authenticated twice");
      authenticated_ = true;
      authenticated_mechanism_ = a->mechanism;
      expect(outcome_ok_, "sasl_authenticated without an ok sasl-outcome");
      const amqp::sasl_authenticated* now = e.authentication();
      expect(now && now->mechanism == a->mechanism && now->user == a->user,
             "authentication() does not match sasl_authenticated");
    } else if (std::holds_alternative<amqp::peer_opened>(ev)) {
      expect(authenticated_, "peer_opened before the SASL exchange succeeded");
    } else if (const auto* v = std::get_if<amqp::protocol_violation>(&ev)) {
      expect(!engine_sasl::leaks(v->error.description, visible_), "a violation shows the password");
    } else if (const auto* t = std::get_if<amqp::transport_closed>(&ev)) {
      if (t->error) {
        expect(!engine_sasl::leaks(t->error->description, visible_),
               "the transport's error shows the password");
        if (t->error->name == engine_sasl::unauthorized) {
          expect(!t->error->description.empty(), "unauthorized-access without a description");
          expect(last_out_ < last_in_, "output after the input that failed the SASL exchange");
        }
      }
      if (failed_outcome_)
        expect(t->error && t->error->name == engine_sasl::unauthorized,
               "a failed sasl-outcome did not close with unauthorized-access");
    }
  }

  bool deciding() const override { return false; }  // a client has no decision to take

  void after_read(amqp::connection_engine&) override {}

  // The client's own messages are known once written, which may be after the outcome came in
  // (the harness writes output in pieces): what they prove is checked when all is written.
  void at_end(const amqp::connection_engine& e) override {
    expect((e.authentication() != nullptr) == authenticated_,
           "authentication() disagrees with the events");
    if (authenticated_) {
      expect(init_sent_ && authenticated_mechanism_ == mechanism_,
             "sasl_authenticated for another mechanism than the one chosen");
      if (mechanism_.starts_with("SCRAM-")) check_server_signature();
    }
    if (failed_outcome_) expect(!authenticated_, "authenticated after a failed sasl-outcome");
  }

 private:
  void traced(amqp::trace_direction dir) {
    if (dir == amqp::trace_direction::incoming) {
      last_in_ = ++seq_;
    } else {
      expect(!failed_outcome_, "output after a sasl-outcome that is not ok");
      last_out_ = ++seq_;
    }
  }

  [[noreturn]] static void broken_frame() {
    engine_harness::broken("the client wrote a SASL frame other than sasl-init or sasl-response");
  }

  // RFC 5802, section 3: ServerSignature := HMAC(ServerKey, AuthMessage), recomputed from the
  // password and this exchange; the outcome must carry exactly "v=" and its base64.
  void check_server_signature() const {
    const auto h = amqp::detail::scram_hash_from_name(mechanism_);
    expect(h.has_value(), "a SCRAM mechanism without a hash");
    const std::size_t gs2_end = client_first_.find(',', client_first_.find(',') + 1);
    expect(gs2_end != std::string::npos, "the client-first-message has no gs2 header");
    const std::string bare = client_first_.substr(gs2_end + 1);
    const std::size_t proof = client_final_.rfind(",p=");
    expect(proof != std::string::npos, "the client-final-message has no proof");
    scram_fuzz::bytes salt;
    expect(scram_fuzz::ref_unbase64(attribute(server_first_, 's'), salt),
           "authenticated after a server-first-message whose salt is not base64");
    const std::string count(attribute(server_first_, 'i'));
    expect(!count.empty() && count.size() <= 9 && count.find_first_not_of("0123456789") == std::string::npos,
           "authenticated after an iteration count that is not a number");
    const scram_fuzz::keys k =
        scram_fuzz::derive(*h, engine_sasl::password, salt, static_cast<std::uint32_t>(std::stoul(count)));
    const std::string auth = bare + "," + server_first_ + "," + client_final_.substr(0, proof);
    const scram_fuzz::signatures s = scram_fuzz::sign(*h, k, auth);
    expect(server_final_ == "v=" + scram_fuzz::ref_base64(s.server_signature),
           "SCRAM authenticated without the server signature the password gives");
  }

  engine_sasl::counter_random random_;
  std::string visible_;
  std::optional<std::vector<std::string>> offered_;
  std::string mechanism_;  // chosen in the sasl-init
  std::string authenticated_mechanism_;
  std::string client_first_, server_first_, client_final_, server_final_;
  std::uint64_t seq_ = 0, last_in_ = 0, last_out_ = 0;
  bool init_sent_ = false;
  bool outcome_ = false;
  bool outcome_ok_ = false;
  bool failed_outcome_ = false;
  bool authenticated_ = false;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  client_sasl hooks;
  engine_harness::run(amqp::engine_role::client, data, size, &hooks);
  return 0;
}
