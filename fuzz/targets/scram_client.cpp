// Fuzz target: the SCRAM client (RFC 5802, RFC 7677; engine/src/sasl/scram.hpp), fed a
// server's two messages.
//
// Input (scram_fixture.hpp): byte 0 the options, byte 1 where the scripted random source
// starts, then the server-first-message, a NUL, the server-final-message (sasl-outcome's
// additional-data). Options: bits 0-1 the hash; bits 2-3 the identity (client_identities
// below: plain, with an authzid, with ',' and '=' to escape, with characters SASLprep maps);
// bit 4 a client nonce of 128 characters instead of 24; bit 5 also makes calls out of turn at
// every step, each of which must be refused and change nothing.
//
// The client logs in with the fixed password and max_iterations 4096, so that no input makes
// one run spend more than 4096 PBKDF2 iterations. Oracles, a broken one traps:
// - no crash, no undefined behaviour, no leak;
// - the client-first-message is exactly the gs2 header, "n=" the prepared and escaped
//   username, ",r=" the nonce drawn from the scripted source as scram.hpp documents;
// - on_challenge accepts only a server-first-message whose nonce extends the client's, whose
//   salt is canonical base64 of 1 to 256 bytes and whose count is 1 to max_iterations; and
//   then answers exactly "c=" base64(gs2 header) ",r=" nonce ",p=" the proof the reference
//   computation (scram_fixture.hpp: OpenSSL's PBKDF2 and HMAC as RFC 5802 section 3 says,
//   from the prepared password) gives for this AuthMessage;
// - soundness: on_outcome succeeds only when the verifier is the reference ServerSignature,
//   which the input can only hold if it was made with the password (the seeds written by
//   make_seeds are whole exchanges with a real scram_server; random inputs practically never
//   get there); completeness: the outcome "v=" + that signature is accepted;
// - errors carry the codes scram.hpp documents for each call, name the mechanism first, have
//   no server-final-message, and never contain the password or a key, proof or signature of
//   the exchange (unless the input itself carried that text);
// - a failed or finished exchange refuses every further call with wrong_state, and calls out
//   of turn change nothing.
#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include "scram_fixture.hpp"

namespace {

using amqp::detail::scram_client;
using namespace scram_fuzz;

constexpr std::uint32_t max_iterations = 4096;

struct client_identity {
  std::string_view username;
  std::string_view authzid;
  std::string_view gs2_header;  // as it goes on the wire
  std::string_view wire_name;   // the username prepared, then escaped
};

// Bits 2-3 of the options. The last username ends with U+00AD SOFT HYPHEN, which SASLprep
// maps to nothing.
constexpr client_identity client_identities[] = {
    {"user", "", "n,,", "user"},
    {"user", "admin", "n,a=admin,", "user"},
    {"us,er=1", "a,b=c", "n,a=a=2Cb=3Dc,", "us=2Cer=3D1"},
    {"\xC3\xBCser\xC2\xAD", "", "n,,", "\xC3\xBCser"},
};

// The reference keys of the password for one salt and count. PBKDF2 is the cost of a run, and
// inputs grown from one seed mostly keep its salt and count, so recent ones are kept.
const keys& reference_keys(scram_hash h, const bytes& s, std::uint32_t count) {
  static std::map<std::tuple<scram_hash, bytes, std::uint32_t>, keys> cache;
  auto key = std::make_tuple(h, s, count);
  auto it = cache.find(key);
  if (it != cache.end()) return it->second;
  if (cache.size() >= 64) cache.clear();
  return cache.emplace(std::move(key), derive(h, prepared_password, s, count)).first->second;
}

class exchange {
 public:
  exchange(const input& in, std::string_view whole)
      : in_(in),
        hash_(hash_of(in.options)),
        id_(client_identities[(in.options >> 2) & 3]),
        nonce_length_((in.options & 0x10) != 0 ? 128 : 24),
        out_of_turn_((in.options & 0x20) != 0),
        random_(in.random_start),
        client_(hash_, id_.username, password, id_.authzid, random_, options()),
        peer_text_(whole),
        secrets_{std::string(password), std::string(prepared_password)} {}

  void run() {
    if (out_of_turn_) {
      refused(client_.on_challenge(as_bytes(in_.first)));
      refused(client_.on_outcome(as_bytes(in_.second)));
    }
    auto first = client_.initial_response();
    check(first.has_value(), "initial_response refused a valid identity");
    const std::string nonce = counter_nonce(in_.random_start, nonce_length_);
    bare_ = "n=" + std::string(id_.wire_name) + ",r=" + nonce;
    check(*first == std::string(id_.gs2_header) + bare_,
          "the client-first-message is not gs2 header, n=<name>, r=<scripted nonce>");
    if (out_of_turn_) {
      refused(client_.initial_response());
      refused(client_.on_outcome(as_bytes(in_.second)));
    }
    if (!challenge(nonce)) return;
    outcome();
  }

 private:
  amqp::detail::scram_client_options options() const {
    amqp::detail::scram_client_options o;
    o.nonce_length = nonce_length_;
    o.max_iterations = max_iterations;
    return o;
  }

  void error_text(const scram_error& e) const {
    check_prefix(e, hash_);
    check(e.server_final.empty(), "a client error has a server-final-message");
    for (const std::string& s : secrets_)
      check(!leaks(e.message, s, peer_text_), "an error text holds a secret");
  }

  template <class T>
  void refused(const amqp::detail::scram_result<T>& r) const {
    check(!r.has_value(), "a call out of turn was accepted");
    check(r.error().code == scram_errc::wrong_state,
          "a call out of turn was refused without wrong_state");
    error_text(r.error());
  }

  bool challenge(const std::string& client_nonce) {
    auto r = client_.on_challenge(as_bytes(in_.first));
    if (!r) {
      const scram_error& e = r.error();
      check(e.code == scram_errc::malformed || e.code == scram_errc::unsupported ||
                e.code == scram_errc::nonce_mismatch,
            "on_challenge failed with an undocumented code");
      error_text(e);
      refused(client_.on_challenge(as_bytes(in_.first)));
      refused(client_.on_outcome(as_bytes(in_.second)));
      return false;
    }
    // Accepted: r=, s= and i= come first, in that order (RFC 5802 section 7).
    const std::vector<std::string_view> f = fields(in_.first);
    check(f.size() >= 3 && f[0].substr(0, 2) == "r=" && f[1].substr(0, 2) == "s=" &&
              f[2].substr(0, 2) == "i=",
          "accepted a server-first-message without r=, s=, i=");
    const std::string_view nonce = f[0].substr(2);
    check(
        nonce.size() > client_nonce.size() && nonce.substr(0, client_nonce.size()) == client_nonce,
        "accepted a nonce that does not extend the client's");
    bytes salt_bytes;
    check(ref_unbase64(f[1].substr(2), salt_bytes) && !salt_bytes.empty() &&
              salt_bytes.size() <= amqp::detail::scram_max_salt_size &&
              ref_base64(salt_bytes) == f[1].substr(2),
          "accepted a salt that is not canonical base64 of 1 to 256 bytes");
    const std::string_view digits = f[2].substr(2);
    check(!digits.empty() && digits.size() <= 4 && digits[0] != '0' &&
              digits.find_first_not_of("0123456789") == std::string_view::npos,
          "accepted an iteration count that is no number up to max_iterations");
    const std::uint32_t count = static_cast<std::uint32_t>(std::stoul(std::string(digits)));
    check(count >= 1 && count <= max_iterations, "accepted an iteration count above the bound");

    const keys& k = reference_keys(hash_, salt_bytes, count);
    const std::string without_proof =
        "c=" + ref_base64(as_bytes(id_.gs2_header)) + ",r=" + std::string(nonce);
    const std::string auth = bare_ + "," + std::string(in_.first) + "," + without_proof;
    expected_ = sign(hash_, k, auth);
    check(*r == without_proof + ",p=" + ref_base64(expected_.proof),
          "the client-final-message is not c=<gs2 header>,r=<nonce>,p=<the password's proof>");
    for (const bytes* b : {&k.salted, &k.client_key, &k.stored_key, &k.server_key,
                           static_cast<const bytes*>(&expected_.server_signature)})
      secrets_.push_back(ref_base64(*b));
    if (out_of_turn_) {
      refused(client_.on_challenge(as_bytes(in_.first)));
      refused(client_.initial_response());
    }
    return true;
  }

  void outcome() {
    auto r = client_.on_outcome(as_bytes(in_.second));
    const std::string verifier = "v=" + ref_base64(expected_.server_signature);
    if (r) {
      check(fields(in_.second)[0] == verifier,
            "on_outcome accepted a verifier that is not the server signature");
    } else {
      const scram_error& e = r.error();
      check(e.code == scram_errc::authentication_failed || e.code == scram_errc::server_error ||
                e.code == scram_errc::malformed,
            "on_outcome failed with an undocumented code");
      error_text(e);
      check(in_.second != verifier, "on_outcome refused the right server signature");
    }
    refused(client_.on_outcome(as_bytes(in_.second)));
    refused(client_.on_challenge(as_bytes(in_.first)));
  }

  const input& in_;
  scram_hash hash_;
  const client_identity& id_;
  std::size_t nonce_length_;
  bool out_of_turn_;
  counter_random random_;
  scram_client client_;
  std::string peer_text_;  // what error texts may quote
  std::vector<std::string> secrets_;
  std::string bare_;
  signatures expected_;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const input in = split(data, size);
  exchange(in, std::string_view(reinterpret_cast<const char*>(data), size)).run();
  return 0;
}
