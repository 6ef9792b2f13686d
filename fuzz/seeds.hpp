// What the seed writers share: make_seeds.cpp writes the byte seeds of the codec and frame
// targets, engine_seeds.cpp the peer streams of the whole-engine targets, choice_seeds.cpp the
// seeds of the targets that read choices, scram_tls_seeds.cpp those of the SCRAM, SASLprep and
// base64, and TLS-stage targets, sasl_seeds.cpp those of the SASL targets; seed_builders.cpp
// holds the builders below.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/codec/types.hpp"
#include "amqp/frame.hpp"
#include "amqp/message.hpp"
#include "amqp/spec.hpp"
#include "amqp/value.hpp"

namespace seeds {

using bytes = std::vector<std::uint8_t>;

// ---- builders -----------------------------------------------------------------------------

// "a1 03 66 6f 6f" -> bytes; spaces are ignored.
bytes hex(std::string_view text);

// The encoding of a spec composite (a performative, a terminus, an outcome).
template <class T>
bytes composite(const T& v) {
  amqp::writer w;
  amqp::encoder e(w);
  amqp::spec::encode(e, v);
  return {w.view().begin(), w.view().end()};
}

// `b` decoded in place: the view points into `b`.
amqp::value_view view_of(const bytes& b);

// An order message with properties, application properties and a JSON data body.
amqp::message typical_message();
bytes encode_message(const amqp::message& m);

// One frame of `performative` (and `payload`) on `channel`.
template <class T>
void frame(amqp::writer& w, const T& performative, amqp::bytes_view payload = {},
           std::uint16_t channel = 0, amqp::frame_type type = amqp::frame_type::amqp) {
  (void)amqp::write_frame(w, type, channel, performative, payload);
}

// An open, then a session on channel 0 with one link whose frames go on `channel`. The defaults
// make the frame_reader seeds, where a begin with remote-channel 0 (an answer) and links on
// channel 1 are fine; an engine reads a coherent session with `remote_channel` empty (the peer
// begins it, as either side may) and `channel` 0.
void amqp_session(amqp::writer& w, bool with_transfers,
                  std::optional<std::uint16_t> remote_channel = 0, std::uint16_t channel = 1);

// What `w` holds.
bytes stream_of(const amqp::writer& w);

// Writes seed `name` of fuzz target `target` under the output folder.
void put(const std::string& target, const std::string& name, amqp::bytes_view b);

// ---- seed writers -------------------------------------------------------------------------

// The peer streams of engine_server (`peer` "client") and engine_client (`peer` "server").
void engine_seeds(const std::string& target, const std::string& peer);

// The seeds of engine_commands and engine_pair.
void choice_seeds();

// The seeds of scram_server, scram_client, saslprep_base64, tls_server and tls_client.
void scram_tls_seeds();

// The seeds of engine_server_sasl, engine_client_sasl and sasl_frame: recorded conversations.
void sasl_seeds();

}  // namespace seeds
