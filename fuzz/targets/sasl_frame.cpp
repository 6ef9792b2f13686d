// Fuzz target: the engine's SASL layer (spec Part 5, 5.3) alone, behind the engine's frame reader
// (sasl_frame.hpp: how, and what the first input byte configures). The rest is the peer's stream,
// fed whole, in reads drawn from its hash, byte by byte (up to 1 KiB) and in the reads its
// go-amqp "SPLIT\n" marks cut (engine_harness.hpp). Oracles (a broken one traps):
// - every way of feeding makes the same calls with the same states, events, output bytes and
//   decisions, and ends the same: waiting, authenticated, or failed with the same text;
// - failure() is set exactly when failed; a finished layer changes, writes and reports nothing
//   more; sasl_authenticated exactly when it becomes done, for its mechanism and user;
//   sasl_auth_requested (servers only) exactly when it starts awaiting a decision;
// - output: headers and SASL frames that decode, of at most 512 bytes (MIN-MAX-FRAME-SIZE,
//   5.3.1), doff 2, channel 0. A client: its SASL header at once, the sasl-init answering
//   sasl-mechanisms (the mechanism sasl.hpp says it prefers, PLAIN's message exact), at most one
//   sasl-response, answering a challenge; it fails without a word and succeeds only on an ok
//   sasl-outcome. A server: its header answering the peer's, the offer its configuration allows
//   (never empty), a sasl-challenge only on a decision about SCRAM, one sasl-outcome last, ok
//   exactly when it becomes done (only with its application's consent), otherwise when it fails;
// - limits: no SASL frame over 512 bytes reaches the running layer, nor does the reader wait for
//   one; a server that took more than max_rounds sasl-responses has failed and says so;
// - accept(), reject() and scram_credentials() out of turn (or of another mechanism) are refused
//   with wrong_state (invalid_argument) and change nothing;
// - no trace line (the engine's redacted trace of every item) or error text shows the client's
//   password unless the stream does outside the credential fields (engine_sasl.hpp), nor the
//   client's output outside PLAIN's sasl-init; nothing shows the server's SCRAM secret or
//   alice's stored keys unless the stream does.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/trace.hpp"
#include "engine_harness.hpp"
#include "sasl_frame.hpp"

namespace {

using engine_harness::expect;
using sasl_frame::state;
using sasl_frame::step;
namespace spec = amqp::spec;

// MIN-MAX-FRAME-SIZE: the largest SASL frame (spec Part 5, 5.3.1), the engine reader's limit.
constexpr std::uint64_t sasl_frame_limit = 512;

bool running(state s) {
  return s != state::done && s != state::failed;
}
bool contains(std::string_view text, std::string_view what) {
  return text.find(what) != std::string_view::npos;
}

// The mechanisms a sasl-mechanisms frame names, if it decodes.
std::optional<std::vector<std::string>> offer_in(const amqp::frame_view& f) {
  const auto m = spec::decode<spec::sasl_mechanisms>(f.performative);
  if (!m) return std::nullopt;
  std::vector<std::string> names;
  for (amqp::symbol_view name : m->sasl_server_mechanisms) names.emplace_back(name.str);
  return names;
}

bool ok_outcome(const step& s) {
  if (!s.is<spec::sasl_outcome>()) return false;
  const auto o = spec::decode<spec::sasl_outcome>(s.frame()->performative);
  return o && o->code == spec::sasl_code::ok;
}

class checker {
 public:
  checker(sasl_frame::unit& u, amqp::bytes_view stream)
      : u_(u),
        client_(u.config().client.has_value()),
        input_(amqp::detail::as_text(stream)),
        visible_(engine_sasl::visible_input(stream)),
        trace_([this](std::string_view line) { traced(line); }) {
    written(nullptr, u_.out().view());
    expect(client_ ? written_items_ == 1 : written_items_ == 0,
           "a SASL layer wrote other than a client's SASL header before reading");
  }

  void on_step(const step& s) {
    const auto& layer = u_.layer();
    expect((s.after == state::failed) == layer.failure().has_value(),
           "failure() is not set exactly when failed");
    if (!running(s.before)) {
      expect(s.after == s.before && s.written.empty() && s.events.empty() &&
                 layer.failure() == failure_,
             "a finished SASL layer took more");
    }
    failure_ = layer.failure();
    if (s.item) incoming(s);
    if (s.decided) {
      decision_ = *s.decided;
      expect(s.before == state::awaiting_decision
                 ? !s.result
                 : s.result == amqp::errc::wrong_state && s.written.empty() && s.after == s.before,
             "a decision on an awaited request was refused, or one nobody awaited was not");
    }
    ok_outcome_ = false;
    const unsigned responses = responses_;
    written(&s, s.written);
    events(s);
    const bool done = s.after == state::done && s.before != state::done;
    expect(client_ ? !done || ok_outcome(s) : done == ok_outcome_,
           "success without an ok sasl-outcome, read (client) or written (server)");
    expect(client_ || !done || decision_ == engine_sasl::decision::accepted ||
               decision_ == engine_sasl::decision::credentials,
           "a server succeeded without its application's consent");
    expect(!client_ || s.after != state::failed || s.written.empty(),
           "the call that failed a client wrote something");
    if (client_ && s.before == state::negotiating && s.is<spec::sasl_challenge>())
      expect(s.after == state::failed || responses_ == responses + 1,
             "a client did not answer a challenge once");
    probe();
  }

  void at_end() {
    const auto& layer = u_.layer();
    if (layer.failure()) {
      expect(layer.failure()->name == engine_sasl::unauthorized &&
                 !layer.failure()->description.empty(),
             "a SASL failure without amqp:unauthorized-access and a description");
      expect(!shown(layer.failure()->description), "an error text shows a secret");
    }
    if (running(layer.status()) && u_.reader_error()) {
      expect(!u_.reader_error()->message().empty(), "a reader error without a message");
    } else if (running(layer.status()) &&
               input_.size() >= last_item_end_ + amqp::frame_header_size) {
      // Waiting inside a frame: the frame must fit, or the reader would have refused it.
      const auto* p = reinterpret_cast<const std::uint8_t*>(input_.data()) + last_item_end_;
      const std::uint64_t size = std::uint64_t{p[0]} << 24 | p[1] << 16 | p[2] << 8 | p[3];
      expect(size <= sasl_frame_limit && size > input_.size() - last_item_end_,
             "the reader waits for a SASL frame above the limit");
    }
    const amqp::bytes_view out = u_.out().view();
    if (client_) {
      const std::string shown_out =
          plain_init_ ? engine_sasl::visible_input(out) : std::string(amqp::detail::as_text(out));
      expect(!contains(shown_out, engine_sasl::password) || contains(input_, engine_sasl::password),
             "the client's output shows the password outside PLAIN's sasl-init");
    } else {
      expect(!shown(amqp::detail::as_text(out)), "the server's output shows its secret or keys");
    }
  }

 private:
  // Whether a text shows a secret the stream did not bring: the client's password (outside
  // the credential fields, which error texts may quote as a user name on a server), or one of
  // the server's. A text may show a peer's byte escaped ("\xd0"), whose hex digits can start a
  // secret that the stream then holds all but the first few characters of: that counts as the
  // stream's. (The fuzzer learns the secrets from these very comparisons.)
  bool shown(std::string_view text) const {
    if (client_) return engine_sasl::leaks(text, visible_);
    const auto& secrets = sasl_frame::server_secrets();
    return std::any_of(secrets.begin(), secrets.end(), [&](const std::string& s) {
      return contains(text, s) && !contains(input_, std::string_view(s).substr(3));
    });
  }

  void traced(std::string_view line) {
    // A server's challenge repeats the client's nonce, which the client chose.
    const bool echo = !client_ && line.starts_with("-> ") && contains(line, "@sasl-challenge");
    expect(echo || !engine_sasl::leaks(line, visible_), "a trace line shows the password");
    expect(client_ || !shown(line), "a trace line shows the server's secret or keys");
  }

  void trace(amqp::trace_direction dir, const amqp::frame_reader::item_type& item,
             std::uint64_t offset) {
    if (const auto* h = std::get_if<amqp::protocol_header>(&item))
      return trace_.on_protocol_header(dir, *h, offset);
    const auto& f = std::get<amqp::frame_view>(item);
    if (f.type == amqp::frame_type::sasl)
      trace_.on_frame(dir, amqp::detail::redact_sasl_frame(f, scratch_));
  }

  void incoming(const step& s) {
    const auto* f = std::get_if<amqp::frame_view>(s.item);
    trace(amqp::trace_direction::incoming, *s.item,
          f ? f->offset : s.item_end - amqp::protocol_header_size);
    last_item_end_ = s.item_end;
    if (f && f->type == amqp::frame_type::sasl && running(s.before))
      expect(s.item_end - f->offset <= sasl_frame_limit,
             "a SASL frame above the limit reached the layer");
    if (client_ && s.is<spec::sasl_mechanisms>() && !offered_) offered_ = offer_in(*f);
    if (!client_ && s.before == state::negotiating && challenges_ > 0 &&
        s.is<spec::sasl_response>() && ++responses_ > u_.config().server->max_rounds) {
      expect(s.after == state::failed && contains(u_.layer().failure()->description, "SASL rounds"),
             "a server took more sasl-responses than max_rounds");
    }
  }

  void events(const step& s) {
    const auto& layer = u_.layer();
    bool authenticated = false, requested = false;
    for (const amqp::event& e : s.events) {
      if (const auto* a = std::get_if<amqp::sasl_authenticated>(&e)) {
        expect(!authenticated && a->mechanism == layer.mechanism() && a->user == layer.user(),
               "sasl_authenticated twice, or not for the layer's mechanism and user");
        authenticated = true;
      } else if (const auto* r = std::get_if<amqp::sasl_auth_requested>(&e)) {
        expect(!client_ && !requested, "sasl_auth_requested on a client, or twice");
        const auto offer = sasl_frame::offer_of(u_.config());
        expect(r->mechanism == layer.mechanism() &&
                   std::find(offer.begin(), offer.end(), r->mechanism) != offer.end(),
               "sasl_auth_requested for a mechanism not offered");
        requested = true;
      } else {
        engine_harness::broken("the SASL layer reported an event other than its own");
      }
    }
    expect(authenticated == (s.after == state::done && s.before != state::done),
           "sasl_authenticated not exactly when the layer became done");
    expect(
        requested == (s.after == state::awaiting_decision && s.before != state::awaiting_decision),
        "sasl_auth_requested not exactly when the layer started awaiting a decision");
  }

  // The output of one call (or, without a step, of the constructor), as the peer reads it.
  void written(const step* s, amqp::bytes_view bytes) {
    while (!bytes.empty()) {
      const auto r = out_reader_.read(bytes);
      expect(!r.error && r.item.has_value(),
             "the output of a call is not whole headers and SASL frames");
      bytes = bytes.subspan(r.consumed);
      expect(!outcome_written_, "output after the sasl-outcome");
      ++written_items_;
      if (const auto* h = std::get_if<amqp::protocol_header>(&*r.item)) {
        expect(*h == amqp::protocol_header{.id = amqp::protocol_id::sasl} && written_items_ == 1,
               "a protocol header other than SASL's, or not first");
        expect(client_ ? !s : s && std::holds_alternative<amqp::protocol_header>(*s->item),
               "a client's header not at once, or a server's not answering the peer's");
        trace(amqp::trace_direction::outgoing, *r.item,
              out_reader_.position() - amqp::protocol_header_size);
        continue;
      }
      const auto& f = std::get<amqp::frame_view>(*r.item);
      expect(s && f.type == amqp::frame_type::sasl && f.channel == 0 && f.extended_header.empty() &&
                 out_reader_.position() - f.offset <= sasl_frame_limit,
             "an output frame that is not a SASL frame of at most 512 bytes, doff 2, channel 0");
      trace(amqp::trace_direction::outgoing, *r.item, f.offset);
      if (client_)
        client_frame(*s, f);
      else
        server_frame(*s, f);
    }
  }

  void client_frame(const step& s, const amqp::frame_view& f) {
    if (engine_sasl::is_a<spec::sasl_init>(f.performative)) {
      const auto init = spec::decode<spec::sasl_init>(f.performative);
      expect(init && !init_sent_ && s.is<spec::sasl_mechanisms>() && offered_,
             "a sasl-init that does not decode, or not once in answer to sasl-mechanisms");
      init_sent_ = true;
      const amqp::sasl_client_options& o = *u_.config().client;
      expect(init->mechanism.str == sasl_frame::choice_of(u_.config(), *offered_),
             "the client did not choose its preferred mechanism");
      expect(init->hostname.value_or("") == o.hostname,
             "the sasl-init hostname is not the configured one");
      if (init->mechanism.str == "PLAIN") {
        plain_init_ = true;
        const std::string message = o.authzid + '\0' + o.user + '\0' + o.password;
        expect(init->initial_response && amqp::detail::as_text(*init->initial_response) == message,
               "PLAIN's message is not authzid NUL user NUL password");
      }
    } else if (engine_sasl::is_a<spec::sasl_response>(f.performative)) {
      expect(spec::decode<spec::sasl_response>(f.performative) && init_sent_ &&
                 s.is<spec::sasl_challenge>() && ++responses_ == 1,
             "a sasl-response that does not decode, or not the one answer to a challenge");
    } else {
      engine_harness::broken("a client wrote a SASL frame other than sasl-init or sasl-response");
    }
  }

  void server_frame(const step& s, const amqp::frame_view& f) {
    if (engine_sasl::is_a<spec::sasl_mechanisms>(f.performative)) {
      const auto offer = offer_in(f);
      expect(offer && written_items_ == 2 && s.item && s.after == state::negotiating,
             "a sasl-mechanisms that does not decode, or not right after the header");
      expect(!offer->empty() && *offer == sasl_frame::offer_of(u_.config()),
             "the offer is not what the configuration allows");
    } else if (engine_sasl::is_a<spec::sasl_challenge>(f.performative)) {
      expect(spec::decode<spec::sasl_challenge>(f.performative) && s.decided &&
                 u_.layer().mechanism().starts_with("SCRAM-") && s.after == state::negotiating,
             "a sasl-challenge that does not decode, or not from a decision on SCRAM");
      ++challenges_;
    } else if (engine_sasl::is_a<spec::sasl_outcome>(f.performative)) {
      const auto o = spec::decode<spec::sasl_outcome>(f.performative);
      expect(o.has_value(), "a sasl-outcome that does not decode");
      outcome_written_ = true;
      ok_outcome_ = o->code == spec::sasl_code::ok;
      expect(ok_outcome_ ? s.after == state::done && s.before != state::done
                         : s.after == state::failed && running(s.before),
             "an ok sasl-outcome without success, or another one without failure");
    } else {
      engine_harness::broken("a server wrote a SASL frame other than its own");
    }
  }

  // Commands out of turn (or of the wrong mechanism) are refused and change nothing.
  void probe() {
    auto& layer = u_.layer();
    amqp::writer& out = u_.out();
    const state before = layer.status();
    const std::size_t size = out.size();
    const auto* other = engine_sasl::stored_credentials(
        layer.mechanism() == "SCRAM-SHA-1" ? "SCRAM-SHA-256" : "SCRAM-SHA-1");
    const bool awaiting = before == state::awaiting_decision;
    const bool scram = layer.mechanism().starts_with("SCRAM-");
    expect((awaiting && !scram) || layer.accept(out) == amqp::errc::wrong_state,
           "accept() out of turn or on SCRAM was not refused with wrong_state");
    expect(awaiting || layer.reject(out) == amqp::errc::wrong_state,
           "reject() out of turn was not refused with wrong_state");
    expect(layer.scram_credentials(*other, out) ==
               (awaiting && scram ? amqp::errc::invalid_argument : amqp::errc::wrong_state),
           "another mechanism's credentials were not refused");
    expect(layer.status() == before && out.size() == size && !u_.events_pending(),
           "a refused command changed something");
  }

  sasl_frame::unit& u_;
  const bool client_;
  const std::string_view input_;
  const std::string visible_;
  amqp::text_trace_sink trace_;
  amqp::writer scratch_;
  // Far above any SASL frame, so that one too large is named by the oracle, not by the reader.
  amqp::frame_reader out_reader_{amqp::frame_reader_options{.max_sasl_frame_size = 1u << 20}};
  std::optional<amqp::condition> failure_;
  std::optional<std::vector<std::string>> offered_;  // client: the server's offer
  std::optional<engine_sasl::decision> decision_;
  std::uint64_t last_item_end_ = 0;
  std::size_t written_items_ = 0;
  unsigned responses_ = 0;   // client: written; server: taken after a challenge
  unsigned challenges_ = 0;  // server: written
  bool init_sent_ = false, plain_init_ = false, outcome_written_ = false, ok_outcome_ = false;
};

void put(std::string& log, std::uint64_t v) {
  log.append(reinterpret_cast<const char*>(&v), sizeof v);
}
void put(std::string& log, std::string_view s) {
  put(log, s.size());
  log += s;
}

// What one call did, owned, for comparing ways of feeding (the item is where it ends).
void record(std::string& log, const step& s) {
  log += !s.item ? 'D' : std::holds_alternative<amqp::protocol_header>(*s.item) ? 'H' : 'F';
  put(log, s.item_end);
  if (s.decided) put(log, static_cast<std::uint64_t>(*s.decided) << 32 | s.result.value());
  log += static_cast<char>(s.before);
  log += static_cast<char>(s.after);
  put(log, amqp::detail::as_text(s.written));
  for (const amqp::event& e : s.events) {
    if (const auto* r = std::get_if<amqp::sasl_auth_requested>(&e)) {
      for (const auto* f : {&r->mechanism, &r->user, &r->authzid, &r->password, &r->hostname})
        put(log, *f);
    } else if (const auto* a = std::get_if<amqp::sasl_authenticated>(&e)) {
      put(log, a->mechanism);
      put(log, a->user);
    }
  }
}

std::string run(std::uint8_t options, amqp::bytes_view stream,
                const std::vector<std::size_t>& reads, bool checked) {
  sasl_frame::unit u(sasl_frame::setup_of(options));
  std::optional<checker> check;
  if (checked) check.emplace(u, stream);
  std::string log;
  const auto seen = [&](const step& s) {
    record(log, s);
    if (check) check->on_step(s);
  };
  std::size_t at = 0;
  for (const std::size_t n : reads) {
    const std::size_t used = u.feed(stream.subspan(at, n), seen);
    if (u.reader_error()) break;
    expect(used == n, "the reader left bytes of a read without an item or an error");
    at += n;
  }
  u.end(seen);
  const auto& layer = u.layer();
  log += 'E';
  log += static_cast<char>(layer.status());
  put(log, layer.failure() ? layer.failure()->description : "");
  put(log, u.reader_error() ? u.reader_error()->message() : "");
  put(log, layer.mechanism());
  put(log, layer.user());
  if (check) check->at_end();
  return log;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const engine_harness::peer_stream peer = engine_harness::unmark(data + 1, size - 1);
  const amqp::bytes_view stream(peer.bytes.data(), peer.bytes.size());
  const std::string whole = run(data[0], stream, {stream.size()}, true);
  if (!peer.reads.empty())
    expect(run(data[0], stream, peer.reads, false) == whole,
           "the marked reads differ from the whole stream");
  engine_harness::random_bits rng(engine_harness::fnv1a(data, size));
  expect(run(data[0], stream, engine_harness::read_sizes(stream.size(), rng), false) == whole,
         "reads drawn from the input differ from the whole stream");
  if (stream.size() <= 1024)
    expect(run(data[0], stream, std::vector<std::size_t>(stream.size(), 1), false) == whole,
           "byte by byte differs from the whole stream");
  return 0;
}
