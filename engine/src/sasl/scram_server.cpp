// The SCRAM server (RFC 5802 sections 3 and 5).
#include "scram_internal.hpp"
#include "util/base64.hpp"

namespace amqp::detail {

using namespace scram;

namespace {

// The bytes a fake credential is derived from: a label (so salt and keys differ), the
// mechanism (so one user's fake salts differ per hash, as real ones usually do) and the user.
std::string fake_input(std::string_view label, std::string_view mechanism,
                       std::string_view username) {
  std::string s(label);
  s += '\0';
  s += mechanism;
  s += '\0';
  s += username;
  return s;
}

}  // namespace

scram_server::scram_server(scram_hash hash, random_source& random, scram_server_options options)
    : hash_(hash), random_(random), options_(options) {}

scram_server::~scram_server() {
  wipe(stored_key_);
  wipe(server_key_);
}

scram_error scram_server::error(scram_errc code, std::string_view what,
                                std::string_view server_final) const {
  return {code, std::string(mechanism()) + ": " + std::string(what), std::string(server_final)};
}

scram_error scram_server::fail(scram_errc code, std::string_view what,
                               std::string_view server_final) {
  state_ = state::failed;
  wipe(stored_key_);
  wipe(server_key_);
  return error(code, what, server_final);
}

scram_result<scram_client_identity> scram_server::on_client_first(bytes_view client_first) {
  if (state_ != state::initial)
    return error(scram_errc::wrong_state, "a second client-first-message");
  auto m = parse_client_first(as_text(client_first));
  if (!m) return fail(m.error().code, m.error().what);
  // The server's part is appended to the client's nonce; keep the total within the bound.
  if (m->nonce.size() > scram_max_nonce_length - scram_max_fresh_nonce)
    return fail(scram_errc::malformed,
                "the client nonce is longer than " +
                    std::to_string(scram_max_nonce_length - scram_max_fresh_nonce) + " characters");
  scram_client_identity who;
  std::string escaped_free;
  // The parser checked the escaping; unescape cannot fail here.
  if (!unescape_name(m->username, escaped_free) || !unescape_name(m->authzid, who.authzid))
    return fail(scram_errc::invalid_name, "the username has '=' not followed by 2C or 3D");
  // Section 5.1: the server SHOULD prepare the username with SASLprep (as a query).
  if (auto e = saslprep(escaped_free, who.username))
    return fail(scram_errc::invalid_name, describe_prep_failure("the username", *e, false));
  username_ = who.username;
  gs2_header_ = m->gs2_header;
  client_first_bare_ = m->bare;
  nonce_ = m->nonce;
  state_ = state::got_first;
  return who;
}

std::string scram_server::server_first(bytes_view salt, std::uint32_t iterations) {
  append_nonce(random_, options_.nonce_length, nonce_);
  server_first_ = "r=";
  server_first_ += nonce_;
  server_first_ += ",s=";
  base64_encode_append(salt, server_first_);
  server_first_ += ",i=";
  server_first_ += std::to_string(iterations);
  state_ = state::sent_first;
  return server_first_;
}

scram_result<std::string> scram_server::challenge(const scram_credentials& credentials) {
  if (state_ != state::got_first)
    return error(scram_errc::wrong_state, "challenge() without a fresh client-first-message");
  const std::size_t size = scram_digest_size(hash_);
  if (credentials.hash != hash_)
    return error(scram_errc::invalid_argument,
                 "the credentials are for " + std::string(mechanism_name(credentials.hash)));
  if (credentials.stored_key.size() != size || credentials.server_key.size() != size)
    return error(scram_errc::invalid_argument,
                 "the credentials' keys are not " + std::to_string(size) + " bytes");
  if (credentials.salt.empty() || credentials.salt.size() > scram_max_salt_size)
    return error(scram_errc::invalid_argument, "the credentials' salt must be 1 to 256 bytes");
  if (credentials.iterations == 0)
    return error(scram_errc::invalid_argument, "the credentials' iteration count is 0");
  if (options_.nonce_length < scram_min_fresh_nonce ||
      options_.nonce_length > scram_max_fresh_nonce)
    return error(scram_errc::invalid_argument, "the nonce length must be 16 to 128 characters");
  stored_key_ = credentials.stored_key;
  server_key_ = credentials.server_key;
  unknown_user_ = false;
  return server_first(credentials.salt, credentials.iterations);
}

scram_result<std::string> scram_server::challenge_unknown_user(bytes_view server_secret,
                                                               std::uint32_t iterations,
                                                               std::size_t salt_length) {
  if (state_ != state::got_first)
    return error(scram_errc::wrong_state,
                 "challenge_unknown_user() without a fresh client-first-message");
  // A short or empty secret would let an attacker recompute the fake salt and so tell the
  // fake from a real user.
  if (server_secret.size() < 16)
    return error(scram_errc::invalid_argument, "the server secret must be at least 16 bytes");
  if (iterations == 0)
    return error(scram_errc::invalid_argument, "the iteration count must be at least 1");
  if (salt_length == 0 || salt_length > key_buffer::capacity)
    return error(scram_errc::invalid_argument, "the fake salt length must be 1 to 64 bytes");
  if (options_.nonce_length < scram_min_fresh_nonce ||
      options_.nonce_length > scram_max_fresh_nonce)
    return error(scram_errc::invalid_argument, "the nonce length must be 16 to 128 characters");
  // RFC 5802 section 9: the salt must be the same on every attempt for this username (a
  // random one would give the user away on the second try), and unpredictable without the
  // secret. The keys are never revealed; they only let on_client_final do the same work as
  // for a real user before it fails.
  key_buffer salt, stored_key, server_key;
  if (!hmac(scram_hash::sha512, server_secret,
            as_bytes(fake_input("SCRAM unknown user salt", mechanism(), username_)), salt) ||
      !hmac(hash_, server_secret,
            as_bytes(fake_input("SCRAM unknown user stored key", mechanism(), username_)),
            stored_key) ||
      !hmac(hash_, server_secret,
            as_bytes(fake_input("SCRAM unknown user server key", mechanism(), username_)),
            server_key))
    return error(scram_errc::crypto_failure, "OpenSSL failed to derive the fake salt");
  stored_key_.assign(stored_key.view().begin(), stored_key.view().end());
  server_key_.assign(server_key.view().begin(), server_key.view().end());
  unknown_user_ = true;
  return server_first(salt.view().first(salt_length), iterations);
}

scram_result<std::string> scram_server::on_client_final(bytes_view client_final) {
  if (state_ != state::sent_first)
    return error(scram_errc::wrong_state,
                 "a client-final-message before the challenge was "
                 "sent, or after the exchange ended");
  auto m = parse_client_final(as_text(client_final));
  if (!m) return fail(m.error().code, m.error().what, "e=invalid-encoding");
  // Section 6: without channel binding, c= is the base64 of the gs2 header exactly as the
  // client sent it, so a downgrade of the flag or a changed authzid is caught here.
  auto header = base64_decode(m->channel_binding);
  if (!header)
    return fail(scram_errc::malformed, "the channel binding (c=) is not valid base64",
                "e=invalid-encoding");
  if (as_text(*header) != gs2_header_)
    return fail(scram_errc::authentication_failed,
                "the channel binding (c=) does not match the gs2 header of the "
                "client-first-message",
                "e=channel-bindings-dont-match");
  if (m->nonce != nonce_)
    return fail(scram_errc::nonce_mismatch,
                "the nonce of the client-final-message is not the one of this exchange",
                "e=other-error");
  const std::string failed = "authentication failed for user " + quoted_name(username_);
  key_buffer proof;
  auto proof_size = base64_decode(m->proof, proof.all());
  if (!proof_size && proof_size.error() != base64_error::too_long)
    return fail(scram_errc::malformed, "the proof (p=) is not valid base64", "e=invalid-encoding");
  // A proof of the wrong size cannot verify: the same answer as a wrong password.
  if (!proof_size || *proof_size != scram_digest_size(hash_))
    return fail(scram_errc::authentication_failed, failed, "e=invalid-proof");
  proof.set_size(*proof_size);

  // RFC 5802 section 3: ClientKey = ClientProof XOR HMAC(StoredKey, AuthMessage), and the
  // client knows the password iff H(ClientKey) == StoredKey.
  std::string auth_message;
  auth_message.reserve(client_first_bare_.size() + server_first_.size() + m->without_proof.size() +
                       2);
  auth_message.append(client_first_bare_)
      .append(",")
      .append(server_first_)
      .append(",")
      .append(m->without_proof);
  key_buffer client_signature, client_key, computed, server_signature;
  if (!hmac(hash_, stored_key_, as_bytes(auth_message), client_signature))
    return fail(scram_errc::crypto_failure, "OpenSSL failed to verify the proof");
  client_key.set_size(proof.size());
  for (std::size_t k = 0; k < proof.size(); ++k)
    client_key.data()[k] = proof.data()[k] ^ client_signature.data()[k];
  if (!digest(hash_, client_key.view(), computed))
    return fail(scram_errc::crypto_failure, "OpenSSL failed to verify the proof");
  // Constant time, and the unknown-user path takes the same steps before it fails.
  const bool match = equal_secret(computed.view(), stored_key_);
  if (!match || unknown_user_)
    return fail(scram_errc::authentication_failed, failed, "e=invalid-proof");
  if (!hmac(hash_, server_key_, as_bytes(auth_message), server_signature))
    return fail(scram_errc::crypto_failure, "OpenSSL failed to sign the outcome");
  std::string out = "v=";
  base64_encode_append(server_signature.view(), out);
  wipe(stored_key_);
  wipe(server_key_);
  state_ = state::done;
  return out;
}

}  // namespace amqp::detail
