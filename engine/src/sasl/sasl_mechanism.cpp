// The client side of ANONYMOUS (RFC 4505), PLAIN (RFC 4616), EXTERNAL (RFC 4422) and SCRAM
// (RFC 5802, RFC 7677).
#include "sasl/sasl_mechanism.hpp"

#include <algorithm>

#include <openssl/crypto.h>

#include "sasl/cyrus.hpp"
#include "sasl/scram.hpp"

namespace amqp::detail {

namespace {

// No challenge is part of a single-message mechanism: one that arrives is refused.
sasl_failure unexpected_challenge(std::string_view mechanism) {
  return {std::string(mechanism) +
          ": the server sent a challenge, which this mechanism has none of"};
}

class anonymous_mechanism final : public sasl_client_mechanism {
 public:
  explicit anonymous_mechanism(std::string trace) : trace_(std::move(trace)) {}
  // RFC 4505, section 3: the message is optional trace information, here the user name if
  // one was given.
  result<std::optional<std::string>, sasl_failure> initial_response() override {
    return std::optional<std::string>(trace_);
  }
  result<std::string, sasl_failure> on_challenge(bytes_view) override {
    return unexpected_challenge("ANONYMOUS");
  }
  std::optional<sasl_failure> on_success(bytes_view) override { return std::nullopt; }

 private:
  std::string trace_;
};

// RFC 4422, appendix A: the identity is established outside SASL (the TLS client
// certificate); the message is the authorization identity, possibly empty.
class external_mechanism final : public sasl_client_mechanism {
 public:
  explicit external_mechanism(std::string authzid) : authzid_(std::move(authzid)) {}
  result<std::optional<std::string>, sasl_failure> initial_response() override {
    return std::optional<std::string>(authzid_);
  }
  result<std::string, sasl_failure> on_challenge(bytes_view) override {
    return unexpected_challenge("EXTERNAL");
  }
  std::optional<sasl_failure> on_success(bytes_view) override { return std::nullopt; }

 private:
  std::string authzid_;
};

class plain_mechanism final : public sasl_client_mechanism {
 public:
  explicit plain_mechanism(const sasl_client_options& o) {
    // RFC 4616, section 2: [authzid] NUL authcid NUL passwd.
    message_.reserve(o.authzid.size() + o.user.size() + o.password.size() + 2);
    message_.append(o.authzid).push_back('\0');
    message_.append(o.user).push_back('\0');
    message_.append(o.password);
  }
  ~plain_mechanism() override { OPENSSL_cleanse(message_.data(), message_.size()); }
  result<std::optional<std::string>, sasl_failure> initial_response() override {
    return std::optional<std::string>(message_);
  }
  result<std::string, sasl_failure> on_challenge(bytes_view) override {
    return unexpected_challenge("PLAIN");
  }
  std::optional<sasl_failure> on_success(bytes_view) override { return std::nullopt; }

 private:
  std::string message_;
};

class scram_mechanism final : public sasl_client_mechanism {
 public:
  scram_mechanism(scram_hash h, const sasl_client_options& o, random_source& random)
      : scram_(h, o.user, o.password, o.authzid, random) {}
  result<std::optional<std::string>, sasl_failure> initial_response() override {
    auto r = scram_.initial_response();
    if (!r) return sasl_failure{r.error().message};
    return std::optional<std::string>(std::move(*r));
  }
  result<std::string, sasl_failure> on_challenge(bytes_view challenge) override {
    auto r = scram_.on_challenge(challenge);
    if (!r) return sasl_failure{r.error().message};
    return std::move(*r);
  }
  std::optional<sasl_failure> on_success(bytes_view additional_data) override {
    auto r = scram_.on_outcome(additional_data);
    if (!r) return sasl_failure{r.error().message};
    return std::nullopt;
  }

 private:
  scram_client scram_;
};

// Any other mechanism Cyrus SASL has a plugin for. The server is named by the sasl-init
// hostname (DIGEST-MD5's digest-uri, GSSAPI's principal). A realm stays in the user name
// ("alice@example.org"), where a Cyrus server finds it for every mechanism; DIGEST-MD5's realm
// directive is left to Cyrus, which answers a server's single realm with that one.
class cyrus_mechanism final : public sasl_client_mechanism {
 public:
  cyrus_mechanism(std::string_view name, const sasl_client_options& o)
      : cyrus_({.mechanism = std::string(name),
                .server_host = o.hostname,
                .username = o.user,
                .authzid = o.authzid},
               o.password) {}
  result<std::optional<std::string>, sasl_failure> initial_response() override {
    auto r = cyrus_.initial_response();
    if (!r) return sasl_failure{r.error().message};
    if (!*r) return std::optional<std::string>();
    return std::optional<std::string>(std::string((*r)->begin(), (*r)->end()));
  }
  result<std::string, sasl_failure> on_challenge(bytes_view challenge) override {
    auto r = cyrus_.on_challenge(challenge);
    if (!r) return sasl_failure{r.error().message};
    return std::string(r->begin(), r->end());
  }
  std::optional<sasl_failure> on_success(bytes_view additional_data) override {
    auto r = cyrus_.on_success(additional_data);
    if (!r) return sasl_failure{r.error().message};
    return std::nullopt;
  }

 private:
  cyrus_client cyrus_;
};

}  // namespace

bool is_builtin_mechanism(std::string_view name) noexcept {
  return std::find(std::begin(sasl_builtin_mechanisms), std::end(sasl_builtin_mechanisms), name) !=
         std::end(sasl_builtin_mechanisms);
}

bool cyrus_provides(std::string_view name, bool server) {
  if (!cyrus_available()) return false;
  const auto all = cyrus_mechanisms(server ? cyrus_role::server : cyrus_role::client);
  return std::find(all.begin(), all.end(), name) != all.end();
}

std::unique_ptr<sasl_client_mechanism> make_client_mechanism(std::string_view name,
                                                             const sasl_client_options& options,
                                                             random_source& random) {
  if (name == "ANONYMOUS") return std::make_unique<anonymous_mechanism>(options.user);
  if (name == "PLAIN") return std::make_unique<plain_mechanism>(options);
  if (name == "EXTERNAL") return std::make_unique<external_mechanism>(options.authzid);
  if (auto h = scram_hash_from_name(name))
    return std::make_unique<scram_mechanism>(*h, options, random);
  if (!is_builtin_mechanism(name) && cyrus_provides(name, /*server=*/false))
    return std::make_unique<cyrus_mechanism>(name, options);
  return nullptr;
}

bool sends_password_in_clear(std::string_view mechanism) noexcept {
  return mechanism == "PLAIN";
}

bool needs_user(std::string_view mechanism) noexcept {
  return mechanism != "ANONYMOUS" && mechanism != "EXTERNAL";
}

}  // namespace amqp::detail
