// The SASL exchange of a connection, both roles (spec Part 5, 5.3.2 and 5.3.3).
#include "sasl/sasl_layer.hpp"

#include <algorithm>
#include <string_view>

#include "amqp/spec.hpp"
#include "frame/wire.hpp"
#include "sasl/sasl_mechanism.hpp"
#include "sasl/scram.hpp"

namespace amqp::detail {

namespace {

// Whether a SASL frame's performative is a T, by code or by symbol.
template <class T>
bool is_a(const described_view& d) {
  return d.is(spec::traits<T>::info.code, spec::traits<T>::info.symbol);
}

std::string list_of(const std::vector<std::string>& names) {
  std::string s = "[";
  for (std::size_t i = 0; i < names.size(); ++i) s += (i ? ", " : "") + names[i];
  return s + "]";
}

std::string_view code_name(spec::sasl_code c) {
  switch (c) {
    case spec::sasl_code::ok:
      return "ok";
    case spec::sasl_code::auth:
      return "auth";
    case spec::sasl_code::sys:
      return "sys";
    case spec::sasl_code::sys_perm:
      return "sys-perm";
    case spec::sasl_code::sys_temp:
      return "sys-temp";
  }
  return "unknown";
}

// The user a PLAIN initial-response names: RFC 4616, section 2, with its 255-octet bounds.
struct plain_message {
  std::string authzid, authcid, passwd;
};
std::optional<plain_message> parse_plain(bytes_view m) {
  const std::string_view s = as_text(m);
  const std::size_t a = s.find('\0');
  if (a == std::string_view::npos) return std::nullopt;
  const std::size_t b = s.find('\0', a + 1);
  if (b == std::string_view::npos) return std::nullopt;
  plain_message p{std::string(s.substr(0, a)), std::string(s.substr(a + 1, b - a - 1)),
                  std::string(s.substr(b + 1))};
  if (p.authcid.empty() || p.passwd.empty() || p.authzid.size() > 255 || p.authcid.size() > 255 ||
      p.passwd.size() > 255 || p.passwd.find('\0') != std::string::npos)
    return std::nullopt;
  return p;
}

}  // namespace

sasl_layer::sasl_layer(const sasl_client_options* client, const sasl_server_options* server,
                       random_source& random, bool secure, ring<event>& events,
                       std::uint32_t max_frame_size)
    : client_(client),
      server_(server),
      random_(random),
      secure_(secure),
      max_frame_size_(max_frame_size),
      events_(events) {
  if (server_) scram_secret_ = server_->scram_secret;
}

sasl_layer::~sasl_layer() = default;

std::string sasl_layer::who() const {
  std::string s;
  if (!user_.empty()) s += "for user '" + user_ + "' ";
  return s + "with mechanism " + (mechanism_.empty() ? std::string("(none)") : mechanism_);
}

std::string sasl_layer::interrupted() const {
  if (server_ && mechanism_.empty()) {
    std::vector<std::string> names;
    for (symbol_view m : offer()) names.emplace_back(m.str);
    return "the client left after our offer " + list_of(names) +
           " without choosing a mechanism (it may allow none of them)";
  }
  if (!mechanism_.empty()) {
    return (server_ ? "the client left during authentication "
                    : "the server left during authentication ") +
           who();
  }
  return "the server left before offering its SASL mechanisms";
}

void sasl_layer::fail(std::string description) {
  if (finished()) return;
  state_ = state::failed;
  failure_ =
      condition{std::string(spec::amqp_error::unauthorized_access.str), std::move(description), {}};
}

// A SASL frame may not exceed MIN-MAX-FRAME-SIZE (spec Part 5, 5.3.1) unless both peers were
// configured for more, and the peer reads no larger one. The mechanisms' own bounds do not keep
// every message within it: a server may make a SCRAM client repeat a nonce of hundreds of
// characters next to its proof, and credentials or Cyrus tokens may be long. A frame that does
// not fit is not written; the exchange fails, naming the frame and its size, instead of the
// peer refusing the stream as badly framed.
template <class T>
bool sasl_layer::send(writer& out, const T& performative) {
  const std::size_t start = out.size();
  (void)write_frame(out, frame_type::sasl, 0, performative);
  const std::size_t size = out.size() - start;
  if (size <= max_frame_size_) return true;
  out.truncate(start);
  fail("the " + std::string(spec::traits<T>::info.name) + " frame would be " +
       std::to_string(size) + " bytes, more than the " + std::to_string(max_frame_size_) +
       " a SASL frame may have (limits::max_sasl_frame_size)");
  return false;
}

void sasl_layer::succeed() {
  state_ = state::done;
  events_.push(sasl_authenticated{mechanism_, user_});
}

void sasl_layer::secure(std::string peer_subject, bool own_certificate) {
  secure_ = true;
  external_identity_ = std::move(peer_subject);
  own_certificate_ = own_certificate;
}

std::vector<symbol_view> sasl_layer::offer() const {
  std::vector<symbol_view> out;
  for (const std::string& m : server_->mechanisms)
    if (offers(m)) out.push_back(symbol_view{m});
  return out;
}

// Whether this server offers `m` on this connection: PLAIN only where the password cannot be
// read off the wire (or when allowed), EXTERNAL only to a client with a TLS certificate.
bool sasl_layer::offers(const std::string& m) const {
  const auto& all = server_->mechanisms;
  if (std::find(all.begin(), all.end(), m) == all.end()) return false;
  if (sends_password_in_clear(m) && !secure_ && !server_->allow_insecure_mechs) return false;
  if (m == "EXTERNAL" && external_identity_.empty()) return false;
  return is_builtin_mechanism(m) || cyrus_provides(m, /*server=*/true);
}

void sasl_layer::start(writer& out) {
  if (state_ != state::idle || !client_) return;
  write_protocol_header(out, protocol_id::sasl);
  state_ = state::negotiating;
}

void sasl_layer::on_header(const protocol_header& h, writer& out) {
  if (h.id != protocol_id::sasl && peer_header_) {
    // The peer moved on to AMQP while the exchange was still running (spec Part 5, 5.3.2:
    // the AMQP header follows a successful outcome).
    return fail((server_ ? std::string("the client") : std::string("the server")) + " sent " +
                describe_header(h) + " before the SASL outcome");
  }
  if (h.id != protocol_id::sasl) {
    if (server_) write_protocol_header(out, protocol_id::sasl);
    fail(server_ ? "the client sent " + describe_header(h) +
                       ", but this server requires SASL (AMQP 3.1.0.0) first"
                 : "the server answered with " + describe_header(h) +
                       " instead of SASL (AMQP 3.1.0.0): it does not authenticate with SASL");
    return;
  }
  if (peer_header_) return fail("a second SASL protocol header arrived");
  peer_header_ = true;
  if (server_) {
    write_protocol_header(out, protocol_id::sasl);
    const std::vector<symbol_view> offered = offer();
    if (offered.empty()) {
      // sasl-server-mechanisms may not be empty (spec Part 5, 5.3.3.1): nothing can go on.
      return fail("no SASL mechanism can be offered on this connection: configured " +
                  list_of(server_->mechanisms) +
                  " (PLAIN needs TLS or allow_insecure_mechs, EXTERNAL a client certificate, "
                  "the others built in or from Cyrus SASL)");
    }
    if (send(out, spec::sasl_mechanisms{.sasl_server_mechanisms =
                                            std::span<const symbol_view>(offered)}))
      state_ = state::negotiating;
  }
}

void sasl_layer::on_frame(const frame_view& f, writer& out) {
  if (finished()) return;
  if (client_)
    on_client_frame(f, out);
  else
    on_server_frame(f, out);
}

// --- client ----------------------------------------------------------------------------------

void sasl_layer::on_client_frame(const frame_view& f, writer& out) {
  const described_view d = f.performative.as_described();
  if (is_a<spec::sasl_mechanisms>(d)) return on_mechanisms(f, out);
  if (is_a<spec::sasl_outcome>(d)) return on_outcome(f);
  if (is_a<spec::sasl_challenge>(d)) {
    auto c = spec::decode<spec::sasl_challenge>(f.performative);
    if (!c) return fail("invalid sasl-challenge frame: " + c.error().message());
    if (!client_mech_) return fail("a sasl-challenge arrived before sasl-init was sent");
    auto r = client_mech_->on_challenge(c->challenge);
    if (!r) return fail(r.error().message);
    (void)send(out, spec::sasl_response{.response = as_bytes(*r)});
    return;
  }
  fail("the server sent a SASL frame a client does not expect");
}

void sasl_layer::on_mechanisms(const frame_view& f, writer& out) {
  auto m = spec::decode<spec::sasl_mechanisms>(f.performative);
  // A server with nothing to offer may leave out the frame's one field, mandatory as it is
  // (Qpid Proton does); "server offers []" tells the user more than the missing field would.
  if (!m && m.error().code != errc::missing_mandatory_field) {
    return fail("invalid sasl-mechanisms frame: " + m.error().message());
  }
  if (client_mech_) return fail("a second sasl-mechanisms frame arrived");
  std::vector<std::string> offered;
  if (m) {
    for (symbol_view s : m->sasl_server_mechanisms) offered.emplace_back(s.str);
  }

  // The client's preference decides among what both allow. By default EXTERNAL only with a
  // certificate of ours to assert: some servers (RabbitMQ) offer it to every TLS client, and
  // refuse it from one without a certificate.
  std::vector<std::string> allowed = client_->allowed_mechs;
  if (allowed.empty()) {
    for (std::string_view b : sasl_builtin_mechanisms)
      if ((client_->user.empty() ? !needs_user(b) : needs_user(b)) &&
          (b != "EXTERNAL" || own_certificate_))
        allowed.emplace_back(b);
  }
  bool plain_refused = false;
  for (const std::string& want : allowed) {
    if (std::find(offered.begin(), offered.end(), want) == offered.end()) continue;
    if (sends_password_in_clear(want) && !secure_ && !client_->allow_insecure_mechs) {
      plain_refused = true;
      continue;
    }
    auto mech = make_client_mechanism(want, *client_, random_);
    if (!mech) continue;  // not built in
    mechanism_ = want;
    user_ = client_->user;
    auto first = mech->initial_response();
    if (!first) return fail(first.error().message);
    client_mech_ = std::move(mech);
    spec::sasl_init init{.mechanism = symbol_view{mechanism_}};
    if (*first) init.initial_response = as_bytes(**first);
    if (!client_->hostname.empty()) init.hostname = client_->hostname;
    (void)send(out, init);
    return;
  }
  fail("no mutually acceptable SASL mechanism: server offers " + list_of(offered) + ", allowed " +
       list_of(allowed) +
       (plain_refused ? " (PLAIN is refused without TLS unless allow_insecure_mechs is set)" : ""));
}

void sasl_layer::on_outcome(const frame_view& f) {
  auto o = spec::decode<spec::sasl_outcome>(f.performative);
  if (!o) return fail("invalid sasl-outcome frame: " + o.error().message());
  if (!client_mech_) return fail("a sasl-outcome arrived before sasl-init was sent");
  if (o->code != spec::sasl_code::ok) {
    return fail("authentication failed: sasl-outcome " + std::string(code_name(o->code)) + " (" +
                std::to_string(static_cast<int>(o->code)) + ") " + who());
  }
  if (auto bad = client_mech_->on_success(o->additional_data.value_or(bytes_view{})))
    return fail("authentication failed: " + bad->message);
  succeed();
}

// --- server ----------------------------------------------------------------------------------

void sasl_layer::on_server_frame(const frame_view& f, writer& out) {
  const described_view d = f.performative.as_described();
  if (is_a<spec::sasl_init>(d)) return on_init(f, out);
  if (is_a<spec::sasl_response>(d)) return on_response(f, out);
  fail("the client sent a SASL frame a server does not expect");
}

void sasl_layer::on_init(const frame_view& f, writer& out) {
  auto init = spec::decode<spec::sasl_init>(f.performative);
  if (!init) {
    outcome(out, false);
    return fail("invalid sasl-init frame: " + init.error().message());
  }
  if (!mechanism_.empty()) {
    outcome(out, false);
    return fail("a second sasl-init arrived");
  }
  mechanism_ = std::string(init->mechanism.str);
  if (!offers(mechanism_)) {
    outcome(out, false);
    return fail("the client chose " + mechanism_ + ", which this server does not offer");
  }
  sasl_auth_requested request{.mechanism = mechanism_};
  if (init->hostname) request.hostname = std::string(*init->hostname);
  const bytes_view response = init->initial_response.value_or(bytes_view{});
  if (mechanism_ == "ANONYMOUS") {
    // RFC 4505: the message is trace information only; it names nobody.
  } else if (mechanism_ == "EXTERNAL") {
    // RFC 4422, appendix A: who the client is, its certificate said; the message is the
    // identity it asks to act as.
    user_ = external_identity_;
    request.user = external_identity_;
    request.authzid = std::string(as_text(response));
  } else if (mechanism_ == "PLAIN") {
    auto p = parse_plain(response);
    if (!p) {
      outcome(out, false);
      return fail(
          "a PLAIN initial-response that is not authzid NUL authcid NUL password "
          "(RFC 4616)");
    }
    user_ = p->authcid;
    request.user = std::move(p->authcid);
    request.authzid = std::move(p->authzid);
    request.password = std::move(p->passwd);
  } else if (auto h = scram_hash_from_name(mechanism_)) {
    scram_ = std::make_unique<scram_server>(*h, random_);
    auto id = scram_->on_client_first(response);
    if (!id) {
      outcome(out, false);
      return fail(id.error().message);
    }
    user_ = id->username;
    request.user = std::move(id->username);
    request.authzid = std::move(id->authzid);
  } else {
    // Not built in, so offered because Cyrus provides it: Cyrus checks the credentials.
    const sasl_cyrus_options& c = server_->cyrus;
    cyrus_ = std::make_unique<cyrus_server>(cyrus_server_config{.server_host = c.server_host,
                                                                .realm = c.realm,
                                                                .config_dir = c.config_dir,
                                                                .sasldb_path = c.sasldb_path,
                                                                .mech_list = mechanism_});
    std::optional<bytes_view> first;
    if (init->initial_response) first = *init->initial_response;
    return on_cyrus_step(cyrus_->start(mechanism_, first), std::move(request), out);
  }
  state_ = state::awaiting_decision;
  events_.push(std::move(request));
}

void sasl_layer::on_response(const frame_view& f, writer& out) {
  auto r = spec::decode<spec::sasl_response>(f.performative);
  if (!r) {
    outcome(out, false);
    return fail("invalid sasl-response frame: " + r.error().message());
  }
  if (cyrus_ && state_ == state::negotiating) {
    if (++rounds_ > server_->max_rounds) {
      outcome(out, false);
      return fail("the client took more than " + std::to_string(server_->max_rounds) +
                  " SASL rounds");
    }
    return on_cyrus_step(cyrus_->step(r->response), sasl_auth_requested{.mechanism = mechanism_},
                         out);
  }
  if (!scram_ || state_ != state::negotiating) {
    outcome(out, false);
    return fail("a sasl-response arrived where no challenge awaits one");
  }
  if (++rounds_ > server_->max_rounds) {
    outcome(out, false);
    return fail("the client took more than " + std::to_string(server_->max_rounds) +
                " SASL rounds");
  }
  auto last = scram_->on_client_final(r->response);
  if (!last) {
    outcome(out, false);
    return fail("authentication failed " + who());
  }
  if (outcome(out, true, as_bytes(*last))) succeed();
}

void sasl_layer::on_cyrus_step(const cyrus_server_step& step, sasl_auth_requested request,
                               writer& out) {
  if (const auto* c = std::get_if<cyrus_challenge>(&step)) {
    if (send(out, spec::sasl_challenge{.challenge = bytes_view(c->data.data(), c->data.size())}))
      state_ = state::negotiating;
    else
      outcome(out, false);
    return;
  }
  if (const auto* ok = std::get_if<cyrus_success>(&step)) {
    // Cyrus checked the credentials; whether this user may in is still the application's call.
    user_ = ok->authid.empty() ? ok->username : ok->authid;
    if (ok->additional_data) success_data_ = *ok->additional_data;
    request.user = user_;
    if (ok->username != user_) request.authzid = ok->username;
    state_ = state::awaiting_decision;
    events_.push(std::move(request));
    return;
  }
  outcome(out, false);
  fail("authentication failed " + who() + ": " + std::get<cyrus_failure>(step).error.message);
}

bool sasl_layer::outcome(writer& out, bool ok, bytes_view additional_data) {
  spec::sasl_outcome o{.code = ok ? spec::sasl_code::ok : spec::sasl_code::auth};
  if (!additional_data.empty()) o.additional_data = additional_data;
  if (send(out, o)) return true;
  // Only additional data makes it too large: the client still learns that it failed.
  (void)send(out, spec::sasl_outcome{.code = spec::sasl_code::auth});
  return false;
}

std::error_code sasl_layer::accept(writer& out) {
  if (state_ != state::awaiting_decision || scram_) return errc::wrong_state;
  if (outcome(out, true, bytes_view(success_data_.data(), success_data_.size()))) succeed();
  return {};
}

std::error_code sasl_layer::reject(writer& out) {
  if (state_ != state::awaiting_decision) return errc::wrong_state;
  if (scram_) {
    // A challenge like any other, which no proof can answer (RFC 5802, section 9): the client
    // learns only at the end, as with a wrong password. Without a secret of the server's,
    // one is drawn now, once: only a SCRAM rejection needs it, and drawing it for every server
    // engine would start the random source (OpenSSL's generator maps megabytes) for nothing.
    if (scram_secret_.size() < 16) {
      scram_secret_.resize(32);
      random_.fill(scram_secret_);
    }
    auto c = scram_->challenge_unknown_user(scram_secret_, server_->scram_iterations);
    if (c && send(out, spec::sasl_challenge{.challenge = as_bytes(*c)})) {
      state_ = state::negotiating;
      return {};
    }
  }
  outcome(out, false);
  fail("authentication failed " + who() + " (rejected by the application)");
  return {};
}

std::error_code sasl_layer::scram_credentials(const amqp::scram_credentials& credentials,
                                              writer& out) {
  if (state_ != state::awaiting_decision || !scram_) return errc::wrong_state;
  const auto h = scram_hash_from_name(credentials.mechanism);
  if (!h || mechanism_name(*h) != mechanism_) return errc::invalid_argument;
  const detail::scram_credentials c{.hash = *h,
                                    .salt = credentials.salt,
                                    .iterations = credentials.iterations,
                                    .stored_key = credentials.stored_key,
                                    .server_key = credentials.server_key};
  auto challenge = scram_->challenge(c);
  if (!challenge) return errc::invalid_argument;
  if (send(out, spec::sasl_challenge{.challenge = as_bytes(*challenge)}))
    state_ = state::negotiating;
  else
    outcome(out, false);
  return {};
}

// --- tracing ---------------------------------------------------------------------------------

// The credential field is found by its place in the list, not by decoding the frame: a frame
// that does not decode as its performative (a sasl-init whose mechanism is a string, say) is
// refused, but traced first, and must not show the password it carries either.
frame_view redact_sasl_frame(const frame_view& f, writer& scratch) {
  if (f.type != frame_type::sasl || f.performative.type() != kind::described) return f;
  const described_view d = f.performative.as_described();
  std::uint64_t code = spec::traits<spec::sasl_response>::info.code;
  std::size_t field = 0;  // sasl-response: response
  if (is_a<spec::sasl_init>(d)) {
    code = spec::traits<spec::sasl_init>::info.code;
    field = 1;  // initial-response
  } else if (!is_a<spec::sasl_response>(d)) {
    return f;
  }
  std::string hidden;
  const auto hide = [&](encoder& e, value_view v) {
    if (v.type() == kind::binary)
      hidden = "(" + std::to_string(v.as_binary().size()) + " bytes hidden)";
    else if (v.type() == kind::string || v.type() == kind::symbol)
      hidden = "(" + std::to_string(v.as_string().size()) + " bytes hidden)";
    else
      hidden = "(hidden)";
    e.binary(as_bytes(hidden));
  };
  scratch.clear();
  encoder e(scratch);
  e.descriptor(code);
  if (d.value().type() == kind::list) {
    const encoder::mark m = e.begin_list();
    std::size_t i = 0;
    for (value_view v : d.value().as_list()) {
      if (i++ == field && !v.is_null())
        hide(e, v);
      else
        e.value(v);
    }
    e.end_list(m);
  } else {
    hide(e, d.value());  // not even a list: all of it may be the credential
  }
  frame_view shown = f;
  shown.performative = {};  // what cannot be re-encoded is shown as nothing at all
  if (!e.failed()) {
    if (auto v = decode_value(scratch.view())) shown.performative = *v;
  }
  return shown;
}

}  // namespace amqp::detail
