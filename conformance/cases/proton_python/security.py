"""Part 5 security: SASL mechanisms, TLS verification, no SASL layer."""

import re

from proton import SASL

from common import Fail, NotApplicable, opened_by_peer

OUTCOMES = {SASL.OK: "ok", SASL.AUTH: "auth", SASL.SYS: "sys", SASL.PERM: "sys-perm",
            SASL.TEMP: "sys-temp"}


class SaslWatch:
    """The mechanisms offered, the sasl-outcome code and the opens seen on the wire (Proton's
    frame trace)."""

    def __init__(self):
        self.mechanisms = []
        self.code = None
        self.opens = 0

    def __call__(self, transport, line):
        if "@sasl-mechanisms(64)" in line:
            self.mechanisms = re.findall(r":([A-Z0-9-]+)", line)
        outcome = re.search(r"@sasl-outcome\(68\) \[code=(\w+)", line)
        if outcome:
            self.code = int(outcome.group(1), 0)
        elif " @open(16)" in line:
            self.opens += 1

    def offers(self, mechanism):
        if self.mechanisms and mechanism not in self.mechanisms:
            raise Fail("the peer's sasl-mechanisms do not offer %s (%s)"
                       % (mechanism, " ".join(self.mechanisms)))


def opens_with(run, mechanism, **options):
    sasl = SaslWatch()
    conn = run.connect(wait_open=False, allowed_mechs=mechanism, frame_tracer=sasl, **options)
    run.wait(lambda: run.failure or opened_by_peer(conn), "the peer's open")
    sasl.offers(mechanism)
    run.check()
    return "SASL %s accepted and the peer opened" % mechanism


def anonymous(run):
    return opens_with(run, "ANONYMOUS", user=None, password=None)


def plain(run):
    return opens_with(run, "PLAIN")


def scram(run):
    # Proton does SCRAM only through Cyrus SASL, and Debian's Proton is built without it
    if not SASL.extended():
        raise NotApplicable("Qpid Proton's Python API has no SCRAM-SHA-256 here: its SASL is "
                            "built without Cyrus SASL (SASL.extended() is false)")
    return opens_with(run, "SCRAM-SHA-256")


def external(run):
    return opens_with(run, "EXTERNAL")


def refused(run, conn, what):
    """Wait for the connection to fail before the peer's open; the failure's evidence."""
    run.wait(lambda: run.failure or opened_by_peer(conn), what)
    if opened_by_peer(conn):
        raise Fail("the peer opened the connection")
    evidence, run.failure = run.failure, None
    return evidence


def plain_refused(run):
    sasl = SaslWatch()
    conn = run.connect(wait_open=False, allowed_mechs="PLAIN", frame_tracer=sasl)
    failure = refused(run, conn, "the SASL outcome")
    sasl.offers("PLAIN")
    if sasl.code is None:
        raise Fail("the connection failed with no SASL outcome: " + failure)
    if sasl.code != SASL.AUTH:
        raise Fail("the SASL outcome has code %s, not auth (%s)"
                   % (OUTCOMES.get(sasl.code, sasl.code), failure))
    if sasl.opens:
        raise Fail("an open was exchanged despite the refusal")
    return "the SASL outcome refused PLAIN with code auth and no open was exchanged (%s)" \
        % failure


def tls_verified(run):
    conn = run.connect()
    if not conn.transport.encrypted:
        raise Fail("the connection is not encrypted")
    if run.roundtrip(conn, "over TLS", "the message sent over TLS") != "over TLS":
        raise Fail("the message sent over TLS came back different")
    return "the broker's certificate verified against the CA and the server name; a message " \
        "went there and back"


def hostname_mismatch(run):
    # Proton's SSL log is where it says the name did not match (client.py enables it)
    return any("no name matching" in line for line in run.log)


def tls_wrong_ca(run):
    failure = refused(run, run.connect(wait_open=False), "the TLS handshake to fail")
    if "certificate verify failed" not in failure or hostname_mismatch(run):
        raise Fail("the connection failed otherwise than on the certificate: " + failure)
    return "the TLS handshake failed before any open, on the certificate (%s)" % failure


def tls_wrong_name(run):
    failure = refused(run, run.connect(wait_open=False), "the TLS handshake to fail")
    if not hostname_mismatch(run):
        raise Fail("the connection failed otherwise than on the host name: " + failure)
    return "the TLS handshake failed before any open on the host name (Proton: no name " \
        "matching the server name in the broker's certificate)"


def no_sasl(run):
    run.connect(sasl_enabled=False)
    return "without a SASL layer, the peer opened"


CASES = {
    "anonymous": anonymous,
    "plain": plain,
    "plain_refused": plain_refused,
    "scram": scram,
    "external": external,
    "tls_verified": tls_verified,
    "tls_wrong_ca": tls_wrong_ca,
    "tls_wrong_name": tls_wrong_name,
    "no_sasl": no_sasl,
}
