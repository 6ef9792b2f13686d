#!/usr/bin/env python3
"""Checks proton-test-broker with Proton-Python clients (and one raw-frame client).

Starts the broker on a free port and runs the scenarios below. Exit 0 when all
pass, 1 on a failure, 77 when the Python 'proton' module is missing.

    /usr/bin/python3 conformance/peers/test_proton_test_broker.py [-v]
"""

import itertools
import os
import socket
import struct
import subprocess
import sys
import time

try:
    from proton import (Data, Delivery, Described, Message, Terminus, symbol,
                        ubyte, uint, ulong)
    from proton.handlers import MessagingHandler, TransactionHandler
    from proton.reactor import AtMostOnce, Container, Copy, Selector
except ImportError:
    sys.stderr.write("SKIP: the Python 'proton' module is missing\n")
    sys.exit(77)

HERE = os.path.dirname(os.path.abspath(__file__))
BROKER = os.path.join(HERE, "proton_test_broker.py")
TXN_STATE = 0x34
VERBOSE = "-v" in sys.argv


class Failure(Exception):
    pass


def check(condition, what):
    if not condition:
        raise Failure(what)


# ----------------------------------------------------------------------------
# A small synchronous client on Proton's Container
# ----------------------------------------------------------------------------

class Client(MessagingHandler, TransactionHandler):
    def __init__(self, url):
        super().__init__(prefetch=0, auto_accept=False, auto_settle=True)
        self.received = {}          # receiver name -> [(delivery, message)]
        self.txn_events = {}        # Transaction -> [event name]
        self.txn_failures = {}      # Transaction -> remote condition
        self._names = itertools.count(1)
        self.container = Container(self)
        self.container.timeout = 0.05
        self.container.start()
        self.conn = self.container.connect(url, reconnect=False)
        self.run_until(lambda: self.conn.state & self.conn.REMOTE_ACTIVE, "connection open")

    # -- event loop -----------------------------------------------------
    def run_until(self, predicate, what, timeout=5.0):
        deadline = time.monotonic() + timeout
        while not predicate():
            if time.monotonic() > deadline:
                raise Failure("timed out waiting for " + what)
            if not self.container.process() and not predicate():
                raise Failure("client stopped while waiting for " + what)

    def run_for(self, seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if not self.container.process():
                raise Failure("client stopped")

    # -- links ----------------------------------------------------------
    def sender(self, address, **kw):
        kw.setdefault("name", "s-%d" % next(self._names))
        link = self.container.create_sender(self.conn, address, **kw)
        self.run_until(lambda: link.state & link.REMOTE_ACTIVE, "sender attach")
        return link

    def receiver(self, address, **kw):
        kw.setdefault("name", "r-%d" % next(self._names))
        link = self.container.create_receiver(self.conn, address, **kw)
        self.run_until(lambda: link.state & link.REMOTE_ACTIVE, "receiver attach")
        self.received.setdefault(link.name, [])
        return link

    def coordinator_link(self, name):
        link = self.container.create_sender(self.conn, None, name=name)
        link.target.type = Terminus.COORDINATOR
        link.target.capabilities.put_object(symbol("amqp:local-transactions"))
        self.run_until(lambda: link.state & link.REMOTE_ACTIVE and link.credit > 0,
                       "coordinator attach")
        return link

    def on_link_error(self, event):
        pass  # the scenario checks remote conditions itself; keep the connection

    def on_message(self, event):
        self.received.setdefault(event.receiver.name, []).append((event.delivery, event.message))

    def bodies(self, receiver):
        return [m.body for _, m in self.received.get(receiver.name, [])]

    def take(self, receiver, count, what, timeout=5.0):
        """Grant `count` credit and wait for that many new messages."""
        before = len(self.received.get(receiver.name, []))
        receiver.flow(count)
        self.run_until(lambda: len(self.received.get(receiver.name, [])) >= before + count,
                       what, timeout)
        return self.received[receiver.name][before:before + count]

    def send(self, sender, body, txn=None, **props):
        msg = Message(body=body, **props)
        self.run_until(lambda: sender.credit > 0, "credit to send")
        return txn.send(sender, msg) if txn else sender.send(msg)

    def wait_outcome(self, delivery, what):
        self.run_until(lambda: delivery.remote_state != 0 or delivery.settled, what)
        return delivery.remote_state

    # -- transactions ---------------------------------------------------
    def declare(self):
        txn = self.container.declare_transaction(self.conn, handler=self)
        self.run_until(lambda: txn.id is not None or txn in self.txn_events, "declared")
        check(txn.id is not None, "declare failed")
        return txn

    def _note(self, event, name):
        self.txn_events.setdefault(event.transaction, []).append(name)

    def on_transaction_declared(self, event):
        pass

    def on_transaction_committed(self, event):
        self._note(event, "committed")

    def on_transaction_aborted(self, event):
        self._note(event, "aborted")

    def on_transaction_declare_failed(self, event):
        self._note(event, "declare_failed")

    def on_transaction_commit_failed(self, event):
        self._note(event, "commit_failed")
        self.txn_failures[event.transaction] = event.delivery.remote.condition

    def discharge(self, txn, fail):
        seen = len(self.txn_events.get(txn, []))
        txn.discharge(fail)
        self.run_until(lambda: len(self.txn_events.get(txn, [])) > seen, "discharge outcome")
        return self.txn_events[txn][-1]

    def close(self):
        self.conn.close()
        try:
            self.run_until(lambda: self.conn.state & self.conn.REMOTE_CLOSED, "close", 3)
        finally:
            self.container.stop()


# ----------------------------------------------------------------------------
# Scenarios
# ----------------------------------------------------------------------------

def is_txn_accepted(delivery, txn):
    data = delivery.remote.data or []
    if delivery.remote_state != TXN_STATE or len(data) < 2 or data[0] != txn.id:
        return False
    outcome = data[1]
    return isinstance(outcome, Described) and int(outcome.descriptor) == 0x24


def test_transactional_send(url):
    """A rolled-back transactional send never arrives; a committed one arrives once."""
    c = Client(url)
    r = c.receiver("t-send")
    r.flow(10)
    s = c.sender("t-send")

    txn = c.declare()
    d = c.send(s, "rolled-back", txn)
    c.wait_outcome(d, "answer to a transactional send")
    check(is_txn_accepted(d, txn), "transactional send answered with transactional-state(accepted), "
          "got %r %r" % (d.remote_state, d.remote.data))
    c.run_for(0.3)
    check(c.bodies(r) == [], "held message visible before discharge")
    check(c.discharge(txn, True) == "aborted", "rollback accepted")
    c.run_for(0.3)
    check(c.bodies(r) == [], "rolled-back message arrived")

    txn = c.declare()
    d = c.send(s, "committed", txn)
    c.wait_outcome(d, "answer to a transactional send")
    c.run_for(0.2)
    check(c.bodies(r) == [], "held message visible before commit")
    check(c.discharge(txn, False) == "committed", "commit accepted")
    c.run_until(lambda: c.bodies(r), "committed message")
    c.run_for(0.3)
    check(c.bodies(r) == ["committed"], "committed message arrives exactly once: %r" % c.bodies(r))
    c.close()


def test_transactional_accept(url):
    """A transactional accept rolled back makes the message deliverable again;
    committed, the message is gone."""
    c = Client(url)
    s = c.sender("t-accept")
    check(c.wait_outcome(c.send(s, "m1"), "accept of plain send") == Delivery.ACCEPTED,
          "plain send accepted")
    r = c.receiver("t-accept")
    [(d1, m1)] = c.take(r, 1, "first delivery")

    txn = c.declare()
    txn.update(d1, Delivery.ACCEPTED)      # transactional disposition, not settled
    check(c.discharge(txn, True) == "aborted", "rollback")
    c.run_until(lambda: d1.settled, "broker settles the rolled-back delivery")
    check(d1.remote_state == Delivery.RELEASED, "rolled-back delivery settled as released")
    [(d2, m2)] = c.take(r, 1, "redelivery after rollback")
    check(m2.body == "m1", "same message delivered again")

    txn = c.declare()
    txn.accept(d2)
    check(c.discharge(txn, False) == "committed", "commit")
    c.run_until(lambda: d2.settled, "broker settles the committed delivery")
    check(d2.remote_state == Delivery.ACCEPTED, "committed delivery settled as accepted")
    r.flow(1)
    c.run_for(0.3)
    check(c.bodies(r) == ["m1", "m1"], "nothing after commit: %r" % c.bodies(r))
    c.close()


def test_unknown_txn(url):
    """Discharging an unknown or already discharged txn-id is rejected with
    amqp:transaction:unknown-id; bad control messages are rejected too."""
    c = Client(url)
    txn = c.declare()
    check(c.discharge(txn, False) == "committed", "commit")
    check(c.discharge(txn, False) == "commit_failed", "second discharge rejected")
    cond = c.txn_failures.get(txn)
    check(cond is not None and cond.name == "amqp:transaction:unknown-id",
          "condition amqp:transaction:unknown-id, got %r" % (cond,))

    txn = c.declare()
    txn.id = b"no-such-transaction"
    check(c.discharge(txn, False) == "commit_failed", "forged id rejected")
    check(c.txn_failures[txn].name == "amqp:transaction:unknown-id", "forged id condition")

    ctl = c.coordinator_link("raw-ctl")
    junk = ctl.send(Message(body="neither declare nor discharge"))
    check(c.wait_outcome(junk, "junk answer") == Delivery.REJECTED, "junk rejected")
    check(junk.remote.condition and junk.remote.condition.name == "amqp:decode-error",
          "junk rejected with amqp:decode-error")
    glob = ctl.send(Message(body=Described(symbol("amqp:declare:list"), [b"global"])))
    check(c.wait_outcome(glob, "global declare answer") == Delivery.REJECTED, "global-id rejected")
    check(glob.remote.condition and glob.remote.condition.name == "amqp:not-implemented",
          "global-id rejected with amqp:not-implemented")
    c.close()


def test_close_rolls_back(url):
    """Closing (or dropping) a connection with an open transaction rolls it back."""
    setup = Client(url)
    s = setup.sender("t-close-src")
    setup.wait_outcome(setup.send(s, "to-accept"), "preload")
    s2 = setup.sender("t-drop-src")
    setup.wait_outcome(setup.send(s2, "to-accept-dropped"), "preload")
    setup.close()

    # Clean close.
    c = Client(url)
    txn = c.declare()
    out = c.sender("t-close")
    c.wait_outcome(c.send(out, "held", txn), "transactional send")
    r = c.receiver("t-close-src")
    [(d, _)] = c.take(r, 1, "delivery to accept")
    txn.accept(d)
    c.run_for(0.2)
    c.close()

    # Abrupt drop: a child process does the same and exits without closing.
    child = subprocess.run([sys.executable, os.path.abspath(__file__), "--child-drop", url],
                           capture_output=True, text=True, timeout=15)
    check(child.returncode == 0 and "ready" in child.stdout,
          "child client: rc=%s out=%r err=%r" % (child.returncode, child.stdout, child.stderr[-500:]))

    v = Client(url)
    held = v.receiver("t-close")
    held.flow(5)
    dropped_held = v.receiver("t-drop")
    dropped_held.flow(5)
    again = v.take(v.receiver("t-close-src"), 1, "message accepted in the closed connection's txn")
    check(again[0][1].body == "to-accept", "accepted message available again")
    again = v.take(v.receiver("t-drop-src"), 1, "message accepted in the dropped connection's txn")
    check(again[0][1].body == "to-accept-dropped", "accepted message available again after drop")
    v.run_for(0.3)
    check(v.bodies(held) == [] and v.bodies(dropped_held) == [],
          "held transactional sends were dropped: %r %r" % (v.bodies(held), v.bodies(dropped_held)))
    v.close()


def child_drop(url):
    c = Client(url)
    txn = c.declare()
    out = c.sender("t-drop")
    c.wait_outcome(c.send(out, "held", txn), "transactional send")
    r = c.receiver("t-drop-src")
    [(d, _)] = c.take(r, 1, "delivery to accept")
    txn.accept(d)
    c.run_for(0.2)
    sys.stdout.write("ready\n")
    sys.stdout.flush()
    os._exit(0)


def test_messaging(url):
    """Round robin, release, pre-settled, browse, selector, anonymous relay, dynamic."""
    c = Client(url)
    a, b = c.receiver("t-rr"), c.receiver("t-rr")
    a.flow(2)
    b.flow(2)
    c.run_for(0.1)
    s = c.sender("t-rr")
    for i in range(4):
        c.send(s, "rr%d" % i)
    c.run_until(lambda: len(c.bodies(a)) + len(c.bodies(b)) == 4, "round robin")
    check(c.bodies(a) == ["rr0", "rr2"] and c.bodies(b) == ["rr1", "rr3"],
          "round robin: %r %r" % (c.bodies(a), c.bodies(b)))
    first = c.received[a.name][0][0]
    first.update(Delivery.RELEASED)
    first.settle()
    for dlv, _ in c.received[a.name][1:] + c.received[b.name]:
        dlv.update(Delivery.ACCEPTED)
        dlv.settle()
    [(d, m)] = c.take(b, 1, "released message again")
    check(m.body == "rr0", "released message comes back")
    d.local.failed = True
    d.update(Delivery.MODIFIED)
    d.settle()
    [(d, m)] = c.take(b, 1, "modified message again")
    check(m.body == "rr0" and m.delivery_count == 1, "modified(delivery-failed) counts the delivery")
    d.update(Delivery.ACCEPTED)
    d.settle()
    b.drain(3)
    c.run_until(lambda: not b.draining() and b.credit == 0, "drain on an empty queue")

    s2 = c.sender("t-sel")
    for colour in ("red", "green", "red", "green"):
        c.send(s2, colour, properties={"colour": colour, "n": 7})
    browser = c.receiver("t-sel", options=Copy())
    check(browser.remote_source.distribution_mode == Terminus.DIST_MODE_COPY, "copy echoed")
    check(len(c.take(browser, 4, "browse")) == 4, "browsed four")
    sel = c.receiver("t-sel", options=Selector("colour = 'green' AND n > 5 AND NOT missing IS NOT NULL"))
    echoed = sel.remote_source.filter
    echoed.rewind()
    echoed.next()
    check("apache.org:selector-filter:string" in str(echoed.get_object()), "selector echoed")
    c.take(sel, 2, "selected")
    check(c.bodies(sel) == ["green", "green"], "selector: %r" % c.bodies(sel))

    check("ANONYMOUS-RELAY" in (c.conn.remote_offered_capabilities or []), "relay offered")
    reply = c.receiver(None, dynamic=True)
    addr = reply.remote_source.address
    check(addr, "dynamic source address")
    relay = c.sender(None)
    check(c.wait_outcome(c.send(relay, "via relay", address=addr), "relay") == Delivery.ACCEPTED,
          "relay accepted")
    c.take(reply, 1, "relayed message")
    check(c.bodies(reply) == ["via relay"], "relayed body")
    at_most_once = c.receiver("t-sel", options=AtMostOnce())
    [(d, _)] = c.take(at_most_once, 1, "pre-settled delivery")
    check(d.settled, "pre-settled consumer got a settled delivery")
    c.close()


def test_transactional_acquisition(url):
    """Flow with properties {txn-id}: transfers carry transactional-state; rollback
    makes the acquired message available again (raw frames: Proton cannot send
    flow properties)."""
    c = Client(url)
    s = c.sender("t-acquire")
    c.wait_outcome(c.send(s, "acquire-me"), "preload")

    raw = RawClient(url)
    raw.attach_coordinator()
    raw.attach_receiver("t-acquire")
    txn_id = raw.declare()
    raw.flow(handle=1, credit=1, properties={symbol("txn-id"): txn_id})
    transfer = raw.wait_for(lambda p, f: p == 0x14 and f[0] == 1, "transfer")
    state = transfer[7] if len(transfer) > 7 else None
    check(isinstance(state, Described) and int(state.descriptor) == TXN_STATE
          and state.value[0] == txn_id,
          "acquired transfer carries transactional-state(%r), got %r" % (txn_id, state))
    raw.discharge(txn_id, fail=True)
    raw.close()

    r = c.receiver("t-acquire")
    [(_, m)] = c.take(r, 1, "message after acquisition rollback")
    check(m.body == "acquire-me", "acquired message back after rollback")
    c.close()


def test_bad_input(url):
    """Bad input gets the right AMQP error and the broker carries on."""
    junk = socket.create_connection(tuple_of(url), timeout=5)
    junk.sendall(b"AMQP\x00\x01\x00\x00" + b"\x00\x00\x00\x10\x02\x00\x00\x00garbage!")
    junk.settimeout(4)
    try:
        while junk.recv(4096):
            pass
    except OSError:
        raise Failure("broker kept a connection open after garbage input")
    junk.close()

    c = Client(url)
    bad = c.container.create_receiver(c.conn, "t-bad", name="bad-selector",
                                      options=Selector("colour = = 'x'"))
    c.run_until(lambda: bad.state & bad.REMOTE_CLOSED, "bad selector refused")
    check(bad.remote_condition and bad.remote_condition.name == "amqp:invalid-field",
          "bad selector closed with amqp:invalid-field, got %r" % (bad.remote_condition,))

    s = c.sender("t-bad")
    d = s.send(Message(body="unknown txn"))
    d.local.data = [b"no-such-txn"]
    d.update(TXN_STATE)
    c.wait_outcome(d, "transfer under an unknown txn")
    check(d.remote_state == Delivery.REJECTED and d.remote.condition.name == "amqp:transaction:unknown-id",
          "transfer under an unknown txn rejected with unknown-id")
    c.wait_outcome(c.send(s, "plain"), "plain send")
    r = c.receiver("t-bad")
    [(d, _)] = c.take(r, 1, "message to dispose")
    d.local.data = [b"no-such-txn", Described(ulong(0x24), [])]
    d.update(TXN_STATE)
    c.run_until(lambda: r.state & r.REMOTE_CLOSED, "disposition under an unknown txn")
    check(r.remote_condition.name == "amqp:transaction:unknown-id", "unknown-id on disposition")
    r2 = c.receiver("t-bad")
    check(c.take(r2, 1, "message back after the link closed")[0][1].body == "plain", "message kept")

    raw = RawClient(url)
    raw.attach_coordinator()
    raw.attach_receiver("t-bad")
    raw.flow(handle=1, credit=1, properties={symbol("txn-id"): b"txn-bogus"})
    check(raw.detach_error(1) == "amqp:transaction:unknown-id", "flow with unknown txn-id")
    raw.control(Described(ulong(0x31), []), settled=True)
    check(raw.detach_error(0) == "amqp:illegal-state", "pre-settled declare detached")
    raw.close()
    c.close()


def tuple_of(url):
    host, port = url.rsplit(":", 1)
    return host, int(port)


class RawClient:
    """Just enough AMQP framing to send a flow with properties."""

    def __init__(self, url):
        host, port = url.rsplit(":", 1)
        self.sock = socket.create_connection((host, int(port)), timeout=5)
        self.buf = b""
        self.next_id = 0
        self.sock.sendall(b"AMQP\x00\x01\x00\x00")
        self._read(8)
        self.send(0x10, ["raw-client"])
        self.send(0x11, [None, uint(0), uint(1000), uint(1000)])
        self.wait_for(lambda p, f: p == 0x11, "begin")

    def _read(self, n):
        while len(self.buf) < n:
            chunk = self.sock.recv(65536)
            if not chunk:
                raise Failure("raw client: connection closed")
            self.buf += chunk
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def send(self, code, fields, payload=b""):
        data = Data()
        data.put_object(Described(ulong(code), fields))
        body = data.encode() + payload
        self.sock.sendall(struct.pack(">IBBH", 8 + len(body), 2, 0, 0) + body)

    def frame(self):
        size, doff, _, _ = struct.unpack(">IBBH", self._read(8))
        rest = self._read(size - 8)[(doff * 4) - 8:]
        if not rest:
            return None, None                       # heartbeat
        data = Data()
        used = data.decode(rest)
        data.rewind()
        data.next()
        value = data.get_object()
        del used
        return int(value.descriptor), value.value

    def wait_for(self, predicate, what, errors_ok=False):
        while True:
            code, fields = self.frame()
            if code is None:
                continue
            if not errors_ok and code in (0x16, 0x18) and fields and fields[-1]:
                raise Failure("raw client: peer detached/closed: %r" % (fields,))
            if predicate(code, fields):
                return fields

    def attach_coordinator(self):
        source = Described(ulong(0x28), [None, None, None, None, None, None, None, None, None,
                                         [symbol("amqp:accepted:list"), symbol("amqp:rejected:list")]])
        target = Described(ulong(0x30), [symbol("amqp:local-transactions")])
        self.send(0x12, ["raw-ctl", uint(0), False, ubyte(2), ubyte(0), source, target,
                         None, None, uint(0)])
        self.wait_for(lambda p, f: p == 0x12 and f[1] == 0, "coordinator attach")
        self.wait_for(lambda p, f: p == 0x13 and len(f) > 4 and f[4] == 0, "coordinator credit")

    def attach_receiver(self, address):
        self.send(0x12, ["raw-rcv", uint(1), True, ubyte(2), ubyte(0),
                         Described(ulong(0x28), [address]), Described(ulong(0x29), [])])
        self.wait_for(lambda p, f: p == 0x12 and f[1] == 1, "receiver attach")

    def detach_error(self, handle):
        """Wait for the broker to detach `handle`; return its error condition name."""
        fields = self.wait_for(lambda p, f: p == 0x16 and f[0] == handle, "detach", errors_ok=True)
        error = fields[2] if len(fields) > 2 else None
        return str(error.value[0]) if isinstance(error, Described) else None

    def control(self, body, settled=False):
        payload = Message(body=body).encode()
        delivery_id = self.next_id
        self.next_id += 1
        self.send(0x14, [uint(0), uint(delivery_id), b"%d" % delivery_id, uint(0), settled], payload)
        if settled:
            return None

        def answers_it(code, fields):   # a disposition from the receiving role covering it
            if code != 0x15 or fields[0] is not True:
                return False
            last = fields[2] if len(fields) > 2 and fields[2] is not None else fields[1]
            return fields[1] <= delivery_id <= last
        return self.wait_for(answers_it, "control outcome")

    def declare(self):
        disposition = self.control(Described(ulong(0x31), []))
        state = disposition[4]
        check(isinstance(state, Described) and int(state.descriptor) == 0x33, "declared: %r" % (state,))
        return state.value[0]

    def discharge(self, txn_id, fail):
        disposition = self.control(Described(ulong(0x32), [txn_id, fail]))
        check(int(disposition[4].descriptor) == 0x24, "discharge accepted")

    def flow(self, handle, credit, properties):
        self.send(0x13, [uint(0), uint(1000), uint(self.next_id), uint(1000), uint(handle), uint(0),
                         uint(credit), None, False, False, properties])

    def close(self):
        self.send(0x18, [])
        try:
            self.wait_for(lambda p, f: p == 0x18, "close")
        finally:
            self.sock.close()


# ----------------------------------------------------------------------------

def start_broker():
    cmd = [sys.executable, BROKER, "-a", "127.0.0.1:0"] + (["-v"] if VERBOSE else [])
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=None if VERBOSE else subprocess.PIPE,
                            text=True)
    line = proc.stdout.readline().strip()
    prefix = "proton-test-broker listening on "
    if not line.startswith(prefix):
        proc.kill()
        raise Failure("broker did not start: %r %s" % (line, proc.stderr.read() if proc.stderr else ""))
    return proc, line[len(prefix):]


def main():
    if len(sys.argv) == 3 and sys.argv[1] == "--child-drop":
        child_drop(sys.argv[2])
        return 1
    started = time.monotonic()
    proc, url = start_broker()
    tests = [test_transactional_send, test_transactional_accept, test_unknown_txn,
             test_close_rolls_back, test_messaging, test_transactional_acquisition, test_bad_input]
    failed = 0
    try:
        for test in tests:
            t0 = time.monotonic()
            try:
                test(url)
                print("PASS %s (%.1fs)" % (test.__name__, time.monotonic() - t0))
            except Exception as exc:  # report and go on with the next scenario
                failed += 1
                print("FAIL %s: %s: %s" % (test.__name__, type(exc).__name__, exc))
            sys.stdout.flush()
            if proc.poll() is not None:
                print("FAIL broker exited with %s" % proc.returncode)
                failed += 1
                break
    finally:
        if proc.poll() is None:
            proc.terminate()
            try:
                rc = proc.wait(5)
            except subprocess.TimeoutExpired:
                proc.kill()
                rc = "killed"
            if rc != 0:
                print("FAIL broker exit status after SIGTERM: %s" % rc)
                failed += 1
        errors = proc.stderr.read() if proc.stderr else ""
        if "ERROR" in errors or "Traceback" in errors:
            print("FAIL broker logged errors:\n" + errors[-3000:])
            failed += 1
    print("%s: %d scenario(s), %d failed, %.1fs" % ("FAIL" if failed else "OK", len(tests), failed,
                                                     time.monotonic() - started))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
