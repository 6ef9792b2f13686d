"""The conformance cases, suite by suite, named after the parts of the AMQP 1.0 specification.

Each case is played by a *case client*, one per implementation under test (our library on each
binding, and Qpid Proton's Python binding beside it), as

    CLIENT --case NAME --params JSON

PARAMS is a JSON object made by the runner (conformance/run.py):

    url          "amqp://127.0.0.1:PORT" or "amqps://127.0.0.1:PORT"
    ca           CA file to verify the broker with (TLS), "" when none
    server_name  the name to verify and send as SNI ("localhost")
    cert, key    client certificate and key to present (TLS), "" when none
    user, password   for PLAIN or SCRAM; "" when none
    mechs        allowed SASL mechanisms, space separated; "" means the client's default
    sasl         false: no SASL layer at all (plain AMQP header)
    address, address2   fresh queue names, unique to this run of this case
    timeout      seconds the whole case may take
    plus the case's own parameters (Case.params below).

The client prints JSON lines on stdout and exits 0; the last line is the verdict:

    {"result": "pass" | "fail" | "n/a", "evidence": "what was seen"}

"fail" says what was seen on the wire or in events that the case did not expect: the first
departure, naming the performative, condition and description (`session ended by the peer:
amqp:internal-error: ...`, `received 4 messages through the selector, expected 2`). The
expectation files match a recorded deviation against this text, so it must be specific and
stable (no ports, timestamps or random names in it). "n/a" is for a case the implementation
cannot express (its API has no such control) or whose precondition the broker does not meet as
seen on the wire (say which). A non-zero exit or no verdict line is a failure of the client.

A case that must be interrupted prints progress lines, `{"progress": "sent", "count": N}`,
and the runner acts on them (reconnect.broker_restart: it restarts the broker once `count`
reaches `restart_after`).

Type fidelity (the `types` suite) is not played by the case clients: the runner sends every
value of conformance/interop/values through each broker with the implementation's interop
sender and receiver (conformance/interop/README.md) and compares what comes back.
"""

from dataclasses import dataclass, field

PLAIN, TLS, CLIENT_CERT = "amqp", "amqps", "amqps-client-cert"


@dataclass(frozen=True)
class Case:
    name: str             # "suite.case"
    text: str             # what the client does and what counts as a pass
    endpoint: str = PLAIN  # which of the broker's endpoints the case connects to
    auth: str = "anonymous"  # anonymous | plain | bad-password | external | scram | none
    needs: frozenset = frozenset()  # broker features without which the case cannot be tried
    params: dict = field(default_factory=dict)
    full_params: dict = field(default_factory=dict)  # replaces params outside the CI run
    ci: bool = True        # part of the run that `./run.sh test` makes
    alone: bool = False    # runs by itself: it restarts the broker, or may bring one down
    timeout: int = 15      # a peer that never answers fails the case after this long

    @property
    def suite(self):
        return self.name.split(".")[0]


def _cases():
    c = Case
    return [
        # --- Part 2.4 connections -----------------------------------------------------------
        c("connection.open_close",
          "Open (container-id given), wait for the peer's open, close without error. Pass when "
          "the peer answers with a close that carries no error."),
        c("connection.peer_open_fields",
          "Open and read the peer's open: container-id must not be empty, max-frame-size at "
          "least 512 (2.7.1), every offered capability a symbol. Pass when all hold; evidence "
          "names the field and its value."),
        c("connection.max_frame_size",
          "Open with max-frame-size 512, send a message with a binary body of `size` bytes "
          "(byte i = (i*31+7) mod 256) to `address` and receive it back on the same connection. "
          "Pass when the body comes back equal (the peer had to split it into 512-byte frames).",
          params={"size": 20000}),
        c("connection.heartbeats_received",
          "Open with idle-time-out 1000 ms, then send nothing for `idle_seconds`. Pass when the "
          "connection is still open (the peer sent frames at least every second, 2.4.5) and a "
          "message sent to `address` then comes back.",
          params={"idle_seconds": 3.5}),
        c("connection.heartbeats_sent",
          "Open with no idle-time-out and read the peer's. n/a when it advertises none. Else "
          "stay idle (no application traffic) for its idle-time-out times 1.5 plus 1 s: the "
          "client must keep the connection alive with empty frames. Pass when the connection "
          "is still open and a message sent to `address` then comes back.",
          ci=False, timeout=150),
        c("connection.close_with_error",
          "Open, then close with the error amqp:internal-error, description "
          "\"conformance close\". Pass when the peer answers with its close."),
        # --- Part 2.5 sessions --------------------------------------------------------------
        c("session.begin_end",
          "Begin a session, end it. Pass when the peer's end arrives without error and a new "
          "session on the same connection then sends a message to `address` and receives it."),
        c("session.incoming_window",
          "Put `count` messages of 1000-byte binary bodies on `address` (one session), then "
          "receive them on another session whose incoming-window is 2 transfers (max-frame-size "
          "4096, link credit `count`). Pass when all arrive in order and the peer never "
          "exceeded the window (2.5.6).",
          params={"count": 20}),
        c("session.many",
          "Begin `count` sessions on one connection; on each, a sender and a receiver on its "
          "own address `address`-N; one message each. Pass when every receiver gets its own.",
          params={"count": 16}),
        # --- Part 2.6 links -----------------------------------------------------------------
        c("link.attach_detach",
          "Attach a sender and a receiver on `address`, then detach both with closed=true. "
          "Pass when the peer's attaches name the same addresses and its detaches arrive "
          "without error."),
        c("link.credit",
          "Send 10 messages to `address`. Attach a receiver with no credit, grant 4: exactly "
          "4 must arrive (wait 1 s for extras); grant 6 more: the other 6 arrive, in order."),
        c("link.drain",
          "Send 3 messages to `address`. Attach a receiver and grant credit 10 with drain=true. "
          "Pass when the 3 messages arrive and then the peer's flow ends the drain (link "
          "credit 0, delivery-count advanced by 10, 2.6.7)."),
        c("link.echo",
          "Attach a receiver on `address` with credit 5 and send a flow with echo=true. Pass "
          "when the peer answers with a flow for that link (2.7.4).", alone=True),
        c("link.dynamic_source",
          "Attach a receiver with a dynamic source. Pass when the peer's attach gives it an "
          "address and a message sent to that address comes back through the receiver."),
        c("link.anonymous_relay",
          "Open and look for ANONYMOUS-RELAY in the peer's offered capabilities; attach a "
          "sender with a null target and send a message whose `to` is `address`; receive it "
          "from `address`. Pass when it arrives. Evidence names a missing capability or the "
          "refusal."),
        c("link.selector",
          "Send 4 messages to `address` with application property colour = red, blue, red, "
          "green. Attach a receiver with the filter apache.org:selector-filter:string "
          "\"colour = 'red'\". Pass when exactly the 2 red messages arrive (wait 1 s for "
          "extras) and the peer's attach echoes the filter."),
        c("link.durable_terminus",
          "Attach a receiver named after `address` whose source is durable (unsettled-state) "
          "with expiry-policy never; check the peer's source echoes that durability; detach "
          "with closed=false; send a message to `address` through a target of the same "
          "durability (a broker may refuse to see one queue as durable and not); attach again "
          "with the same name. "
          "Pass when the message arrives through the re-attached link.",
          alone=True),
        # --- Part 2.6.12 and 2.7.5 transfers -----------------------------------------------
        c("transfer.multi_frame",
          "Open with max-frame-size 4096. For each size in `sizes`, send one message with a "
          "binary body of that size (byte i = (i*31+7) mod 256) to `address` and receive it. "
          "Pass when every body comes back equal.",
          params={"sizes": [1048576]},
          full_params={"sizes": [1048576, 4194304, 10485760]}, timeout=120),
        c("transfer.aborted",
          "Open with max-frame-size 4096. On `address`, send part of a 1 MiB message (at least "
          "3 frames), abort it (aborted=true), then send a message with body \"after abort\". "
          "Pass when a receiver on `address` gets only \"after abort\".",
          alone=True),
        c("transfer.max_message_size",
          "Send a message with a 4096-byte body, then one with a 100-byte body, to `address`. "
          "Attach a receiver with max-message-size 1024 and credit 2. Pass when no message "
          "over 1024 bytes arrives within 2 s (the peer may hold it or detach the link; "
          "2.7.3). Evidence says what the peer did."),
        # --- Part 3.4 delivery states and 2.6.12/2.8 settlement -----------------------------
        c("delivery.accepted",
          "Send 5 messages to `address` unsettled. Pass when each gets the outcome accepted "
          "and is settled."),
        c("delivery.rejected",
          "Send A and B. Receive A and reject it (amqp:internal-error); receive B and accept it. "
          "Pass when a new receiver on `address` then gets nothing within 1 s."),
        c("delivery.released",
          "Send A. Receive it and release it. Pass when a new receiver on `address` gets A "
          "again."),
        c("delivery.modified",
          "Send A. Receive it and settle it modified with delivery-failed=true. Pass when a new "
          "receiver on `address` gets A again with header delivery-count 1 (3.4.5)."),
        c("delivery.presettled_send",
          "Attach a sender with snd-settle-mode settled and send 5 messages settled. Pass when "
          "a receiver on `address` gets all 5."),
        c("delivery.presettled_receive",
          "Send 5 messages. Attach a receiver asking snd-settle-mode settled (at most once). "
          "Pass when the peer's attach confirms settled and all 5 arrive already settled."),
        c("delivery.rcv_settle_second",
          "Send 1 message. Attach a receiver with rcv-settle-mode second. Pass when the message "
          "arrives and its outcome completes under the mode the peer's attach confirms: with "
          "second, the peer settles after our accepted disposition and we settle last; with "
          "first, as usual."),
        c("delivery.unsettled_returned_on_close",
          "Send A. Receive it without settling, then close the connection. Pass when a receiver "
          "on a new connection gets A again."),
        # --- Part 5 security ----------------------------------------------------------------
        c("security.anonymous",
          "Connect with SASL ANONYMOUS. Pass when the peer opens.", auth="anonymous",
          needs=frozenset({"sasl-anonymous"})),
        c("security.plain",
          "Connect with SASL PLAIN as `user`/`password` (over plain TCP, allowed for the test). "
          "Pass when the peer opens.", auth="plain", needs=frozenset({"sasl-plain"})),
        c("security.plain_refused",
          "Connect with SASL PLAIN as `user` with a wrong `password`. Pass when the SASL "
          "outcome refuses it (code auth) and no open is exchanged.", auth="bad-password",
          needs=frozenset({"sasl-plain"})),
        c("security.scram",
          "Connect with SASL SCRAM-SHA-256 as `user`/`password`. Pass when the peer opens.",
          auth="scram", needs=frozenset({"sasl-scram"})),
        c("security.external",
          "Connect with TLS, presenting the client certificate, and SASL EXTERNAL. Pass when "
          "the peer opens.", endpoint=CLIENT_CERT, auth="external",
          needs=frozenset({"sasl-external"})),
        c("security.tls_verified",
          "Connect with TLS, verifying the broker's certificate against `ca` and "
          "`server_name`; send a message to `address` and receive it.", endpoint=TLS,
          needs=frozenset({"tls"})),
        c("security.tls_wrong_ca",
          "Connect with TLS verifying against `ca`, which did not sign the broker's "
          "certificate. Pass when the connection fails in the TLS handshake, before any AMQP "
          "open, with a certificate verification error.", endpoint=TLS,
          needs=frozenset({"tls"})),
        c("security.tls_wrong_name",
          "Connect with TLS, verifying against the right `ca` but the name "
          "`server_name` = \"wrong.invalid\". Pass when the connection fails in the TLS "
          "handshake with a host name error.", endpoint=TLS, needs=frozenset({"tls"})),
        c("security.no_sasl",
          "Connect without a SASL layer (AMQP header 0.1.0.0 first). Pass when the peer opens.",
          auth="none", needs=frozenset({"no-sasl"})),
        # --- Part 4 transactions ------------------------------------------------------------
        c("transactions.commit_send",
          "Declare a transaction, send 2 messages to `address` in it, commit. Pass when a "
          "receiver then gets both."),
        c("transactions.rollback_send",
          "Declare, send 2 messages in it, roll back; then send 1 message outside any "
          "transaction. Pass when a receiver gets only that one (wait 1 s for extras)."),
        c("transactions.commit_accept",
          "Send 2 messages. Declare, receive both and accept them in the transaction, commit. "
          "Pass when a new receiver gets nothing within 1 s."),
        c("transactions.rollback_accept",
          "Send 2 messages. Declare, receive both and accept them in the transaction, roll "
          "back. Pass when a new receiver gets both again (the acceptances were undone)."),
        # --- reconnect ------------------------------------------------------------------------
        c("reconnect.broker_restart",
          "With reconnect on (first retry within 0.5 s), send `count` durable messages "
          "(message-id \"m-N\", header durable) at least once to `address` through a target "
          "with durability configuration (a broker may keep only a queue declared durable "
          "across a restart; the receiver's source says the same), printing "
          "{\"progress\": \"sent\", \"count\": N} after each accepted one; the runner restarts "
          "the broker at `restart_after`. Keep sending across the reconnect, resending every "
          "in-doubt message; then receive from `address` until every id m-0..m-(count-1) came "
          "back. Pass when none is lost (duplicates allowed; say how many in the evidence).",
          needs=frozenset({"durable"}), params={"count": 200, "restart_after": 50},
          timeout=120, alone=True),
    ]


CASES = _cases()
BY_NAME = {case.name: case for case in CASES}
SUITES = sorted({case.suite for case in CASES})
