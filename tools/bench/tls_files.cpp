#include "bench/tls_files.hpp"

namespace amqp::bench {

const test::test_cert_files& tls_files() {
  static const test::test_cert_files files(test::test_certs());
  return files;
}

void prepare_tls_files() {
  static_cast<void>(tls_files());
}

}  // namespace amqp::bench
