// The SCRAM client (RFC 5802 sections 3 and 5).
#include <algorithm>
#include <array>
#include <climits>

#include "amqp/codec/decoder.hpp"
#include "scram_internal.hpp"
#include "util/base64.hpp"

namespace amqp::detail {

using namespace scram;

scram_client::scram_client(scram_hash hash, std::string_view username, std::string_view password,
                           std::string_view authzid, random_source& random,
                           scram_client_options options)
    : hash_(hash), random_(random), options_(options) {
  // RFC 5802 section 5.1: the client SHOULD SASLprep the username, and the password is
  // SASLprep'd before Hi(). Failures are reported by initial_response(), the first call that
  // can return an error.
  if (auto e = saslprep(password, password_)) {
    wipe(password_);
    prep_error_ = error(scram_errc::invalid_name, describe_prep_failure("the password", *e, true));
  }
  if (auto e = saslprep(username, username_)) {
    prep_error_ = error(scram_errc::invalid_name, describe_prep_failure("the username", *e, false));
  }
  // The authorization identity is sent as given (RFC 5802 does not prepare it); it must be
  // UTF-8 without NUL, like every attribute value.
  if (!authzid.empty()) {
    if (utf8_error_offset(authzid) != authzid.size() ||
        authzid.find('\0') != std::string_view::npos)
      prep_error_ = error(scram_errc::invalid_name,
                          "the authorization identity is not valid UTF-8 without NUL");
    authzid_ = authzid;
  }
}

scram_client::~scram_client() {
  wipe(password_);
  wipe(server_signature_);
}

scram_error scram_client::error(scram_errc code, std::string_view what) const {
  return {code, std::string(mechanism()) + ": " + std::string(what), {}};
}

scram_error scram_client::fail(scram_errc code, std::string_view what) {
  state_ = state::failed;
  return error(code, what);
}

scram_result<std::string> scram_client::initial_response() {
  if (state_ != state::initial)
    return error(scram_errc::wrong_state, "initial_response() called twice or after a failure");
  if (options_.nonce_length < scram_min_fresh_nonce ||
      options_.nonce_length > scram_max_fresh_nonce)
    return error(scram_errc::invalid_argument, "the nonce length must be 16 to 128 characters");
  if (prep_error_) {
    state_ = state::failed;
    return *prep_error_;
  }
  // gs2-header: "n" (no channel binding, RFC 5802 section 6), then the optional authzid.
  gs2_header_ = "n,";
  if (!authzid_.empty()) {
    gs2_header_ += "a=";
    append_escaped_name(authzid_, gs2_header_);
  }
  gs2_header_ += ',';
  append_nonce(random_, options_.nonce_length, nonce_);
  client_first_bare_ = "n=";
  append_escaped_name(username_, client_first_bare_);
  client_first_bare_ += ",r=";
  client_first_bare_ += nonce_;
  state_ = state::sent_first;
  return gs2_header_ + client_first_bare_;
}

scram_result<std::string> scram_client::on_challenge(bytes_view server_first) {
  if (state_ != state::sent_first)
    return error(scram_errc::wrong_state,
                 "a challenge arrived before the initial response was "
                 "sent, or after the exchange ended");
  const std::string_view text = as_text(server_first);
  // OpenSSL takes the count as an int: no option can raise the bound past INT_MAX.
  const auto max_iterations = std::min<std::uint32_t>(options_.max_iterations, INT_MAX);
  auto m = parse_server_first(text, max_iterations);
  if (!m) return fail(m.error().code, m.error().what);
  // Section 5.1: the server's nonce starts with ours and adds its own part.
  if (m->nonce.size() <= nonce_.size() || m->nonce.substr(0, nonce_.size()) != nonce_)
    return fail(scram_errc::nonce_mismatch, "server nonce does not extend the client nonce");
  std::array<std::uint8_t, scram_max_salt_size> salt{};
  auto salt_size = base64_decode(m->salt, salt);
  if (!salt_size)
    return fail(scram_errc::malformed,
                salt_size.error() == base64_error::too_long
                    ? std::string("the salt is longer than 256 bytes")
                    : "the salt is not valid base64: " + std::string(describe(salt_size.error())));
  if (*salt_size == 0) return fail(scram_errc::malformed, "the salt is empty");

  // RFC 5802 section 3.
  key_buffer salted, client_key, stored_key, server_key, client_signature, proof, server_sig;
  const bytes_view salt_bytes(salt.data(), *salt_size);
  const bool keys_ok = hi(hash_, password_, salt_bytes, m->iterations, salted) &&
                       hmac(hash_, salted.view(), as_bytes("Client Key"), client_key) &&
                       digest(hash_, client_key.view(), stored_key) &&
                       hmac(hash_, salted.view(), as_bytes("Server Key"), server_key);
  // The password is not needed any more, whatever happens next.
  wipe(password_);
  if (!keys_ok) return fail(scram_errc::crypto_failure, "OpenSSL failed to derive the keys");

  std::string final_message = "c=";
  base64_encode_append(as_bytes(gs2_header_), final_message);
  final_message += ",r=";
  final_message += m->nonce;
  std::string auth_message;
  auth_message.reserve(client_first_bare_.size() + text.size() + final_message.size() + 2);
  auth_message.append(client_first_bare_)
      .append(",")
      .append(text)
      .append(",")
      .append(final_message);
  if (!hmac(hash_, stored_key.view(), as_bytes(auth_message), client_signature) ||
      !hmac(hash_, server_key.view(), as_bytes(auth_message), server_sig))
    return fail(scram_errc::crypto_failure, "OpenSSL failed to compute the proof");
  // ClientProof = ClientKey XOR ClientSignature
  proof.set_size(client_key.size());
  for (std::size_t k = 0; k < client_key.size(); ++k)
    proof.data()[k] = client_key.data()[k] ^ client_signature.data()[k];
  server_signature_.assign(server_sig.view().begin(), server_sig.view().end());
  final_message += ",p=";
  base64_encode_append(proof.view(), final_message);
  state_ = state::sent_final;
  return final_message;
}

scram_result<std::monostate> scram_client::on_outcome(bytes_view server_final) {
  if (state_ != state::sent_final)
    return error(scram_errc::wrong_state,
                 "an outcome arrived before the final response was "
                 "sent, or after the exchange ended");
  auto m = parse_server_final(as_text(server_final));
  if (!m) return fail(m.error().code, m.error().what);
  if (m->is_error)
    return fail(scram_errc::server_error,
                "the server refused the authentication: e=" + sanitized(m->value));
  key_buffer verifier;
  auto size = base64_decode(m->value, verifier.all());
  if (!size)
    return fail(scram_errc::malformed,
                "the server signature (v=) is not valid base64 of the right size");
  verifier.set_size(*size);
  // Section 3: the server proves it knows ServerKey, so the client knows it is not talking
  // to an impostor that merely relayed or guessed.
  if (!equal_secret(verifier.view(), server_signature_))
    return fail(scram_errc::authentication_failed,
                "server signature mismatch (the server does not know the password: possible "
                "impostor)");
  wipe(server_signature_);
  state_ = state::done;
  return std::monostate{};
}

}  // namespace amqp::detail
