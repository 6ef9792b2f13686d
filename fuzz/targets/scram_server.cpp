// Fuzz target: the SCRAM server (RFC 5802, RFC 7677; engine/src/sasl/scram.hpp), fed a
// client's two messages.
//
// Input (scram_fixture.hpp): byte 0 the options, byte 1 where the scripted random source
// starts, then the client-first-message, a NUL, the client-final-message. Options: bits 0-1
// the hash; bits 2-3 the server's nonce length, 24, 16, 128 or 129 (129 is out of bounds, so
// both challenges must refuse it); bit 4 also makes calls out of turn at every step, each of
// which must be refused and change nothing.
//
// Two servers run the same input with the same random bytes: one knows the user (credentials
// made once per hash with make_scram_credentials, 4096 iterations) and one treats it as
// unknown (challenge_unknown_user). Oracles, a broken one traps:
// - no crash, no undefined behaviour, no leak;
// - the credentials hold the keys that the reference computation (scram_fixture.hpp, OpenSSL's
//   PBKDF2 and HMAC applied as RFC 5802 section 3 says) derives from the prepared password;
// - soundness: the known server accepts the client-final-message only when its p= is the
//   proof the reference computes from the password for this very AuthMessage
//   (client-first-message-bare, server-first-message, client-final-message-without-proof),
//   its c= is the base64 of the client's gs2 header and its r= the nonce of this exchange, and
//   the v= it returns is the reference ServerSignature. With the password unknown to the
//   input, a random input practically never gets there; the seeds written by make_seeds do,
//   being whole exchanges of a real scram_client whose nonce matches the scripted one;
// - completeness: when the client-final-message is exactly what an honest client sends (the
//   reference proof for the canonical "c=...,r=..."), the known server accepts it;
// - the unknown user never logs in, and cannot be told from a known one: the same answer to
//   the client-first-message, a server-first-message of the same shape (same nonce, a 16-byte
//   salt, 4096 iterations), and the same error (code, text, server-final-message) for every
//   client-final-message the known server refuses; where the known one accepts, the unknown
//   one answers e=invalid-proof;
// - the server-first-message is "r=" client nonce + the server part drawn from the scripted
//   source (as scram.hpp documents the drawing) + ",s=" salt + ",i=" count, exactly;
// - errors carry the codes and server-final-messages scram.hpp documents for each call,
//   name the mechanism first, and never contain the password or any key, proof or signature
//   of the exchange (unless the input itself carried that text); an error before the
//   server-first-message has no server-final-message;
// - calls out of turn are refused with wrong_state (credentials for another hash, a short
//   secret with invalid_argument) and the exchange goes on exactly as without them.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/decoder.hpp"
#include "scram_fixture.hpp"

namespace {

using amqp::detail::scram_client_identity;
using amqp::detail::scram_credentials;
using amqp::detail::scram_server;
using namespace scram_fuzz;

// The fixed credentials of one hash, and the same keys from the reference computation.
struct fixed_user {
  scram_credentials credentials;
  keys reference;
  std::vector<std::string> secrets;  // texts no error may contain
};

fixed_user make_fixed(scram_hash h) {
  fixed_user f;
  auto c = amqp::detail::make_scram_credentials(h, password, as_bytes(salt), iterations);
  check(c.has_value(), "make_scram_credentials refused the fixed password");
  f.credentials = *c;
  f.reference = derive(h, prepared_password, as_bytes(salt), iterations);
  check(f.credentials.hash == h && f.credentials.iterations == iterations,
        "the credentials do not say the hash and count they were made with");
  check(f.credentials.salt == bytes(salt.begin(), salt.end()), "the credentials' salt differs");
  check(f.credentials.stored_key == f.reference.stored_key,
        "make_scram_credentials: StoredKey differs from H(HMAC(Hi(password), \"Client Key\"))");
  check(f.credentials.server_key == f.reference.server_key,
        "make_scram_credentials: ServerKey differs from HMAC(Hi(password), \"Server Key\")");
  f.secrets = {std::string(password),
               std::string(prepared_password),
               ref_base64(f.reference.salted),
               ref_base64(f.reference.client_key),
               ref_base64(f.reference.stored_key),
               ref_base64(f.reference.server_key)};
  return f;
}

// Derived once per process: PBKDF2 at 4096 iterations is too slow to repeat per input.
const fixed_user& fixed_for(scram_hash h) {
  static const std::array<fixed_user, 3> users = {
      make_fixed(scram_hash::sha1), make_fixed(scram_hash::sha256), make_fixed(scram_hash::sha512)};
  return users[static_cast<std::size_t>(h)];
}

scram_hash other_hash(scram_hash h) {
  return h == scram_hash::sha256 ? scram_hash::sha1 : scram_hash::sha256;
}

class exchange {
 public:
  exchange(const input& in, std::string_view whole)
      : in_(in),
        hash_(hash_of(in.options)),
        user_(fixed_for(hash_)),
        out_of_turn_((in.options & 0x10) != 0),
        known_random_(in.random_start),
        unknown_random_(in.random_start),
        known_(hash_, known_random_, options(in.options)),
        unknown_(hash_, unknown_random_, options(in.options)),
        secrets_(user_.secrets),
        peer_text_(whole) {}

  void run() {
    if (out_of_turn_) {
      refused(known_.on_client_final(as_bytes(in_.second)), scram_errc::wrong_state);
      refused(known_.challenge(user_.credentials), scram_errc::wrong_state);
      refused(unknown_.challenge_unknown_user(as_bytes(unknown_user_secret)),
              scram_errc::wrong_state);
    }
    if (!client_first()) return;
    if (!challenge()) return;
    client_final();
  }

 private:
  static amqp::detail::scram_server_options options(std::uint8_t o) {
    static constexpr std::size_t lengths[] = {24, 16, 128, 129};
    amqp::detail::scram_server_options opts;
    opts.nonce_length = lengths[(o >> 2) & 3];
    return opts;
  }

  void no_secret_in(const scram_error& e) const {
    for (const std::string& s : secrets_) {
      check(!leaks(e.message, s, peer_text_), "an error text holds a secret");
      check(!leaks(e.server_final, s, peer_text_), "a server-final-message holds a secret");
    }
  }

  // A call refused with `code` before anything was sent: nothing for the client.
  template <class T>
  void refused(const amqp::detail::scram_result<T>& r, scram_errc code) const {
    check(!r.has_value(), "a call out of turn was accepted");
    check(r.error().code == code, "a call out of turn was refused with the wrong code");
    check(r.error().server_final.empty(), "a refused call has a server-final-message");
    check_prefix(r.error(), hash_);
    no_secret_in(r.error());
  }

  bool client_first() {
    auto a = known_.on_client_first(as_bytes(in_.first));
    auto b = unknown_.on_client_first(as_bytes(in_.first));
    check(a.has_value() == b.has_value(), "known and unknown servers disagree on client-first");
    if (!a) {
      const scram_error& e = a.error();
      check(e.code == scram_errc::malformed || e.code == scram_errc::unsupported ||
                e.code == scram_errc::invalid_name,
            "on_client_first failed with an undocumented code");
      check(e.server_final.empty(), "a client-first failure has a server-final-message");
      check(e.code == b.error().code && e.message == b.error().message,
            "known and unknown servers fail client-first differently");
      check_prefix(e, hash_);
      no_secret_in(e);
      // A failed exchange stays failed.
      refused(known_.on_client_first(as_bytes(in_.first)), scram_errc::wrong_state);
      refused(known_.challenge(user_.credentials), scram_errc::wrong_state);
      refused(known_.on_client_final(as_bytes(in_.second)), scram_errc::wrong_state);
      return false;
    }
    const scram_client_identity& who = *a;
    check(who.username == b->username && who.authzid == b->authzid,
          "known and unknown servers read different identities");
    check(!who.username.empty() && who.username == known_.username(),
          "the identity's username is empty or not username()");
    check(amqp::utf8_error_offset(who.username) == who.username.size(),
          "the prepared username is not UTF-8");
    // Errors may quote the username as prepared and unescaped, which the input holds in
    // another spelling: it counts as the peer's text too.
    peer_text_ += '\0';
    peer_text_ += who.username;
    peer_text_ += '\0';
    peer_text_ += who.authzid;

    // The parser accepted "gs2-header client-first-message-bare": the header is the first
    // two fields, the nonce the r= field of the bare message.
    const std::vector<std::string_view> f = fields(in_.first);
    check(f.size() >= 4 && f[3].size() > 2 && f[3].substr(0, 2) == "r=",
          "an accepted client-first-message has no r= where it belongs");
    const std::size_t header_size = f[0].size() + f[1].size() + 2;
    gs2_header_ = in_.first.substr(0, header_size);
    bare_ = in_.first.substr(header_size);
    client_nonce_ = f[3].substr(2);

    if (out_of_turn_) {
      refused(known_.on_client_first(as_bytes(in_.first)), scram_errc::wrong_state);
      refused(known_.on_client_final(as_bytes(in_.second)), scram_errc::wrong_state);
      scram_credentials other = user_.credentials;
      other.hash = other_hash(hash_);
      refused(known_.challenge(other), scram_errc::invalid_argument);
      refused(unknown_.challenge_unknown_user(as_bytes("too short")), scram_errc::invalid_argument);
    }
    return true;
  }

  bool challenge() {
    auto a = known_.challenge(user_.credentials);
    auto b =
        unknown_.challenge_unknown_user(as_bytes(unknown_user_secret), iterations, salt.size());
    const std::size_t length = options(in_.options).nonce_length;
    if (length > amqp::detail::scram_max_fresh_nonce) {
      refused(a, scram_errc::invalid_argument);
      refused(b, scram_errc::invalid_argument);
      // Nothing changed: still no challenge sent.
      refused(known_.on_client_final(as_bytes(in_.second)), scram_errc::wrong_state);
      return false;
    }
    check(a.has_value() && b.has_value(), "a challenge with valid arguments was refused");
    nonce_ = std::string(client_nonce_) + counter_nonce(in_.random_start, length);
    server_first_ = *a;
    check(server_first_ == "r=" + nonce_ + ",s=" + ref_base64(as_bytes(salt)) +
                               ",i=" + std::to_string(iterations),
          "the server-first-message is not r=<client+server nonce>,s=<salt>,i=<count>");
    const std::string& fake = *b;
    const std::string head = "r=" + nonce_ + ",s=";
    const std::string tail = ",i=" + std::to_string(iterations);
    check(fake.size() == server_first_.size() && fake.compare(0, head.size(), head) == 0 &&
              fake.compare(fake.size() - tail.size(), tail.size(), tail) == 0,
          "the unknown user's server-first-message differs in shape from a known user's");
    bytes fake_salt;
    check(ref_unbase64(
              std::string_view(fake).substr(head.size(), fake.size() - head.size() - tail.size()),
              fake_salt) &&
              fake_salt.size() == salt.size(),
          "the unknown user's salt is not base64 of the length asked for");

    // What an honest client answers, and the secrets of this exchange.
    const std::string without_proof = "c=" + ref_base64(as_bytes(gs2_header_)) + ",r=" + nonce_;
    const signatures honest = sign(hash_, user_.reference, auth_message(without_proof));
    honest_final_ = without_proof + ",p=" + ref_base64(honest.proof);
    secrets_.push_back(ref_base64(honest.proof));
    secrets_.push_back(ref_base64(honest.server_signature));

    if (out_of_turn_) {
      refused(known_.challenge(user_.credentials), scram_errc::wrong_state);
      refused(known_.on_client_first(as_bytes(in_.first)), scram_errc::wrong_state);
      refused(unknown_.challenge_unknown_user(as_bytes(unknown_user_secret)),
              scram_errc::wrong_state);
    }
    return true;
  }

  std::string auth_message(std::string_view without_proof) const {
    std::string m(bare_);
    m += ',';
    m += server_first_;
    m += ',';
    m += without_proof;
    return m;
  }

  void client_final() {
    auto a = known_.on_client_final(as_bytes(in_.second));
    auto b = unknown_.on_client_final(as_bytes(in_.second));
    check(!b.has_value(), "an unknown user logged in");
    if (a) {
      accepted(*a);
      check(b.error().code == scram_errc::authentication_failed &&
                b.error().server_final == "e=invalid-proof",
            "an unknown user's right-looking proof is not refused as a wrong password");
    } else {
      final_error(a.error());
      check(b.error().code == a.error().code && b.error().message == a.error().message &&
                b.error().server_final == a.error().server_final,
            "an unknown user is refused differently from a known one");
      check(in_.second != honest_final_, "an honest client-final-message was refused");
    }
    final_error(b.error());
    // The exchange is over either way.
    refused(known_.on_client_final(as_bytes(in_.second)), scram_errc::wrong_state);
    refused(unknown_.on_client_final(as_bytes(in_.second)), scram_errc::wrong_state);
    if (out_of_turn_) refused(known_.challenge(user_.credentials), scram_errc::wrong_state);
  }

  // The known server accepted: the input must hold the proof the password gives.
  void accepted(const std::string& server_final) const {
    const std::string_view msg = in_.second;
    const std::size_t last = msg.rfind(',');
    check(last != std::string_view::npos, "an accepted client-final-message has one field");
    const std::string_view without_proof = msg.substr(0, last);
    const std::string_view proof = msg.substr(last + 1);
    const std::string prefix = "c=" + ref_base64(as_bytes(gs2_header_)) + ",r=" + nonce_;
    check(without_proof == prefix || (without_proof.size() > prefix.size() &&
                                      without_proof.compare(0, prefix.size(), prefix) == 0 &&
                                      without_proof[prefix.size()] == ','),
          "accepted a client-final-message whose c= or r= is not this exchange's");
    const signatures s = sign(hash_, user_.reference, auth_message(without_proof));
    check(proof == "p=" + ref_base64(s.proof), "accepted a proof that does not verify");
    check(server_final == "v=" + ref_base64(s.server_signature),
          "the server signature is not HMAC(ServerKey, AuthMessage)");
  }

  void final_error(const scram_error& e) const {
    switch (e.code) {
      case scram_errc::malformed:
        check(e.server_final == "e=invalid-encoding", "malformed without e=invalid-encoding");
        break;
      case scram_errc::nonce_mismatch:
        check(e.server_final == "e=other-error", "nonce_mismatch without e=other-error");
        break;
      case scram_errc::authentication_failed:
        check(e.server_final == "e=invalid-proof" ||
                  e.server_final == "e=channel-bindings-dont-match",
              "authentication_failed without e=invalid-proof or e=channel-bindings-dont-match");
        break;
      default:
        broken("on_client_final failed with an undocumented code");
    }
    check_prefix(e, hash_);
    no_secret_in(e);
  }

  const input& in_;
  scram_hash hash_;
  const fixed_user& user_;
  bool out_of_turn_;
  counter_random known_random_;
  counter_random unknown_random_;
  scram_server known_;
  scram_server unknown_;
  std::vector<std::string> secrets_;
  std::string peer_text_;  // what error texts may quote
  std::string_view gs2_header_;
  std::string_view bare_;
  std::string_view client_nonce_;
  std::string nonce_;
  std::string server_first_;
  std::string honest_final_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const input in = split(data, size);
  exchange(in, std::string_view(reinterpret_cast<const char*>(data), size)).run();
  return 0;
}
