// The public face of the SCRAM credentials a server stores (amqp/sasl.hpp).
#include "amqp/sasl.hpp"
#include "sasl/scram.hpp"

namespace amqp {

result<scram_credentials, std::string> make_scram_credentials(std::string_view mechanism,
                                                              std::string_view password,
                                                              bytes_view salt,
                                                              std::uint32_t iterations) {
  const auto h = detail::scram_hash_from_name(mechanism);
  if (!h) return "make_scram_credentials: " + std::string(mechanism) + " is not a SCRAM mechanism";
  auto c = detail::make_scram_credentials(*h, password, salt, iterations);
  if (!c) return std::move(c.error().message);
  return scram_credentials{.mechanism = std::string(mechanism),
                           .salt = std::move(c->salt),
                           .iterations = c->iterations,
                           .stored_key = std::move(c->stored_key),
                           .server_key = std::move(c->server_key)};
}

}  // namespace amqp
