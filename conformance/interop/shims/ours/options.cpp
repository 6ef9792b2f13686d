#include "options.hpp"

#include "amqp/asio/container.hpp"
#include "amqp/libevent/container.hpp"
#include "amqp/tls.hpp"
#include "typed_text.hpp"

#include <iostream>
#include <utility>

namespace interop::ours {

amqp::result<amqp::connection_options, std::string> connection_options(const shim_args& args) {
  amqp::connection_options co;
  if (!args.user.empty()) co.user = args.user;
  if (!args.password.empty()) co.password = args.password;
  co.allowed_mechs = args.mech_list();
  // The runner decides where credentials may travel: PLAIN to a broker on plain TCP (RabbitMQ
  // on 5672) is what it asks for there.
  co.allow_insecure_mechs = true;
  // A lost connection is a failure to report, not something to hide by trying again.
  co.reconnect = false;
  if (args.tls() || !args.ca.empty() || !args.cert.empty()) {
    amqp::tls_client_options t;
    t.ca_file = args.ca;
    t.server_name = args.server_name;
    t.certificate_chain.file = args.cert;
    t.private_key.file = args.key.empty() ? args.cert : args.key;
    auto ctx = amqp::tls_context::client(t);
    if (!ctx) return ctx.error();
    co.tls = *ctx;
    co.tls_server_name = args.server_name;
  }
  return co;
}

std::optional<start_up> start(int argc, char** argv, shim_role role) {
  shim_args args;
  if (std::string why = parse(argc, argv, role, args, io_bindings); !why.empty()) {
    fail(why);
    return std::nullopt;
  }
  auto url = amqp::parse_url(args.url);
  if (!url) {
    fail("--url: " + url.error().message);
    return std::nullopt;
  }
  auto co = connection_options(args);
  if (!co) {
    fail("TLS: " + co.error());
    return std::nullopt;
  }
  return start_up{std::move(args), std::move(*url), std::move(*co)};
}

int fail(const std::string& why) {
  std::cout << error_line(why) << std::endl;
  return 1;
}

std::unique_ptr<amqp::container> make_container(const shim_args& args,
                                                amqp::messaging_handler& handler) {
  if (args.io == "libevent") return std::make_unique<amqp::libevent::container>(handler);
  return std::make_unique<amqp::asio::container>(handler);
}

}  // namespace interop::ours
