// What the seed writers share: make_seeds.cpp writes the byte seeds, choice_seeds.cpp the
// seeds of the targets that read choices, scram_tls_seeds.cpp those of the SCRAM, SASLprep and
// base64, and TLS-stage targets, sasl_seeds.cpp those of the SASL targets.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "amqp/codec/types.hpp"

namespace seeds {

using bytes = std::vector<std::uint8_t>;

// Writes seed `name` of fuzz target `target` under the output folder.
void put(const std::string& target, const std::string& name, amqp::bytes_view b);

// The seeds of engine_commands and engine_pair.
void choice_seeds();

// The seeds of scram_server, scram_client, saslprep_base64, tls_server and tls_client.
void scram_tls_seeds();

// The seeds of engine_server_sasl, engine_client_sasl and sasl_frame: recorded conversations.
void sasl_seeds();

}  // namespace seeds
