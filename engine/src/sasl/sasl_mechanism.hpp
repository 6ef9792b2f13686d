// The client side of the built-in SASL mechanisms, as the SASL layer drives them: bytes in,
// bytes out, errors as text that names the mechanism and never a secret. Internal.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "amqp/codec/types.hpp"
#include "amqp/errors.hpp"
#include "amqp/random.hpp"
#include "amqp/sasl.hpp"

namespace amqp::detail {

// Why a mechanism gave up: names the mechanism and the cause, never a secret.
struct sasl_failure {
  std::string message;
};

class sasl_client_mechanism {
 public:
  virtual ~sasl_client_mechanism() = default;
  // The sasl-init initial-response; empty optional: none is sent.
  virtual result<std::optional<std::string>, sasl_failure> initial_response() = 0;
  // The sasl-response to a sasl-challenge.
  virtual result<std::string, sasl_failure> on_challenge(bytes_view challenge) = 0;
  // A successful sasl-outcome's additional data (empty when absent): an error when the
  // mechanism does not accept it (SCRAM: the server did not prove it knows the password).
  virtual std::optional<sasl_failure> on_success(bytes_view additional_data) = 0;
};

// Whether `name` is one of sasl_builtin_mechanisms.
bool is_builtin_mechanism(std::string_view name) noexcept;
// Whether Cyrus SASL (when the engine was built with it) has a plugin for `name` on that side.
bool cyrus_provides(std::string_view name, bool server);

// The mechanism `name` for these options: built in, or from Cyrus SASL; null when neither.
std::unique_ptr<sasl_client_mechanism> make_client_mechanism(std::string_view name,
                                                             const sasl_client_options& options,
                                                             random_source& random);

// Whether a built-in mechanism sends the password as it is (PLAIN): refused without TLS unless
// allow_insecure_mechs.
bool sends_password_in_clear(std::string_view mechanism) noexcept;
// Whether a built-in mechanism needs a user name (all but ANONYMOUS and EXTERNAL).
bool needs_user(std::string_view mechanism) noexcept;

}  // namespace amqp::detail
