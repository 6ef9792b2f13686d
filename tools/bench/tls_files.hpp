// The certificates of amqp-bench's tls_* modes: the test PKI (tools/pki) written to a
// temporary directory once per run, removed at exit. Both implementations read the same
// files, because Qpid Proton reads certificates from files only.
//
//   amqp::bench::prepare_tls_files();  // before measuring anything: the PKI takes a moment
//   const auto& files = amqp::bench::tls_files();
//   load(files.path("ca.pem"), files.path("server.pem"), files.path("server.key"));
#pragma once

#include "pki/test_certs.hpp"

namespace amqp::bench {

// Makes the PKI and writes its files now, so that no implementation's figures (the heap peak
// of the first one to run, in particular) include that work.
void prepare_tls_files();

// The files, made on first use: ca.pem (the CA the client trusts), server.pem and server.key
// (the server's certificate, for the DNS names localhost and broker.example, and its key).
const test::test_cert_files& tls_files();

}  // namespace amqp::bench
