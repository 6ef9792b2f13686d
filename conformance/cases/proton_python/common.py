"""What every case of Qpid Proton's case client shares: the run of one case on one Proton
reactor, the record of what the peer did, and helpers for links and messages.

A case is a sequence of steps, each waiting for something the peer must do. `Run.wait` pumps
the reactor (`Container.process`, as `proton.utils.BlockingConnection` does) until a step's
condition holds, so a case reads top to bottom while Proton's event handlers (`Recorder`)
keep the state. Anything the peer does that no step asked for (an endpoint closed with or
without an error, a refused attach, a lost transport) is recorded as the case's failure and
ends the case at the next wait, with that as the evidence.
"""

import json
import re
import sys
import time
import uuid

from proton import (Array, Data, Delivery, Endpoint, Handler, Link, Message,
                    SSLDomain, Terminus, symbol)
from proton.reactor import Container

CONTAINER_ID = "conformance-proton-python"


class Fail(Exception):
    """The case failed; the argument is the evidence."""


class NotApplicable(Exception):
    """The case cannot be expressed, or its precondition is not met; the argument says why."""


def pattern(size):
    """`size` bytes where byte i is (i*31+7) mod 256 (the pattern repeats every 256 bytes)."""
    block = bytes((i * 31 + 7) % 256 for i in range(256))
    return (block * (size // 256 + 1))[:size]


def describe(condition):
    """An error condition as evidence: `name: description`, or `no error`."""
    if condition is None:
        return "no error"
    if condition.description:
        return "%s: %s" % (condition.name, stable(condition.description))
    return str(condition.name)


def stable(text, limit=160):
    """A peer's description without what changes from run to run: Erlang process ids and
    binaries (RabbitMQ puts its crash reports there), and the tail of a long one."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"<\d+\.\d+\.\d+>", "<pid>", text)
    text = re.sub(r"<<[\d,]*>>", "<<...>>", text)
    return text if len(text) <= limit else text[:limit] + "..."


def symbols(value):
    """The symbols of a decoded symbol, symbol array or list of symbols; None when some element
    is not a symbol."""
    if value is None:
        return []
    if isinstance(value, symbol):
        return [value]
    if isinstance(value, Array):
        return list(value.elements) if value.type == Data.SYMBOL else None
    if isinstance(value, (list, tuple)):
        return list(value) if all(isinstance(v, symbol) for v in value) else None
    return None


def link_kind(link):
    if link.is_receiver:
        return "receiver"
    return "coordinator" if link.target.type == Terminus.COORDINATOR else "sender"


def closed_by_peer(endpoint):
    return bool(endpoint.state & Endpoint.REMOTE_CLOSED)


def opened_by_peer(endpoint):
    return bool(endpoint.state & (Endpoint.REMOTE_ACTIVE | Endpoint.REMOTE_CLOSED))


class Received:
    """A message that arrived on a receiver, with its delivery still to be settled."""

    def __init__(self, delivery, data):
        self.delivery = delivery
        self.size = len(data)
        self.settled_on_arrival = delivery.settled
        self.message = Message()
        self.message.decode(data)

    @property
    def body(self):
        return self.message.body

    def settle(self, outcome=Delivery.ACCEPTED, condition=None, failed=False):
        if condition:
            self.delivery.local.condition = condition
        self.delivery.local.failed = failed
        self.delivery.update(outcome)
        self.delivery.settle()


class Recorder(Handler):
    """Proton's event handler for a run: keeps each receiver's messages, each sent delivery's
    outcome, and the first thing the peer did that the case did not ask for."""

    def __init__(self, run):
        super().__init__()
        self.run = run

    def on_connection_bound(self, event):
        # Proton's log lines (enabled by PN_LOG, e.g. why a TLS handshake failed) are kept for
        # the case; frames go to the case's tracer when it follows them on the wire
        tracer = getattr(event.connection, "frame_tracer", None)
        if tracer:
            event.transport.trace(event.transport.TRACE_FRM)

        def sink(transport, line):
            if line.startswith("FRAME:"):
                if tracer:
                    tracer(transport, line)
            else:
                self.run.log.append(line)
        event.transport.tracer = sink

    def on_connection_remote_open(self, event):
        self.run.opens += 1

    def on_connection_remote_close(self, event):
        conn = event.connection
        if conn.state & Endpoint.LOCAL_ACTIVE and not self.run.tolerate_disconnect:
            self.run.failed("connection closed by the peer: %s" % describe(conn.remote_condition))

    def on_session_remote_close(self, event):
        ssn = event.session
        if ssn.state & Endpoint.LOCAL_ACTIVE and not self.run.tolerate_disconnect:
            self.run.failed("session ended by the peer: %s" % describe(ssn.remote_condition))

    def on_link_remote_close(self, event):
        link = event.link
        if getattr(link, "detaching", False) or not link.state & Endpoint.LOCAL_ACTIVE:
            link.detach_answer = "closed=true, " + describe(link.remote_condition)
            return
        if self.run.tolerate_disconnect:
            return
        # a refusal is an attach with a null terminus followed at once by the detach (2.6.3)
        terminus = link.remote_source if link.is_receiver else link.remote_target
        what = "attach refused" if terminus.type == Terminus.UNSPECIFIED else "link detached"
        self.run.failed("%s %s by the peer: %s" % (
            link_kind(link), what, describe(link.remote_condition)))

    def on_link_remote_detach(self, event):
        link = event.link
        if getattr(link, "detaching", False) or not link.state & Endpoint.LOCAL_ACTIVE:
            link.detach_answer = "closed=false, " + describe(link.remote_condition)
        elif not self.run.tolerate_disconnect:
            self.run.failed("%s link detached (closed=false) by the peer: %s" % (
                link_kind(link), describe(link.remote_condition)))

    def on_transport_error(self, event):
        if self.run.tolerate_disconnect:
            return
        self.run.failed("connection failed: %s" % describe(event.transport.condition))

    def on_transport_closed(self, event):
        conn = event.connection
        if self.run.tolerate_disconnect:
            self.run.disconnects += 1
        elif conn is not None and not closed_by_peer(conn):
            self.run.failed("connection lost without the peer's close")

    def on_link_flow(self, event):
        link = event.link
        if link.is_receiver:
            link.drained_total = getattr(link, "drained_total", 0) + link.drained()

    def on_delivery(self, event):
        dlv = event.delivery
        link = dlv.link
        if link.is_receiver:
            if dlv.aborted:
                dlv.settle()
            elif dlv.readable and not dlv.partial:
                link.inbox.append(Received(dlv, link.recv(dlv.pending)))
                link.advance()
        elif dlv.updated and dlv.settled:
            dlv.outcome = dlv.remote_state
            dlv.settle()


class Run:
    """One case: its parameters, one Proton container, the deadline, what the peer did."""

    def __init__(self, params):
        self.p = params
        self.deadline = time.monotonic() + max(1.0, float(params.get("timeout", 30)) - 1.0)
        self.failure = None
        self.log = []
        self.tolerate_disconnect = False  # while the case expects the connection to drop
        self.disconnects = 0
        self.opens = 0
        self.connections = []
        self.container = Container(Recorder(self))
        self.container.container_id = CONTAINER_ID
        self.container.start()
        # a timer far ahead keeps the reactor from finishing while no connection is open
        self.container.schedule(10 ** 6, Handler())

    def failed(self, evidence):
        if self.failure is None:
            self.failure = evidence

    def check(self):
        if self.failure is not None:
            raise Fail(self.failure)

    def _pump(self, until):
        self.container.timeout = max(0.0, min(until - time.monotonic(), 1.0))
        self.container.process()

    def wait(self, cond, what, until=None):
        """Pump until cond() holds; Fail on anything the peer did unasked or at the deadline.
        `what` names what the step waits for, or is a function saying it at that time."""
        until = min(until or self.deadline, self.deadline)
        while not cond():
            self.check()
            if time.monotonic() >= self.deadline:
                raise Fail("timed out waiting for " + (what() if callable(what) else what))
            self._pump(until)

    def within(self, seconds, cond=lambda: False):
        """Pump for `seconds` or until cond() holds (True), failing as `wait` does."""
        end = time.monotonic() + seconds
        self.wait(lambda: cond() or time.monotonic() >= end,
                  lambda: "the end of a %g s wait" % seconds, until=end)
        return cond()

    def progress(self, count):
        """A progress line for the runner (it restarts the broker on reconnect's)."""
        sys.stdout.write(json.dumps({"progress": "sent", "count": count}) + "\n")
        sys.stdout.flush()

    def ssl_domain(self):
        domain = SSLDomain(SSLDomain.MODE_CLIENT)
        ca = self.p.get("ca")
        if ca:
            domain.set_trusted_ca_db(ca)
            # Proton matches the name against the certificate's DNS names only
            domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME, ca)
        if self.p.get("cert"):
            domain.set_credentials(self.p["cert"], self.p["key"], None)
        return domain

    def default_mechs(self):
        # "" is the client's default; Proton's own would pick EXTERNAL whenever TLS is up, even
        # with no client certificate to present, so ask for what the credentials given mean
        if self.p.get("mechs"):
            return self.p["mechs"]
        if self.p.get("cert"):
            return "EXTERNAL"
        return "PLAIN" if self.p.get("user") else "ANONYMOUS"

    def connect(self, wait_open=True, frame_tracer=None, **overrides):
        """A connection to the broker with the case's TLS and SASL settings; `overrides` are
        Container.connect options (max_frame_size, heartbeat, allowed_mechs, user, ...)."""
        opts = dict(reconnect=False, allow_insecure_mechs=True)
        url = self.p["url"]
        if url.startswith("amqps:"):
            opts["ssl_domain"] = self.ssl_domain()
            opts["sni"] = self.p.get("server_name") or "localhost"
        if self.p.get("sasl", True) is False:
            opts["sasl_enabled"] = False
        else:
            opts["allowed_mechs"] = self.default_mechs()
            if self.p.get("user"):
                opts["user"] = self.p["user"]
                opts["password"] = self.p.get("password", "")
        opts.update(overrides)
        conn = self.container.connect(url, **opts)
        # set before the reactor binds a transport to the connection (Recorder.on_connection_bound)
        conn.frame_tracer = frame_tracer
        self.connections.append(conn)
        if wait_open:
            self.wait(lambda: opened_by_peer(conn), "the peer's open")
            self.check()
        return conn

    def session(self, conn, incoming_capacity=None):
        ssn = conn.session()
        if incoming_capacity is not None:
            ssn.incoming_capacity = incoming_capacity
        ssn.open()
        return ssn

    def close(self, endpoint, what):
        """Close (or end, or detach with closed=true) and wait for the peer's answer; for a
        link, the answer as `closed=..., condition`."""
        endpoint.close()
        if isinstance(endpoint, Link):
            self.wait(lambda: hasattr(endpoint, "detach_answer"), what)
            return endpoint.detach_answer
        self.wait(lambda: closed_by_peer(endpoint), what)
        return None

    def detach(self, link, what):
        """Detach with closed=false; the peer's answer, as `closed=..., condition`."""
        link.detaching = True
        link.detach()
        self.wait(lambda: hasattr(link, "detach_answer"), what)
        return link.detach_answer

    def close_all(self):
        """Close what is still open, giving the peer a moment to answer."""
        open_ones = [c for c in self.connections if c.state & Endpoint.LOCAL_ACTIVE]
        for conn in open_ones:
            conn.close()
        end = min(time.monotonic() + 2.0, self.deadline + 0.5)
        while time.monotonic() < end and not all(
                closed_by_peer(c) or c.transport is None for c in open_ones):
            self._pump(end)

    def sender(self, ssn, address, name=None, configure=None, wait_attach=True):
        snd = ssn.sender(name or "sender-" + uuid.uuid4().hex[:12])
        snd.target.address = address
        if configure:
            configure(snd)
        snd.open()
        if wait_attach:
            self.attached(snd)
        return snd

    def receiver(self, ssn, address, credit=0, name=None, configure=None, wait_attach=True):
        rcv = ssn.receiver(name or "receiver-" + uuid.uuid4().hex[:12])
        rcv.inbox = []
        if address is not None:
            rcv.source.address = address
        if configure:
            configure(rcv)
        rcv.open()
        if wait_attach:
            self.attached(rcv)
        if credit:
            rcv.flow(credit)
        return rcv

    def attached(self, link):
        """Wait for the peer's attach; a refusal (null terminus, then detach) fails the case."""
        kind = link_kind(link)
        self.wait(lambda: opened_by_peer(link), "the peer's attach of the " + kind)
        terminus = link.remote_source if link.is_receiver else link.remote_target
        if terminus.type == Terminus.UNSPECIFIED:
            self.within(2.0, lambda: closed_by_peer(link))
            self.check()
            raise Fail("%s attach answered with a null %s and no detach" % (
                kind, "source" if link.is_receiver else "target"))
        self.check()

    def send_accepted(self, snd, messages):
        """Send unsettled and require the outcome accepted for each (Recorder.on_delivery
        keeps the outcome once the peer settles)."""
        dlvs = [snd.send(m) for m in messages]
        for i, dlv in enumerate(dlvs):
            self.wait(lambda: hasattr(dlv, "outcome"),
                      "the outcome of message %d of %d" % (i + 1, len(dlvs)))
            if dlv.outcome != Delivery.ACCEPTED:
                raise Fail("message %d of %d got the outcome %s, not accepted%s" % (
                    i + 1, len(dlvs), state_name(dlv.outcome), reason(dlv)))

    def receive(self, rcv, count, what=None):
        """Wait until the receiver holds `count` messages; they are returned, not settled."""
        self.wait(lambda: len(rcv.inbox) >= count,
                  what or (lambda: "message %d of %d" % (len(rcv.inbox) + 1, count)))
        return rcv.inbox[:count]

    def roundtrip(self, conn, body, what):
        """Send `body` to the case's address and receive it back on a new session of `conn`;
        the body that came back."""
        ssn = self.session(conn)
        snd = self.sender(ssn, self.p["address"])
        rcv = self.receiver(ssn, self.p["address"], credit=1)
        self.send_accepted(snd, [Message(body=body)])
        got = self.receive(rcv, 1, what)[0]
        got.settle()
        return got.body

    def put(self, conn, address, bodies):
        """Put messages on `address` over a session and link of their own, each accepted."""
        snd = self.sender(self.session(conn), address)
        self.send_accepted(snd, [Message(body=b) for b in bodies])


def state_name(state):
    names = {Delivery.ACCEPTED: "accepted", Delivery.REJECTED: "rejected",
             Delivery.RELEASED: "released", Delivery.MODIFIED: "modified",
             Delivery.RECEIVED: "received", 0x33: "declared", 0x34: "transactional-state"}
    return names.get(state, "none" if not state else "0x%x" % state)


def reason(dlv):
    cond = dlv.remote.condition
    return " (%s)" % describe(cond) if cond else ""

