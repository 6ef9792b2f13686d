#!/usr/bin/env python3
"""proton-test-broker: an in-memory AMQP 1.0 broker on Qpid Proton's Python API.

It is a conformance peer for this project's tests: one process, every node held
in memory, listening on 127.0.0.1 only. Written from the AMQP 1.0 specification
(Part 2 transport, Part 3 messaging, Part 4 transactions) and Proton's public
Python API. See README.md next to this file for what it supports.

Design in one paragraph: a *node* is a named FIFO of *entries* (the encoded
message bytes plus an arrival number). Each attached link gets a small state
object: a *Producer* (peer sends to us), a *Consumer* (we send to the peer) or a
*Coordinator* (the transaction control link). A consumer keeps a *Lease* for
every delivery it has sent but whose fate is still open; a *Txn* collects the
work done under one transaction id (held postings, claimed leases) and applies
or undoes it on discharge. Transactional acquisition needs the `properties` map
of incoming flow frames, which Proton's API does not expose; the broker reads it
from Proton's frame trace (see ConnState.on_frame).
"""

import argparse
import bisect
import itertools
import re
import signal
import sys
import traceback
import uuid

try:
    from proton import (UNDESCRIBED, Array, Condition, Data, Delivery, Described, Endpoint,
                        Message, SSLDomain, SSL, Terminus, Transport, Link, symbol, ulong)
    from proton.reactor import Container
except ImportError:  # pragma: no cover
    sys.stderr.write("proton-test-broker: the Python 'proton' module is missing "
                     "(Debian: apt-get install python3-qpid-proton)\n")
    sys.exit(77)

PROGRAM = "proton-test-broker"

# Described-type codes (AMQP domain 0x00000000), from the specification.
CODE_ERROR = 0x1d
CODE_ACCEPTED = 0x24
CODE_REJECTED = 0x25
CODE_RELEASED = 0x26
CODE_MODIFIED = 0x27
CODE_DECLARE = 0x31
CODE_DISCHARGE = 0x32
CODE_DECLARED = 0x33
CODE_TXN_STATE = 0x34
SELECTOR_CODE = 0x0000468C00000004

OUTCOME_NAMES = {
    "amqp:accepted:list": CODE_ACCEPTED,
    "amqp:rejected:list": CODE_REJECTED,
    "amqp:released:list": CODE_RELEASED,
    "amqp:modified:list": CODE_MODIFIED,
}
DECLARE_NAMES = ("amqp:declare:list", CODE_DECLARE)
DISCHARGE_NAMES = ("amqp:discharge:list", CODE_DISCHARGE)
SELECTOR_NAME = "apache.org:selector-filter:string"

TXN_CAPABILITIES = ("amqp:local-transactions", "amqp:multi-txns-per-ssn")
CONNECTION_CAPABILITIES = ("ANONYMOUS-RELAY",)

# Error conditions used by the broker.
E_DECODE = "amqp:decode-error"
E_NOT_IMPLEMENTED = "amqp:not-implemented"
E_UNKNOWN_TXN = "amqp:transaction:unknown-id"
E_ILLEGAL_STATE = "amqp:illegal-state"
E_INVALID_FIELD = "amqp:invalid-field"
E_NOT_FOUND = "amqp:not-found"
E_INTERNAL = "amqp:internal-error"
E_DELETED = "amqp:resource-deleted"


class Log:
    """stderr logging; `info` only with -v, `error` always."""

    def __init__(self, verbose):
        self.verbose = verbose

    def info(self, fmt, *args):
        if self.verbose:
            self._write(fmt % args if args else fmt)

    def error(self, fmt, *args):
        self._write("ERROR " + (fmt % args if args else fmt))

    @staticmethod
    def _write(text):
        sys.stderr.write("%s: %s\n" % (PROGRAM, text))
        sys.stderr.flush()


def descriptor_code(descriptor, names):
    """Map a descriptor (symbol or ulong) onto a code using `names` {symbol: code}."""
    if isinstance(descriptor, int):
        return int(descriptor)
    return names.get(str(descriptor))


def outcome_label(code):
    return {CODE_ACCEPTED: "accepted", CODE_REJECTED: "rejected",
            CODE_RELEASED: "released", CODE_MODIFIED: "modified"}.get(code, "0x%x" % code)


def txn_label(txn_id):
    if isinstance(txn_id, bytes):
        return txn_id.decode("ascii", "backslashreplace")
    return repr(txn_id)


# ----------------------------------------------------------------------------
# JMS selector subset (apache.org:selector-filter:string)
# ----------------------------------------------------------------------------

class SelectorError(Exception):
    pass


_TOKEN = re.compile(r"""
    \s*(?:
      (?P<str>'(?:[^']|'')*')
    | (?P<hex>0[xX][0-9a-fA-F]+)
    | (?P<num>(?:\d+\.\d*|\.\d+|\d+)(?:[eE][+-]?\d+)?)[lLfFdD]?
    | (?P<op><>|<=|>=|=|<|>|\(|\)|,|\+|-|\*|/)
    | (?P<word>[A-Za-z_$][A-Za-z0-9_$.]*)
    )""", re.VERBOSE)

_KEYWORDS = {"AND", "OR", "NOT", "IS", "NULL", "TRUE", "FALSE", "LIKE", "ESCAPE",
             "IN", "BETWEEN"}

# Message header fields a JMS selector may name, read from the AMQP message.
_JMS_FIELDS = {
    "JMSMessageID": lambda m: None if m.id is None else str(m.id),
    "JMSCorrelationID": lambda m: None if m.correlation_id is None else str(m.correlation_id),
    "JMSPriority": lambda m: m.priority,
    "JMSTimestamp": lambda m: int(m.creation_time * 1000) if m.creation_time else None,
    "JMSType": lambda m: m.subject,
    "JMSDeliveryMode": lambda m: "PERSISTENT" if m.durable else "NON_PERSISTENT",
}


class Selector:
    """A parsed selector; `matches(message)` is true only when it evaluates to TRUE
    (SQL three-valued logic: None stands for UNKNOWN)."""

    def __init__(self, text):
        self.text = text
        self._tokens = self._scan(text)
        self._pos = 0
        self.tree = self._or()
        if self._peek() is not None:
            raise SelectorError("unexpected %r" % (self._peek()[1],))

    # -- scanner ----------------------------------------------------------
    @staticmethod
    def _scan(text):
        tokens, pos = [], 0
        text = text.rstrip()
        while pos < len(text):
            m = _TOKEN.match(text, pos)
            if not m or m.end() == pos:
                raise SelectorError("cannot read selector at %r" % text[pos:pos + 10])
            pos = m.end()
            kind = m.lastgroup
            value = m.group(kind)
            if kind == "str":
                tokens.append(("lit", value[1:-1].replace("''", "'")))
            elif kind == "hex":
                tokens.append(("lit", int(value, 16)))
            elif kind == "num":
                tokens.append(("lit", float(value) if re.search(r"[.eE]", value) else int(value)))
            elif kind == "op":
                tokens.append(("op", value))
            else:
                upper = value.upper()
                if upper == "TRUE":
                    tokens.append(("lit", True))
                elif upper == "FALSE":
                    tokens.append(("lit", False))
                elif upper in _KEYWORDS:
                    tokens.append(("kw", upper))
                else:
                    tokens.append(("id", value))
        return tokens

    # -- parser (recursive descent) --------------------------------------
    def _peek(self):
        return self._tokens[self._pos] if self._pos < len(self._tokens) else None

    def _take(self):
        tok = self._peek()
        if tok is None:
            raise SelectorError("selector ends too early")
        self._pos += 1
        return tok

    def _accept(self, kind, value):
        tok = self._peek()
        if tok is not None and tok[0] == kind and tok[1] == value:
            self._pos += 1
            return True
        return False

    def _expect(self, kind, value):
        if not self._accept(kind, value):
            raise SelectorError("expected %s" % value)

    def _or(self):
        node = self._and()
        while self._accept("kw", "OR"):
            node = ("or", node, self._and())
        return node

    def _and(self):
        node = self._not()
        while self._accept("kw", "AND"):
            node = ("and", node, self._not())
        return node

    def _not(self):
        if self._accept("kw", "NOT"):
            return ("not", self._not())
        return self._predicate()

    def _predicate(self):
        left = self._sum()
        for op in ("=", "<>", "<=", ">=", "<", ">"):
            if self._accept("op", op):
                return ("cmp", op, left, self._sum())
        if self._accept("kw", "IS"):
            negate = self._accept("kw", "NOT")
            self._expect("kw", "NULL")
            return ("null", left, negate)
        negate = self._accept("kw", "NOT")
        if self._accept("kw", "LIKE"):
            pattern = self._take()
            if pattern[0] != "lit" or not isinstance(pattern[1], str):
                raise SelectorError("LIKE needs a string pattern")
            escape = None
            if self._accept("kw", "ESCAPE"):
                escape = self._take()
                if escape[0] != "lit" or not isinstance(escape[1], str) or len(escape[1]) != 1:
                    raise SelectorError("ESCAPE needs a one-character string")
                escape = escape[1]
            return ("like", left, self._like_regex(pattern[1], escape), negate)
        if self._accept("kw", "BETWEEN"):
            low = self._sum()
            self._expect("kw", "AND")
            return ("between", left, low, self._sum(), negate)
        if self._accept("kw", "IN"):
            self._expect("op", "(")
            values = []
            while True:
                tok = self._take()
                if tok[0] != "lit":
                    raise SelectorError("IN needs literals")
                values.append(tok[1])
                if self._accept("op", ")"):
                    break
                self._expect("op", ",")
            return ("in", left, values, negate)
        if negate:
            raise SelectorError("NOT must precede LIKE, BETWEEN or IN here")
        return left

    @staticmethod
    def _like_regex(pattern, escape):
        out, i = [], 0
        while i < len(pattern):
            ch = pattern[i]
            if escape is not None and ch == escape and i + 1 < len(pattern):
                out.append(re.escape(pattern[i + 1]))
                i += 2
                continue
            out.append(".*" if ch == "%" else "." if ch == "_" else re.escape(ch))
            i += 1
        return re.compile("".join(out), re.DOTALL)

    def _sum(self):
        node = self._product()
        while True:
            if self._accept("op", "+"):
                node = ("arith", "+", node, self._product())
            elif self._accept("op", "-"):
                node = ("arith", "-", node, self._product())
            else:
                return node

    def _product(self):
        node = self._unary()
        while True:
            if self._accept("op", "*"):
                node = ("arith", "*", node, self._unary())
            elif self._accept("op", "/"):
                node = ("arith", "/", node, self._unary())
            else:
                return node

    def _unary(self):
        if self._accept("op", "-"):
            return ("neg", self._unary())
        if self._accept("op", "+"):
            return self._unary()
        tok = self._take()
        if tok == ("op", "("):
            node = self._or()
            self._expect("op", ")")
            return node
        if tok[0] == "lit":
            return ("lit", tok[1])
        if tok[0] == "id":
            return ("id", tok[1])
        raise SelectorError("unexpected %r" % (tok[1],))

    # -- evaluation --------------------------------------------------------
    def matches(self, message):
        if message is None:
            return False
        try:
            return self._eval(self.tree, message) is True
        except (ArithmeticError, TypeError, ValueError):
            return False

    @staticmethod
    def _value(value):
        """Normalise an AMQP value to bool, int, float or str (others stay as is)."""
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            return int(value)
        if isinstance(value, float):
            return float(value)
        if isinstance(value, str):
            return str(value)
        return value

    @staticmethod
    def _is_number(v):
        return isinstance(v, (int, float)) and not isinstance(v, bool)

    def _lookup(self, name, message):
        props = message.properties or {}
        if name in props:
            return self._value(props[name])
        field = _JMS_FIELDS.get(name)
        if field is not None:
            return self._value(field(message))
        return None

    def _eval(self, node, msg):
        kind = node[0]
        if kind == "lit":
            return node[1]
        if kind == "id":
            return self._lookup(node[1], msg)
        if kind == "and":
            a = self._eval(node[1], msg)
            if a is False:
                return False
            b = self._eval(node[2], msg)
            if b is False:
                return False
            return True if (a is True and b is True) else None
        if kind == "or":
            a = self._eval(node[1], msg)
            if a is True:
                return True
            b = self._eval(node[2], msg)
            if b is True:
                return True
            return False if (a is False and b is False) else None
        if kind == "not":
            v = self._eval(node[1], msg)
            return None if v is None else (not v) if isinstance(v, bool) else None
        if kind == "null":
            v = self._eval(node[1], msg)
            return (v is not None) if node[2] else (v is None)
        if kind == "cmp":
            return self._compare(node[1], self._eval(node[2], msg), self._eval(node[3], msg))
        if kind == "like":
            v = self._eval(node[1], msg)
            if not isinstance(v, str):
                return None
            hit = node[2].fullmatch(v) is not None
            return (not hit) if node[3] else hit
        if kind == "between":
            v, lo, hi = (self._eval(n, msg) for n in node[1:4])
            a, b = self._compare(">=", v, lo), self._compare("<=", v, hi)
            hit = None if (a is None or b is None) else (a and b)
            return hit if (hit is None or not node[4]) else (not hit)
        if kind == "in":
            v = self._eval(node[1], msg)
            if not isinstance(v, str):
                return None
            hit = v in node[2]
            return (not hit) if node[3] else hit
        if kind == "arith":
            a, b = self._eval(node[2], msg), self._eval(node[3], msg)
            if not (self._is_number(a) and self._is_number(b)):
                return None
            op = node[1]
            if op == "+":
                return a + b
            if op == "-":
                return a - b
            if op == "*":
                return a * b
            if b == 0:
                return None
            return a / b if (isinstance(a, float) or isinstance(b, float)) else int(a / b)
        if kind == "neg":
            v = self._eval(node[1], msg)
            return -v if self._is_number(v) else None
        raise SelectorError("bad node %r" % (kind,))

    def _compare(self, op, a, b):
        if a is None or b is None:
            return None
        if self._is_number(a) and self._is_number(b):
            pass
        elif isinstance(a, bool) and isinstance(b, bool):
            if op not in ("=", "<>"):
                return None
        elif isinstance(a, str) and isinstance(b, str):
            if op not in ("=", "<>"):
                return None
        else:
            return None  # different types never compare
        if op == "=":
            return a == b
        if op == "<>":
            return a != b
        if op == "<":
            return a < b
        if op == ">":
            return a > b
        if op == "<=":
            return a <= b
        return a >= b


# ----------------------------------------------------------------------------
# Nodes (queues) and their entries
# ----------------------------------------------------------------------------

class Entry:
    """One stored message: its encoded bytes and arrival number."""

    __slots__ = ("seq", "data", "_message", "_decoded", "refused_by")

    def __init__(self, data):
        self.seq = None
        self.data = data
        self._message = None
        self._decoded = False
        self.refused_by = set()  # ids of consumers that said undeliverable-here

    def message(self):
        """The decoded message, or None when the bytes do not decode."""
        if not self._decoded:
            self._decoded = True
            try:
                msg = Message()
                msg.decode(self.data)
                self._message = msg
            except Exception:
                self._message = None
        return self._message

    def modify(self, failed, annotations):
        """Apply a `modified` outcome before the entry is offered again."""
        if not failed and not annotations:
            return
        msg = self.message()
        if msg is None:
            return
        if failed:
            msg.delivery_count = (msg.delivery_count or 0) + 1
        if annotations:
            merged = dict(msg.annotations or {})
            merged.update(annotations)
            msg.annotations = merged
        self.data = msg.encode()
        self._message, self._decoded = None, False


class Node:
    """A queue: entries in arrival order, competing consumers served round robin."""

    def __init__(self, broker, name, dynamic=False):
        self.broker = broker
        self.name = name
        self.dynamic = dynamic
        self.deleted = False
        self.entries = []          # sorted by Entry.seq
        self.consumers = []        # Consumer objects, attach order
        self._next = 0             # round-robin position
        self._busy = False
        self._again = False

    def post(self, entry):
        """A new message arrives (or a transaction makes it visible)."""
        if self.deleted:
            return
        entry.seq = self.broker.next_seq()
        self.entries.append(entry)
        self.dispatch()

    def put_back(self, entry):
        """A message the broker had handed out is available again, in arrival order."""
        if self.deleted:
            return
        bisect.insort(self.entries, entry, key=lambda e: e.seq)
        self.dispatch()

    def take(self, consumer):
        """Remove and return the first entry `consumer` may have, or None."""
        for i, entry in enumerate(self.entries):
            if consumer.wants(entry):
                del self.entries[i]
                return entry
        return None

    def peek_after(self, consumer, seq):
        """For browsers: the first entry after arrival number `seq` they may see."""
        start = bisect.bisect_right(self.entries, seq, key=lambda e: e.seq)
        for entry in self.entries[start:]:
            if consumer.wants(entry):
                return entry
        return None

    def dispatch(self):
        """Give available entries to consumers with credit, one each in turn."""
        if self._busy:
            self._again = True
            return
        self._busy = True
        try:
            while True:
                self._again = False
                self._dispatch_round()
                if not self._again:
                    break
        finally:
            self._busy = False
        for consumer in list(self.consumers):
            consumer.finish_drain()

    def _dispatch_round(self):
        while self.entries:
            ring = list(self.consumers)   # offer_one may close a consumer
            if not ring:
                return
            served = False
            for step in range(len(ring)):
                index = (self._next + step) % len(ring)
                consumer = ring[index]
                if consumer.closed or consumer.credit() <= 0:
                    continue
                if consumer.offer_one(self):
                    self._next = index + 1
                    served = True
                    break
            if not served:
                return


# ----------------------------------------------------------------------------
# Transactions
# ----------------------------------------------------------------------------

class Txn:
    """Work done under one txn-id on one connection (spec Part 4, local transactions)."""

    def __init__(self, txn_id, conn, coordinator):
        self.id = txn_id
        self.conn = conn
        self.coordinator = coordinator
        self.live = True
        self.postings = []     # (node name, Entry) held until commit
        self.leases = {}       # Lease -> None, in claim order (acquired or retired here)

    def claim(self, lease):
        self.leases[lease] = None


class Lease:
    """A delivery a consumer received whose fate is still open."""

    __slots__ = ("entry", "node", "consumer", "delivery", "key", "acquired_in",
                 "retired_in", "outcome", "peer_settled", "settled_here")

    def __init__(self, entry, node, consumer, delivery, key):
        self.entry = entry
        self.node = node
        self.consumer = consumer
        self.delivery = delivery
        self.key = key
        self.acquired_in = None     # Txn the delivery was acquired under
        self.retired_in = None      # Txn that holds a provisional outcome
        self.outcome = None         # (code, failed, undeliverable, annotations)
        self.peer_settled = False
        self.settled_here = False

    def owning_txn(self):
        for txn in (self.retired_in, self.acquired_in):
            if txn is not None and txn.live:
                return txn
        return None

    def settle(self, code=None):
        if not self.settled_here:
            self.settled_here = True
            try:
                if code is not None and not self.peer_settled:
                    self.delivery.update(code)
                self.delivery.settle()
            except Exception:
                pass  # the link or connection is already gone


# ----------------------------------------------------------------------------
# Link states
# ----------------------------------------------------------------------------

_ids = itertools.count(1)


class LinkState:
    kind = "link"

    def __init__(self, broker, conn, link):
        self.id = next(_ids)
        self.broker = broker
        self.conn = conn
        self.link = link
        self.closed = False
        self.label = "%s/%s" % (conn.label, link.name)

    def on_delivery(self, delivery):
        pass

    def on_flow(self):
        pass

    def leave_node(self):
        pass

    def release_all(self):
        pass

    def close_with(self, name, description):
        """Close our end with an error condition, then forget the link."""
        self.broker.log.info("%s %s: detach with %s (%s)", self.kind, self.label, name, description)
        if not self.closed:
            self.broker.link_gone(self)
        try:
            self.link.condition = Condition(name, description)
            self.link.close()
        except Exception:
            pass


def mirror(local, remote, kind):
    """Answer with the peer's terminus. Proton reports a terminus without an
    address as UNSPECIFIED; answer it as a plain source/target, not as null."""
    local.copy(remote)
    if local.type == Terminus.UNSPECIFIED:
        local.type = kind


def read_payload(link, delivery):
    chunks = []
    while True:
        chunk = link.recv(max(delivery.pending, 1024))
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def error_described(name, description):
    return Described(ulong(CODE_ERROR), [symbol(name), description, None])


class Incoming(LinkState):
    """Common part of links on which the peer sends to the broker."""

    def grant(self):
        want = self.broker.credit
        have = self.link.credit
        if have <= want // 2:
            self.link.flow(want - have)

    def complete(self, delivery):
        """Return the payload once the whole delivery is in, else None."""
        if delivery.aborted:
            self.broker.log.info("%s %s: aborted delivery dropped", self.kind, self.label)
            if self.link.current == delivery:
                self.link.advance()
            delivery.settle()
            self.grant()
            return None
        if delivery.partial or not delivery.readable:
            return None
        if self.link.current != delivery:
            return None
        data = read_payload(self.link, delivery)
        self.link.advance()
        self.grant()
        return data

    @staticmethod
    def answer(delivery, code, condition=None, txn=None):
        """Settle an incoming delivery with an outcome (inside transactional-state
        when it was transactional)."""
        if not delivery.settled:
            if txn is not None:
                fields = [] if condition is None else [error_described(*condition)]
                delivery.local.data = [txn.id, Described(ulong(code), fields)]
                delivery.update(CODE_TXN_STATE)
            else:
                if condition is not None:
                    delivery.local.condition = Condition(*condition)
                delivery.update(code)
        delivery.settle()


class Producer(Incoming):
    """Peer sends messages to a node (or, with a null target, to each message's `to`)."""

    kind = "producer"

    def __init__(self, broker, conn, link, address, owns_node=None):
        super().__init__(broker, conn, link)
        self.address = address
        self.owns_node = owns_node

    def on_delivery(self, delivery):
        data = self.complete(delivery)
        if data is None:
            return
        txn = None
        if delivery.remote_state == CODE_TXN_STATE:
            txn_id = _first(delivery.remote.data)
            txn = self.broker.find_txn(self.conn, txn_id)
            if txn is None:
                self.broker.log.info("%s %s: transfer names unknown txn %s", self.kind,
                                     self.label, txn_label(txn_id))
                self.answer(delivery, Delivery.REJECTED,
                            (E_UNKNOWN_TXN, "unknown transaction %s" % txn_label(txn_id)))
                return
        entry = Entry(data)
        name = self.address
        if name is None:
            msg = entry.message()
            if msg is None:
                self.answer(delivery, CODE_REJECTED, (E_DECODE, "message does not decode"), txn)
                return
            name = msg.address
            if not name:
                self.answer(delivery, CODE_REJECTED,
                            (E_NOT_FOUND, "anonymous relay needs the message's 'to'"), txn)
                return
        if name in self.broker.gone:
            self.answer(delivery, CODE_REJECTED,
                        (E_NOT_FOUND, "node %s was deleted" % name), txn)
            return
        if txn is not None:
            txn.postings.append((name, entry))
            self.answer(delivery, CODE_ACCEPTED, None, txn)
            self.broker.log.info("txn %s: holds a message for %s", txn_label(txn.id), name)
        else:
            self.answer(delivery, CODE_ACCEPTED)
            self.broker.node(name).post(entry)

    def release_all(self):
        if self.owns_node is not None:
            self.broker.delete_node(self.owns_node)


def _first(data):
    if isinstance(data, (list, tuple)) and data:
        return data[0]
    return None


class Coordinator(Incoming):
    """The transaction coordinator target (spec Part 4, 4.2)."""

    kind = "coordinator"

    def __init__(self, broker, conn, link):
        super().__init__(broker, conn, link)
        outcomes = _symbols(link.remote_source.outcomes) if link.remote_source else []
        self.may_reject = (not outcomes) or ("amqp:rejected:list" in outcomes)

    def on_delivery(self, delivery):
        data = self.complete(delivery)
        if data is None:
            return
        if delivery.settled:
            self.close_with(E_ILLEGAL_STATE, "transaction control messages must not be pre-settled")
            return
        try:
            msg = Message()
            msg.decode(data)
            body = msg.body
        except Exception as exc:
            self.refuse(delivery, E_DECODE, "control message does not decode: %s" % exc)
            return
        if msg.inferred or not isinstance(body, Described):
            self.refuse(delivery, E_DECODE, "control message body is not declare or discharge")
            return
        fields = body.value if isinstance(body.value, list) else []
        if body.descriptor in DECLARE_NAMES or _code(body.descriptor) == CODE_DECLARE:
            self.declare(delivery, fields)
        elif body.descriptor in DISCHARGE_NAMES or _code(body.descriptor) == CODE_DISCHARGE:
            self.discharge(delivery, fields)
        else:
            self.refuse(delivery, E_DECODE, "%s is neither declare nor discharge" % (body.descriptor,))

    def refuse(self, delivery, name, description):
        self.broker.log.info("coordinator %s: refuse control message: %s (%s)", self.label, name, description)
        if self.may_reject:
            self.answer(delivery, Delivery.REJECTED, (name, description))
        else:
            self.close_with(name, description)

    def declare(self, delivery, fields):
        if fields and fields[0] is not None:
            self.refuse(delivery, E_NOT_IMPLEMENTED, "global transactions are not supported")
            return
        txn = self.broker.declare(self)
        delivery.local.data = [txn.id]
        delivery.update(CODE_DECLARED)
        delivery.settle()

    def discharge(self, delivery, fields):
        txn_id = fields[0] if fields else None
        fail = bool(fields[1]) if len(fields) > 1 and fields[1] is not None else False
        txn = self.broker.find_txn(self.conn, txn_id)
        if txn is None:
            self.refuse(delivery, E_UNKNOWN_TXN, "unknown transaction %s" % txn_label(txn_id))
            return
        if fail:
            self.broker.rollback(txn, "discharge fail=true")
        else:
            self.broker.commit(txn)
        self.answer(delivery, Delivery.ACCEPTED)


def _code(descriptor):
    return int(descriptor) if isinstance(descriptor, int) else None


def _symbols(data):
    """Read a symbol or array/list of symbols from a proton Data (terminus field)."""
    try:
        data.rewind()
        if not data.next():
            return []
        value = data.get_object()
    except Exception:
        return []
    if value is None:
        return []
    if isinstance(value, str):
        return [str(value)]
    if hasattr(value, "elements"):
        value = value.elements
    try:
        return [str(v) for v in value]
    except TypeError:
        return []


class Consumer(LinkState):
    """The broker sends a node's messages to the peer."""

    kind = "consumer"

    def __init__(self, broker, conn, link, node, selector, browse, owns_node):
        super().__init__(broker, conn, link)
        self.node = node
        self.selector = selector
        self.browse = browse
        self.owns_node = owns_node
        self.presettled = link.remote_snd_settle_mode == Link.SND_SETTLED
        self.cursor = 0                 # browsers: last arrival number seen
        self.leases = {}                # delivery tag -> Lease
        self._tags = itertools.count(1)

    def credit(self):
        if self.closed:
            return 0
        return self.link.credit

    def wants(self, entry):
        if self.id in entry.refused_by:
            return False
        if self.selector is not None and not self.selector.matches(entry.message()):
            return False
        return True

    def offer_one(self, node):
        """Send one entry from `node` if there is one for us; True when sent."""
        txn = self.acquiring_txn()
        if txn is False:
            return False
        if self.browse:
            entry = node.peek_after(self, self.cursor)
            if entry is None:
                return False
            self.cursor = entry.seq
        else:
            entry = node.take(self)
            if entry is None:
                return False
        tag = str(next(self._tags))
        delivery = self.link.delivery(tag)
        if txn is not None and not self.browse:
            delivery.local.data = [txn.id]
            delivery.update(CODE_TXN_STATE)
        self.link.stream(entry.data)
        self.link.advance()
        if self.browse:
            if self.presettled:
                delivery.settle()
            return True
        lease = Lease(entry, node, self, delivery, delivery.tag)
        if txn is not None:
            lease.acquired_in = txn
            txn.claim(lease)
        if self.presettled:
            lease.peer_settled = True
            lease.settle()
            if txn is None:
                return True  # at-most-once: gone
        else:
            self.leases[lease.key] = lease
        return True

    def acquiring_txn(self):
        """The transaction named by the peer's last flow `properties` txn-id:
        None for none, False when the id is bad (the link is then closed)."""
        txn_id = self.conn.flow_txn.get(self.link.name)
        if txn_id is None:
            return None
        txn = self.broker.find_txn(self.conn, txn_id)
        if txn is None:
            self.conn.flow_txn.pop(self.link.name, None)
            self.close_with(E_UNKNOWN_TXN, "flow names unknown transaction %s" % txn_label(txn_id))
            return False
        return txn

    def on_flow(self):
        if self.acquiring_txn() is False:
            return
        self.node.dispatch()
        self.finish_drain()

    def finish_drain(self):
        if not self.closed and self.link.credit > 0:
            self.link.drained()

    def on_delivery(self, delivery):
        if self.browse:
            if delivery.settled or delivery.remote_state:
                delivery.settle()
            return
        lease = self.leases.get(delivery.tag)
        if lease is None:
            if delivery.settled:
                delivery.settle()
            return
        state = delivery.remote_state
        if state == CODE_TXN_STATE:
            if not self._transactional_update(lease, delivery):
                return
        elif state in (CODE_ACCEPTED, CODE_REJECTED, CODE_RELEASED, CODE_MODIFIED):
            outcome = (int(state), delivery.remote.failed, delivery.remote.undeliverable,
                       delivery.remote.annotations)
            if lease.acquired_in is not None and lease.acquired_in.live:
                # An outcome for a transactionally acquired delivery belongs to
                # that transaction (spec 4.4.4); apply it there.
                self._retire_in(lease, lease.acquired_in, outcome)
            else:
                if lease.retired_in is not None:
                    lease.retired_in.leases.pop(lease, None)
                    lease.retired_in = None
                self.leases.pop(lease.key, None)
                lease.peer_settled = delivery.settled
                self.broker.apply_outcome(lease, outcome)
                lease.settle(int(state))
                return
        if delivery.settled:
            lease.peer_settled = True
            if lease.owning_txn() is not None:
                lease.settle()
            else:
                # Settled without a terminal outcome: taken as consumed.
                self.leases.pop(lease.key, None)
                lease.settle()

    def _transactional_update(self, lease, delivery):
        data = delivery.remote.data or []
        txn_id = _first(data)
        txn = self.broker.find_txn(self.conn, txn_id)
        if txn is None:
            self.close_with(E_UNKNOWN_TXN, "disposition names unknown transaction %s" % txn_label(txn_id))
            return False
        outcome = parse_outcome(data[1] if len(data) > 1 else None)
        if outcome is None:
            return True  # transactional-state without an outcome carries no work
        if lease.acquired_in is not None and lease.acquired_in.live and lease.acquired_in is not txn:
            self.close_with(E_ILLEGAL_STATE, "outcome under %s for a delivery acquired under %s"
                            % (txn_label(txn.id), txn_label(lease.acquired_in.id)))
            return False
        self._retire_in(lease, txn, outcome)
        return True

    def _retire_in(self, lease, txn, outcome):
        if lease.retired_in is not None and lease.retired_in is not txn:
            lease.retired_in.leases.pop(lease, None)
        lease.retired_in = txn
        lease.outcome = outcome
        txn.claim(lease)
        self.broker.log.info("txn %s: %s %s (delivery %s)", txn_label(txn.id),
                             outcome_label(outcome[0]), self.label, lease.key)

    def leave_node(self):
        if self in self.node.consumers:
            self.node.consumers.remove(self)

    def release_all(self):
        """The link ended: what the peer has not settled goes back, except what a
        live transaction still decides about."""
        given_back = 0
        for lease in list(self.leases.values()):
            if lease.owning_txn() is not None:
                continue
            lease.node.put_back(lease.entry)
            given_back += 1
        self.leases.clear()
        if given_back:
            self.broker.log.info("consumer %s: %d unsettled message(s) back to %s",
                                 self.label, given_back, self.node.name)
        if self.owns_node is not None:
            self.broker.delete_node(self.owns_node)


def parse_outcome(value):
    """An outcome as (code, failed, undeliverable, annotations), from a Described."""
    if not isinstance(value, Described):
        return None
    code = descriptor_code(value.descriptor, OUTCOME_NAMES)
    if code not in (CODE_ACCEPTED, CODE_REJECTED, CODE_RELEASED, CODE_MODIFIED):
        return None
    failed, undeliverable, annotations = False, False, None
    fields = value.value if isinstance(value.value, list) else []
    if code == CODE_MODIFIED:
        failed = bool(fields[0]) if len(fields) > 0 and fields[0] is not None else False
        undeliverable = bool(fields[1]) if len(fields) > 1 and fields[1] is not None else False
        annotations = fields[2] if len(fields) > 2 and isinstance(fields[2], dict) else None
    return (code, failed, undeliverable, annotations)


# ----------------------------------------------------------------------------
# Connections
# ----------------------------------------------------------------------------

_FRAME = re.compile(r"FRAME: (\d+) <- @([a-z-]+)\(\d+\) \[(.*)\]\s*$", re.DOTALL)
_ATTACH = re.compile(r'name="((?:[^"\\]|\\.)*)", handle=(0x[0-9a-fA-F]+|\d+), role=(true|false)')
_HANDLE = re.compile(r"(?:^|, )handle=(0x[0-9a-fA-F]+|\d+)")
_TXN_PROP = re.compile(r'properties=\{.*?:"?txn-id"?=b"((?:[^"\\]|\\.)*)"')


def _unquote(text):
    """Undo Proton's trace quoting (printable bytes as is, others as \\xHH)."""
    out = bytearray()
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\" and i + 3 < len(text) and text[i + 1] == "x":
            out.append(int(text[i + 2:i + 4], 16))
            i += 4
        elif ch == "\\" and i + 1 < len(text):
            out += text[i + 1].encode("latin-1", "replace")
            i += 2
        else:
            out += ch.encode("latin-1", "replace")
            i += 1
    return bytes(out)


class ConnState:
    _numbers = itertools.count(1)

    def __init__(self, broker, connection, transport):
        self.broker = broker
        self.connection = connection
        self.number = next(self._numbers)
        peer = getattr(connection, "url", None)
        self.label = "c%d" % self.number if peer is None else "c%d[%s:%s]" % (
            self.number, peer.host, peer.port)
        self.links = []            # LinkState objects
        self.txns = []             # live Txn objects declared here
        self.closed = False
        # Frame-trace bookkeeping for transactional acquisition:
        self._handles = {}         # (channel, remote handle) -> link name of a peer receiver
        self.flow_txn = {}         # link name -> txn-id from the peer's last flow
        transport.trace(Transport.TRACE_FRM)
        transport.tracer = self.on_frame

    def on_frame(self, _transport, text):
        """Proton calls this for each frame (text form) before it acts on it."""
        try:
            if self.broker.trace_frames:
                sys.stderr.write("%s %s %s\n" % (PROGRAM, self.label, text))
            m = _FRAME.match(text)
            if m is None:
                return
            channel, performative, body = int(m.group(1)), m.group(2), m.group(3)
            if performative == "flow":
                self._flow(channel, body)
            elif performative == "attach":
                a = _ATTACH.match(body)
                if a and a.group(3) == "true":
                    self._handles[(channel, int(a.group(2), 0))] = \
                        _unquote(a.group(1)).decode("utf-8", "replace")
            elif performative == "detach":
                h = _HANDLE.search(body)
                if h:
                    self._handles.pop((channel, int(h.group(1), 0)), None)
            elif performative == "end":
                for key in [k for k in self._handles if k[0] == channel]:
                    del self._handles[key]
        except Exception:  # never let the trace hook break the transport
            self.broker.log.error("frame trace hook: %s", traceback.format_exc())

    def _flow(self, channel, body):
        h = _HANDLE.search(body)
        if h is None:
            return
        name = self._handles.get((channel, int(h.group(1), 0)))
        if name is None:
            return
        t = _TXN_PROP.search(body)
        if t is not None:
            txn_id = _unquote(t.group(1))
            if self.flow_txn.get(name) != txn_id:
                self.broker.log.info("%s/%s: flow asks to acquire under txn %s",
                                     self.label, name, txn_label(txn_id))
            self.flow_txn[name] = txn_id
        elif name in self.flow_txn:
            self.broker.log.info("%s/%s: flow without txn-id ends transactional acquisition",
                                 self.label, name)
            del self.flow_txn[name]


# ----------------------------------------------------------------------------
# The broker (Proton event handler)
# ----------------------------------------------------------------------------

def guarded(method):
    """Run an event handler; on an exception log it and close what the event is about."""

    def run(self, event):
        try:
            method(self, event)
        except Exception:
            self.log.error("%s failed: %s", method.__name__, traceback.format_exc())
            self.fail(event)
    run.__name__ = method.__name__
    return run


class Broker:
    def __init__(self, credit, log, trace_frames=False, idle_timeout=None, max_frame=None):
        self.credit = max(1, credit)
        self.idle_timeout = idle_timeout
        self.max_frame = max_frame
        self.log = log
        self.trace_frames = trace_frames
        self.nodes = {}
        self.gone = set()          # names of deleted dynamic nodes
        self.txns = {}             # txn-id -> Txn (live only)
        self._seq = itertools.count(1)
        self._txn_numbers = itertools.count(1)
        self._dynamic_numbers = itertools.count(1)
        self.container_id = "%s-%s" % (PROGRAM, uuid.uuid4().hex[:8])
        self.stopping = False      # set by SIGTERM/SIGINT, acted on by the timer task

    # -- model -------------------------------------------------------------
    def next_seq(self):
        return next(self._seq)

    def node(self, name):
        node = self.nodes.get(name)
        if node is None:
            node = Node(self, name)
            self.nodes[name] = node
            self.log.info("node %s created", name)
        return node

    def dynamic_node(self):
        name = "dynamic.%d.%s" % (next(self._dynamic_numbers), uuid.uuid4().hex[:8])
        node = Node(self, name, dynamic=True)
        self.nodes[name] = node
        self.log.info("dynamic node %s created", name)
        return node

    def delete_node(self, node):
        if node.deleted:
            return
        node.deleted = True
        node.entries = []
        self.nodes.pop(node.name, None)
        self.gone.add(node.name)
        self.log.info("node %s deleted", node.name)
        for consumer in list(node.consumers):
            consumer.close_with(E_DELETED, "node %s was deleted" % node.name)

    def apply_outcome(self, lease, outcome):
        code, failed, undeliverable, annotations = outcome
        if code in (CODE_RELEASED, CODE_MODIFIED):
            if code == CODE_MODIFIED:
                if undeliverable:
                    lease.entry.refused_by.add(lease.consumer.id)
                lease.entry.modify(failed, annotations)
            lease.node.put_back(lease.entry)
        # accepted / rejected: the message is gone

    # -- transactions -----------------------------------------------------
    def declare(self, coordinator):
        txn_id = ("txn-%d" % next(self._txn_numbers)).encode("ascii")
        txn = Txn(txn_id, coordinator.conn, coordinator)
        self.txns[txn_id] = txn
        coordinator.conn.txns.append(txn)
        self.log.info("txn %s: declared on %s", txn_label(txn_id), coordinator.label)
        return txn

    def find_txn(self, conn, txn_id):
        if not isinstance(txn_id, bytes):
            return None
        txn = self.txns.get(txn_id)
        if txn is None or not txn.live or txn.conn is not conn:
            return None
        return txn

    def _end_txn(self, txn):
        txn.live = False
        self.txns.pop(txn.id, None)
        if txn in txn.conn.txns:
            txn.conn.txns.remove(txn)
        for name in [n for n, t in txn.conn.flow_txn.items() if t == txn.id]:
            del txn.conn.flow_txn[name]

    def commit(self, txn):
        self._end_txn(txn)
        posted = retired = kept = 0
        for name, entry in txn.postings:
            if name in self.gone:
                continue
            self.node(name).post(entry)
            posted += 1
        for lease in txn.leases:
            consumer = lease.consumer
            if lease.retired_in is txn:
                consumer.leases.pop(lease.key, None)
                self.apply_outcome(lease, lease.outcome)
                lease.settle(lease.outcome[0])
                retired += 1
            else:
                # Acquired under the transaction, no outcome yet.
                lease.acquired_in = None
                if lease.peer_settled:
                    consumer.leases.pop(lease.key, None)          # consumed
                elif consumer.closed:
                    consumer.leases.pop(lease.key, None)
                    lease.node.put_back(lease.entry)
                else:
                    kept += 1                                     # still the consumer's
        self.log.info("txn %s: committed (%d posted, %d outcomes applied, %d acquired kept)",
                      txn_label(txn.id), posted, retired, kept)
        txn.postings, txn.leases = [], {}

    def rollback(self, txn, why):
        self._end_txn(txn)
        returned = 0
        for lease in txn.leases:
            lease.consumer.leases.pop(lease.key, None)
            lease.acquired_in = lease.retired_in = None
            lease.node.put_back(lease.entry)
            lease.settle(Delivery.RELEASED)
            returned += 1
        self.log.info("txn %s: rolled back (%s): %d held message(s) dropped, %d message(s) "
                      "available again", txn_label(txn.id), why, len(txn.postings), returned)
        txn.postings, txn.leases = [], {}

    # -- link and connection ends ----------------------------------------
    def link_gone(self, state):
        if state.closed:
            return
        state.closed = True
        state.leave_node()
        if isinstance(state, Coordinator):
            for txn in [t for t in state.conn.txns if t.coordinator is state]:
                self.rollback(txn, "control link %s closed" % state.label)
        state.release_all()
        if state in state.conn.links:
            state.conn.links.remove(state)
        if isinstance(state, Consumer):
            state.conn.flow_txn.pop(state.link.name, None)
        self.log.info("%s %s: detached", state.kind, state.label)

    def connection_gone(self, conn, why):
        if conn.closed:
            return
        conn.closed = True
        self.log.info("connection %s: gone (%s)", conn.label, why)
        states = list(conn.links)
        for state in states:
            state.closed = True
            state.leave_node()
        for txn in list(conn.txns):
            self.rollback(txn, "connection %s ended" % conn.label)
        for state in states:
            state.release_all()
        conn.links = []
        try:
            del conn.connection.ptb
        except Exception:
            pass

    @staticmethod
    def state_of(endpoint):
        try:
            return endpoint.ptb
        except AttributeError:
            return None

    def fail(self, event):
        """After an internal error: close the link, else the connection, with internal-error."""
        try:
            link = event.link
            if link is not None:
                state = self.state_of(link)
                if state is not None:
                    state.close_with(E_INTERNAL, "internal broker error")
                    return
                link.condition = Condition(E_INTERNAL, "internal broker error")
                link.close()
                return
            connection = event.connection
            if connection is not None:
                conn = self.state_of(connection)
                if conn is not None:
                    self.connection_gone(conn, "internal error")
                connection.condition = Condition(E_INTERNAL, "internal broker error")
                connection.close()
        except Exception:
            self.log.error("while failing: %s", traceback.format_exc())

    # -- Proton events: connections --------------------------------------
    @guarded
    def on_connection_bound(self, event):
        connection = event.connection
        transport = event.transport
        connection.ptb = ConnState(self, connection, transport)
        if self.idle_timeout:
            transport.idle_timeout = self.idle_timeout
        if self.max_frame:
            transport.max_frame_size = self.max_frame
        connection.container = self.container_id
        # An array of symbols, as the spec has it: Proton 0.37 encodes a Python list as a list,
        # which strict peers refuse.
        connection.offered_capabilities = Array(UNDESCRIBED, Data.SYMBOL,
                                                *[symbol(c) for c in CONNECTION_CAPABILITIES])
        connection.properties = {symbol("product"): PROGRAM}

    @guarded
    def on_connection_remote_open(self, event):
        connection = event.connection
        conn = self.state_of(connection)
        if conn is None:
            return
        self.log.info("connection %s: open from container %r", conn.label,
                      connection.remote_container)
        if connection.state & Endpoint.LOCAL_UNINIT:
            connection.open()

    @guarded
    def on_connection_remote_close(self, event):
        connection = event.connection
        conn = self.state_of(connection)
        if conn is not None:
            cond = connection.remote_condition
            self.connection_gone(conn, "closed by peer" + (
                " with %s" % cond.name if cond else ""))
        if not connection.state & Endpoint.LOCAL_CLOSED:
            connection.close()

    @guarded
    def on_transport_closed(self, event):
        connection = event.connection
        if connection is not None:
            conn = self.state_of(connection)
            if conn is not None:
                cond = event.transport.condition if event.transport else None
                self.connection_gone(conn, "transport closed" + (
                    " (%s: %s)" % (cond.name, cond.description) if cond else ""))

    @guarded
    def on_transport_tail_closed(self, event):
        """No more input (peer gone or unreadable bytes): clean up, and close our
        side so that Proton writes its close frame and lets go of the socket."""
        self.on_transport_closed(event)
        connection = event.connection
        if connection is not None and not connection.state & Endpoint.LOCAL_CLOSED:
            cond = event.transport.condition if event.transport else None
            if cond is not None:
                connection.condition = cond
            connection.close()
        if event.transport is not None and event.container is not None:
            event.container.schedule(1.0, HeadCloser(event.transport))

    @guarded
    def on_transport_error(self, event):
        cond = event.transport.condition if event.transport else None
        if cond:
            self.log.info("transport error: %s: %s", cond.name, cond.description)

    # -- sessions ---------------------------------------------------------------
    @guarded
    def on_session_remote_open(self, event):
        if event.session.state & Endpoint.LOCAL_UNINIT:
            event.session.open()

    @guarded
    def on_session_remote_close(self, event):
        session = event.session
        conn = self.state_of(session.connection)
        if conn is not None:
            for state in [s for s in conn.links if s.link.session == session]:
                self.link_gone(state)
        if not session.state & Endpoint.LOCAL_CLOSED:
            session.close()

    # -- links ---------------------------------------------------------------
    @guarded
    def on_link_remote_open(self, event):
        link = event.link
        if not link.state & Endpoint.LOCAL_UNINIT:
            return
        conn = self.state_of(link.connection)
        if conn is None or conn.closed:
            return
        if link.is_receiver:
            state = self._attach_incoming(conn, link)
        else:
            state = self._attach_outgoing(conn, link)
        if state is None:
            return
        link.ptb = state
        conn.links.append(state)
        if isinstance(state, Incoming):
            link.flow(self.credit)
        elif isinstance(state, Consumer):
            state.node.consumers.append(state)
            state.node.dispatch()

    def _refuse(self, link, name, description):
        """Answer an attach we cannot serve: a null terminus, then detach with an error."""
        self.log.info("link %s refused: %s (%s)", link.name, name, description)
        if link.is_sender:
            link.source.type = Terminus.UNSPECIFIED
            mirror(link.target, link.remote_target, Terminus.TARGET)
        else:
            link.target.type = Terminus.UNSPECIFIED
            mirror(link.source, link.remote_source, Terminus.SOURCE)
        link.open()
        link.condition = Condition(name, description)
        link.close()

    def _attach_incoming(self, conn, link):
        target = link.remote_target
        mirror(link.source, link.remote_source, Terminus.SOURCE)
        link.snd_settle_mode = link.remote_snd_settle_mode
        link.rcv_settle_mode = Link.RCV_FIRST
        if target.type == Terminus.COORDINATOR:
            state = Coordinator(self, conn, link)
            link.target.type = Terminus.COORDINATOR
            caps = link.target.capabilities
            caps.clear()
            caps.put_array(False, Data.SYMBOL)
            caps.enter()
            for cap in TXN_CAPABILITIES:
                caps.put_symbol(cap)
            caps.exit()
            wanted = _symbols(target.capabilities)
            self.log.info("coordinator %s: attached (asked for %s)", state.label,
                          ", ".join(wanted) or "nothing")
            link.open()
            return state
        owns = None
        if target.dynamic:
            owns = self.dynamic_node()
            address = owns.name
        else:
            address = target.address
        mirror(link.target, target, Terminus.TARGET)
        if address is not None:
            link.target.address = address
        state = Producer(self, conn, link, address, owns)
        self.log.info("producer %s: attached to %s", state.label,
                      address if address is not None else "the anonymous relay")
        link.open()
        return state

    def _attach_outgoing(self, conn, link):
        source = link.remote_source
        owns = None
        if source.dynamic:
            owns = self.dynamic_node()
            node = owns
        elif source.address:
            node = self.node(source.address)
        else:
            self._refuse(link, E_INVALID_FIELD, "a receiving link needs a source address")
            return None
        selector, echo = None, None
        try:
            found = self._selector_filter(source)
        except SelectorError as exc:
            if owns is not None:
                self.delete_node(owns)
            self._refuse(link, E_INVALID_FIELD, "bad selector: %s" % exc)
            return None
        if found is not None:
            selector, echo = found
        browse = source.distribution_mode == Terminus.DIST_MODE_COPY
        state = Consumer(self, conn, link, node, selector, browse, owns)
        out = link.source
        out.address = node.name
        out.dynamic = bool(source.dynamic)
        out.distribution_mode = Terminus.DIST_MODE_COPY if browse else Terminus.DIST_MODE_MOVE
        if echo is not None:
            out.filter.clear()
            out.filter.put_object(echo)
        mirror(link.target, link.remote_target, Terminus.TARGET)
        link.snd_settle_mode = Link.SND_SETTLED if state.presettled else Link.SND_UNSETTLED
        link.rcv_settle_mode = link.remote_rcv_settle_mode
        self.log.info("consumer %s: attached to %s%s%s%s", state.label, node.name,
                      " (dynamic)" if owns else "", " browsing" if browse else "",
                      " selector %r" % selector.text if selector else "")
        link.open()
        return state

    @staticmethod
    def _selector_filter(source):
        """Find a JMS selector in the source's filter set: (Selector, echo map) or None."""
        data = source.filter
        data.rewind()
        if not data.next():
            return None
        filters = data.get_object()
        if not isinstance(filters, dict):
            return None
        for key, value in filters.items():
            if not isinstance(value, Described):
                continue
            d = value.descriptor
            if (isinstance(d, int) and int(d) == SELECTOR_CODE) or str(d) == SELECTOR_NAME:
                if not isinstance(value.value, str):
                    raise SelectorError("selector is not a string")
                return Selector(value.value), {symbol(str(key)): value}
        return None

    @guarded
    def on_link_remote_close(self, event):
        self._link_ended(event, close=True)

    @guarded
    def on_link_remote_detach(self, event):
        self._link_ended(event, close=False)

    def _link_ended(self, event, close):
        link = event.link
        state = self.state_of(link)
        if state is not None:
            self.link_gone(state)
        if not link.state & Endpoint.LOCAL_CLOSED:
            if close:
                link.close()
            else:
                link.detach()

    @guarded
    def on_link_flow(self, event):
        state = self.state_of(event.link)
        if state is not None and not state.closed:
            state.on_flow()

    @guarded
    def on_delivery(self, event):
        state = self.state_of(event.link)
        if state is None or state.closed:
            if event.delivery.settled or event.link.is_receiver:
                event.delivery.settle()
            return
        state.on_delivery(event.delivery)

    @guarded
    def on_link_final(self, event):
        try:
            del event.link.ptb
        except Exception:
            pass

    # -- timer: the one place a pending stop leaves the event loop ---------------
    def on_timer_task(self, event):
        if self.stopping:
            raise Shutdown()
        event.container.schedule(0.25, self)


class HeadCloser:
    """Timer task: a transport whose input ended but which is still not closed a
    second later (Proton can stall after undecodable input) gets its output
    closed too, so that the socket is released."""

    def __init__(self, transport):
        self.transport = transport

    def on_timer_task(self, _event):
        try:
            if not self.transport.closed:
                self.transport.close_head()
        except Exception:
            pass
        self.transport = None


class Shutdown(BaseException):
    pass


def parse_address(text, option):
    host, sep, port = text.rpartition(":")
    if not sep or not port.isdigit():
        raise SystemExit("%s: %s wants HOST:PORT, got %r" % (PROGRAM, option, text))
    return host or "127.0.0.1", int(port)


def listening_port(acceptor, requested):
    try:
        return acceptor._selectable._delegate.getsockname()[1]
    except Exception:
        return requested


def main(argv=None):
    parser = argparse.ArgumentParser(prog=PROGRAM, description=__doc__.split("\n\n")[0])
    parser.add_argument("-a", "--address", default="127.0.0.1:5672",
                        help="HOST:PORT to listen on; port 0 picks a free port (default %(default)s)")
    parser.add_argument("--tls-address", default="127.0.0.1:0",
                        help="HOST:PORT of the TLS listener, used with --cert/--key (default %(default)s)")
    parser.add_argument("--cert", help="PEM certificate for the TLS listener")
    parser.add_argument("--key", help="PEM private key for the TLS listener")
    parser.add_argument("--credit", type=int, default=100,
                        help="credit granted to each sending peer (default %(default)s)")
    parser.add_argument("--idle-timeout", type=float, metavar="SECONDS",
                        help="close connections idle this long; Proton announces half of it "
                             "as idle-time-out (default: none)")
    parser.add_argument("--max-frame", type=int, metavar="BYTES",
                        help="max-frame-size announced in open (default: Proton's)")
    parser.add_argument("-v", "--verbose", action="store_true",
                        help="log links, transactions and errors to stderr")
    parser.add_argument("--trace-frames", action="store_true",
                        help="also print every AMQP frame to stderr")
    args = parser.parse_args(argv)
    if bool(args.cert) != bool(args.key):
        parser.error("--cert and --key go together")

    broker = Broker(args.credit, Log(args.verbose), args.trace_frames,
                    args.idle_timeout, args.max_frame)

    def on_signal(_signum, _frame):
        # Only a flag: an exception raised here would surface at whatever bytecode
        # was running, e.g. half-way through constructing a Proton wrapper, whose
        # finalizer then fails. The timer task leaves the loop within 0.25 s.
        broker.stopping = True

    container = Container(broker)
    container.container_id = broker.container_id
    host, port = parse_address(args.address, "-a")
    try:
        acceptor = container.acceptor(host, port)
    except OSError as exc:
        raise SystemExit("%s: cannot listen on %s:%d: %s" % (PROGRAM, host, port, exc))
    lines = ["%s listening on %s:%d" % (PROGRAM, host, listening_port(acceptor, port))]
    if args.cert:
        if not SSL.present():
            raise SystemExit("%s: this Proton has no TLS support" % PROGRAM)
        domain = SSLDomain(SSLDomain.MODE_SERVER)
        try:
            domain.set_credentials(args.cert, args.key, None)
        except Exception as exc:
            raise SystemExit("%s: cannot use --cert/--key: %s" % (PROGRAM, exc))
        tls_host, tls_port = parse_address(args.tls_address, "--tls-address")
        try:
            tls_acceptor = container.acceptor(tls_host, tls_port)
        except OSError as exc:
            raise SystemExit("%s: cannot listen on %s:%d: %s" % (PROGRAM, tls_host, tls_port, exc))
        tls_acceptor.set_ssl_domain(domain)
        lines.append("%s tls listening on %s:%d" % (PROGRAM, tls_host,
                                                      listening_port(tls_acceptor, tls_port)))
    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    for line in lines:
        sys.stdout.write(line + "\n")
    sys.stdout.flush()
    container.schedule(0.25, broker)
    try:
        container.run()
    except Shutdown:
        pass
    broker.log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
