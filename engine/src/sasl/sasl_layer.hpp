// The SASL layer of a connection (spec Part 5, 5.3): the exchange between the SASL protocol
// header and the sasl-outcome, for a client or a server. The engine's frame reader cuts the
// stream; this layer gets the SASL header and frames, writes its own into the engine's output,
// and reports what happened through the engine's event queue. Internal to the engine.
//
// Client: start() writes the SASL header; the server's sasl-mechanisms picks the mechanism
// (the client's order of preference among those both allow); sasl-init, then as many
// challenge/response rounds as the mechanism needs; a successful sasl-outcome ends it, after
// the mechanism accepted the outcome's additional data (SCRAM checks the server signature).
//
// Server: the client's SASL header is answered with the header and sasl-mechanisms; sasl-init
// names the mechanism and who the client is, which the application judges (event
// sasl_auth_requested, then accept(), reject() or scram_credentials()); the outcome follows.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <system_error>
#include <variant>
#include <vector>

#include "amqp/codec/writer.hpp"
#include "amqp/condition.hpp"
#include "amqp/config.hpp"
#include "amqp/events.hpp"
#include "amqp/frame.hpp"
#include "amqp/random.hpp"
#include "amqp/sasl.hpp"
#include "endpoint/ring.hpp"
#include "sasl/cyrus.hpp"

namespace amqp::detail {

class sasl_client_mechanism;
class scram_server;
class cyrus_server;

class sasl_layer {
 public:
  enum class state : std::uint8_t {
    idle,               // client: start() not called yet; server: awaiting the client's header
    negotiating,        // frames are being exchanged
    awaiting_decision,  // server: sasl_auth_requested reported, the application decides
    done,               // authenticated: the AMQP protocol header comes next
    failed,             // failure() says why; the transport ends
  };

  // `client` for a client engine, `server` for a server engine; `secure`: TLS is below, so
  // PLAIN may be used; no frame larger than `max_frame_size` is written (limits). The options
  // and the random source must outlive the layer.
  sasl_layer(const sasl_client_options* client, const sasl_server_options* server,
             random_source& random, bool secure, ring<event>& events, std::uint32_t max_frame_size);
  ~sasl_layer();
  sasl_layer(const sasl_layer&) = delete;
  sasl_layer& operator=(const sasl_layer&) = delete;

  state status() const noexcept { return state_; }
  // Where the exchange stood when the peer's input ended before it finished: "the client left
  // after our offer [ANONYMOUS] without choosing a mechanism".
  std::string interrupted() const;
  bool finished() const noexcept { return state_ == state::done || state_ == state::failed; }
  // Why the exchange failed (amqp:unauthorized-access and a description); set once failed.
  const std::optional<condition>& failure() const noexcept { return failure_; }
  // The mechanism chosen, and the authenticated user once done (empty for ANONYMOUS).
  const std::string& mechanism() const noexcept { return mechanism_; }
  const std::string& user() const noexcept { return user_; }

  // TLS below completed its handshake: PLAIN may be used, and a server offers EXTERNAL when
  // the client presented a certificate, whose subject is then its identity. A client with a
  // certificate of its own (`own_certificate`) may choose EXTERNAL without being told to.
  void secure(std::string peer_subject, bool own_certificate);

  // Client: writes the SASL protocol header.
  void start(writer& out);
  // The peer's protocol header, the first item of its stream.
  void on_header(const protocol_header& h, writer& out);
  // A SASL frame of the peer (its performative decoded by the frame reader).
  void on_frame(const frame_view& f, writer& out);

  // Server decisions on a sasl_auth_requested. accept(): ANONYMOUS and PLAIN succeed.
  // reject(): the exchange fails (for SCRAM after a challenge that cannot be told from a real
  // one). scram_credentials(): SCRAM goes on with the user's stored keys. errc::wrong_state
  // when no decision is awaited (or accept() for SCRAM, which needs the credentials);
  // errc::invalid_argument for credentials of another mechanism or malformed ones.
  std::error_code accept(writer& out);
  std::error_code reject(writer& out);
  std::error_code scram_credentials(const amqp::scram_credentials& credentials, writer& out);

 private:
  void on_client_frame(const frame_view& f, writer& out);
  void on_server_frame(const frame_view& f, writer& out);
  void on_mechanisms(const frame_view& f, writer& out);
  void on_outcome(const frame_view& f);
  void on_init(const frame_view& f, writer& out);
  void on_response(const frame_view& f, writer& out);
  // Writes a SASL frame if it fits in one; otherwise fails the exchange and returns false.
  template <class T>
  bool send(writer& out, const T& performative);
  // Ends the exchange with an outcome (server); false when an ok one did not fit (a failed
  // one went out instead, and the exchange failed).
  bool outcome(writer& out, bool ok, bytes_view additional_data = {});
  // A step of a Cyrus mechanism: a challenge goes out, a success awaits the application.
  void on_cyrus_step(const cyrus_server_step& step, sasl_auth_requested request, writer& out);
  void fail(std::string description);
  void succeed();
  std::string who() const;  // "for user 'alice' with mechanism PLAIN"
  bool offers(const std::string& mechanism) const;
  // What this server offers on this connection, in its configured order (views into it).
  std::vector<symbol_view> offer() const;

  const sasl_client_options* client_;
  const sasl_server_options* server_;
  random_source& random_;
  bool secure_;
  std::uint32_t max_frame_size_;
  ring<event>& events_;
  state state_ = state::idle;
  std::optional<condition> failure_;
  std::string mechanism_;
  std::string user_;
  std::uint32_t rounds_ = 0;
  bool peer_header_ = false;  // the peer's SASL protocol header arrived
  std::unique_ptr<sasl_client_mechanism> client_mech_;
  std::unique_ptr<scram_server> scram_;
  std::unique_ptr<cyrus_server> cyrus_;
  std::vector<std::uint8_t> success_data_;  // Cyrus: the outcome's additional data on accept()
  std::vector<std::uint8_t> scram_secret_;
  std::string external_identity_;  // server: the TLS client certificate's subject
  bool own_certificate_ = false;   // client: TLS below presents a certificate of ours
};

// A copy of a SASL frame fit for a trace: the initial-response of a sasl-init and the response
// of a sasl-response (credentials, proofs) are replaced by their length, also in such a frame
// that does not decode. Other frames are returned as they are. `scratch` holds the copy's bytes.
frame_view redact_sasl_frame(const frame_view& f, writer& scratch);

}  // namespace amqp::detail
