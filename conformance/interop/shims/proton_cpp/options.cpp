#include "options.hpp"

#include <proton/ssl.hpp>

namespace interop::proton_cpp {

proton::connection_options connection_options(const shim_args& args) {
  proton::connection_options co;
  // Proton speaks SASL only when asked to; the brokers of the matrix expect it.
  co.sasl_enabled(true);
  if (!args.user.empty()) co.user(args.user);
  if (!args.password.empty()) co.password(args.password);
  if (!args.mechs.empty()) co.sasl_allowed_mechs(args.mechs);
  // The runner decides where credentials may travel (PLAIN to RabbitMQ on plain TCP).
  co.sasl_allow_insecure_mechs(true);
  if (args.tls() || !args.ca.empty() || !args.cert.empty()) {
    const auto verify = proton::ssl::VERIFY_PEER_NAME;
    if (args.cert.empty()) {
      co.ssl_client_options(args.ca.empty() ? proton::ssl_client_options(verify)
                                            : proton::ssl_client_options(args.ca, verify));
    } else {
      const proton::ssl_certificate cert(args.cert, args.key.empty() ? args.cert : args.key);
      co.ssl_client_options(proton::ssl_client_options(cert, args.ca, verify));
    }
    // Proton checks the certificate against (and sends as SNI) the virtual host.
    co.virtual_host(args.server_name);
  }
  return co;
}

}  // namespace interop::proton_cpp
