// The Cyrus SASL adapter (cyrus.hpp) in a build without Cyrus (AMQP_CYRUS_SASL=OFF, or AUTO
// without libsasl2-dev): the same API, reporting "built without Cyrus SASL". The real one is
// cyrus_common.cpp, cyrus_client.cpp and cyrus_server.cpp, which compile to nothing here.
#if !defined(AMQP_HAVE_CYRUS_SASL)

#include "sasl/cyrus.hpp"

namespace amqp::detail {
namespace {

cyrus_error unavailable() {
  return {cyrus_errc::unavailable, 0, "Cyrus SASL: the engine was built without Cyrus SASL"};
}

}  // namespace

struct cyrus_client::state {
  std::string mechanism;
};
struct cyrus_server::state {};

bool cyrus_available() noexcept {
  return false;
}
std::vector<std::string> cyrus_mechanisms(cyrus_role) {
  return {};
}

cyrus_client::cyrus_client(const cyrus_client_config& config, std::string_view)
    : state_(std::make_unique<state>(state{config.mechanism})) {}
cyrus_client::~cyrus_client() = default;
const std::string& cyrus_client::mechanism() const noexcept {
  return state_->mechanism;
}
cyrus_result<std::optional<std::vector<std::uint8_t>>> cyrus_client::initial_response() {
  return unavailable();
}
cyrus_result<std::vector<std::uint8_t>> cyrus_client::on_challenge(bytes_view) {
  return unavailable();
}
cyrus_result<std::monostate> cyrus_client::on_success(bytes_view) {
  return unavailable();
}

cyrus_server::cyrus_server(const cyrus_server_config&) : state_(std::make_unique<state>()) {}
cyrus_server::~cyrus_server() = default;
cyrus_result<std::vector<std::string>> cyrus_server::mechanisms() const {
  return unavailable();
}
cyrus_server_step cyrus_server::start(std::string_view, std::optional<bytes_view>) {
  return cyrus_failure{unavailable()};
}
cyrus_server_step cyrus_server::step(bytes_view) {
  return cyrus_failure{unavailable()};
}

}  // namespace amqp::detail

#endif  // !AMQP_HAVE_CYRUS_SASL
