#!/usr/bin/python3
"""Interop with Qpid Proton: values of every AMQP type and whole messages, encoded by Proton's
Python binding, are decoded and re-encoded by amqp-inspect; Proton decodes the re-encoding and
it must equal the original, type for type and bit for bit.

usage: proton_interop_test.py PATH/TO/amqp-inspect
Exits 77 (skipped) when this Python cannot import proton (Debian: python3-qpid-proton).
"""
import math
import struct
import subprocess
import sys
import uuid

try:
    from proton import (Array, Data, Described, Message, UNDESCRIBED, byte, char, decimal128,
                        decimal32, decimal64, float32, int32, short, symbol, timestamp, ubyte,
                        uint, ulong, ushort)
except ImportError as e:
    print(f"SKIP: {sys.executable} cannot import Qpid Proton's Python binding ({e}); "
          "install python3-qpid-proton to run this interop test", file=sys.stderr)
    sys.exit(77)

INSPECT = sys.argv[1]
failures = []


def inspect(args, data):
    return subprocess.run([INSPECT] + args, input=data, capture_output=True, timeout=120)


def encode(obj):
    d = Data()
    d.put_object(obj)
    return d.encode()


def node(d):
    """The current node of `d` as nested tuples that keep every AMQP type (and float bits)."""
    t = d.type()
    if t == Data.LIST:
        n = d.get_list()
        d.enter()
        items = [node(d) for _ in range(n) if d.next() is not None]
        d.exit()
        return ("list", items)
    if t == Data.MAP:
        n = d.get_map()
        d.enter()
        items = [node(d) for _ in range(n) if d.next() is not None]
        d.exit()
        return ("map", items)
    if t == Data.ARRAY:
        n, described, element_type = d.get_array()
        d.enter()
        descriptor = None
        if described:
            d.next()
            descriptor = node(d)
        items = [node(d) for _ in range(n) if d.next() is not None]
        d.exit()
        return ("array", Data.type_names[element_type], descriptor, items)
    if t == Data.DESCRIBED:
        d.enter()
        d.next()
        descriptor = node(d)
        d.next()
        inner = node(d)
        d.exit()
        return ("described", descriptor, inner)
    if t == Data.FLOAT:
        return ("float", struct.pack("!f", d.get_float()).hex())
    if t == Data.DOUBLE:
        return ("double", struct.pack("!d", d.get_double()).hex())
    return (Data.type_names[t], d.get_object())


def nodes(encoded):
    """Every value in `encoded`, back to back."""
    out = []
    rest = encoded
    while rest:
        d = Data()
        used = d.decode(rest)
        if used <= 0:
            raise ValueError(f"Proton cannot decode {rest.hex()}")
        d.rewind()
        d.next()
        out.append(node(d))
        rest = rest[used:]
    return out


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")


VALUES = [
    ("null", None),
    ("true", True),
    ("false", False),
    ("ubyte", ubyte(0)), ("ubyte max", ubyte(255)),
    ("ushort", ushort(65535)),
    ("uint 0", uint(0)), ("uint small", uint(7)), ("uint max", uint(2**32 - 1)),
    ("ulong 0", ulong(0)), ("ulong small", ulong(7)), ("ulong max", ulong(2**64 - 1)),
    ("byte", byte(-128)),
    ("short", short(-32768)),
    ("int small", int32(-1)), ("int min", int32(-2**31)), ("int max", int32(2**31 - 1)),
    ("long small", 42), ("long min", -2**63), ("long max", 2**63 - 1),
    ("float", float32(1.5)), ("float -0", float32(-0.0)), ("float inf", float32(math.inf)),
    ("float nan", float32(math.nan)),
    ("double", 0.1), ("double -0", -0.0), ("double -inf", -math.inf), ("double nan", math.nan),
    ("double tiny", 5e-324),
    ("decimal32", decimal32(0x2200000C)),
    ("decimal64", decimal64(0x223800000000000C)),
    ("decimal128", decimal128(bytes.fromhex("2208000000000000000000000000000c"))),
    ("char", char("a")), ("char astral", char("\U0001F600")),
    ("timestamp", timestamp(1795464840000)), ("timestamp negative", timestamp(-1)),
    ("uuid", uuid.UUID("01234567-89ab-cdef-0123-456789abcdef")),
    ("binary", b"abc\x00\xff"), ("binary empty", b""), ("binary large", bytes(range(256)) * 2),
    ("string", "text"), ("string unicode", "caf\u00e9 \U0001F600"), ("string large", "x" * 300),
    ("symbol", symbol("name")), ("symbol large", symbol("s" * 300)),
    ("list empty", []), ("list", [1, "a", None, [True]]), ("list large", list(range(300))),
    ("map empty", {}), ("map", {"k": "v", symbol("s"): uint(1), 3: [None]}),
    ("array int", Array(UNDESCRIBED, Data.INT, 1, 2, 3)),
    ("array empty", Array(UNDESCRIBED, Data.STRING)),
    ("array string", Array(UNDESCRIBED, Data.STRING, "a", "bb")),
    ("array symbol", Array(UNDESCRIBED, Data.SYMBOL, symbol("PLAIN"), symbol("ANONYMOUS"))),
    ("array bool", Array(UNDESCRIBED, Data.BOOL, True, False)),
    ("array null", Array(UNDESCRIBED, Data.NULL, None, None)),
    ("array uuid", Array(UNDESCRIBED, Data.UUID, uuid.UUID(int=5))),
    ("array map", Array(UNDESCRIBED, Data.MAP, {"a": 1})),
    ("array of arrays", Array(UNDESCRIBED, Data.ARRAY, Array(UNDESCRIBED, Data.INT, 1),
                              Array(UNDESCRIBED, Data.INT, 2))),
    ("array described", Array(symbol("com.example:x"), Data.INT, 1, 2)),
    ("array of described lists", Array(ulong(0x28), Data.LIST, ["a"], ["b"])),
    ("described", Described(symbol("com.example:x"), "v")),
    ("described numeric", Described(ulong(0x0000123400000001), [1, 2])),
    ("described section", Described(ulong(0x75), b"payload")),
    ("described open", Described(ulong(0x10), ["container", "host", uint(65536)])),
]

# Each value on its own, then all of them back to back.
for name, obj in VALUES:
    original = encode(obj)
    shown = inspect(["--value"], original)
    check(f"{name}: inspect", shown.returncode == 0 and shown.stdout and not shown.stderr,
          f"status {shown.returncode}, stderr {shown.stderr!r}")
    again = inspect(["--value", "--reencode"], original)
    if again.returncode != 0:
        check(f"{name}: reencode", False, f"status {again.returncode}, stderr {again.stderr!r}")
        continue
    try:
        check(f"{name}: round trip", nodes(again.stdout) == nodes(original),
              f"{original.hex()} -> {again.stdout.hex()}")
    except ValueError as e:
        check(f"{name}: round trip", False, str(e))
    twice = inspect(["--value", "--reencode"], again.stdout)
    check(f"{name}: canonical is stable", twice.stdout == again.stdout,
          f"{again.stdout.hex()} -> {twice.stdout.hex()}")

stream = b"".join(encode(obj) for _, obj in VALUES)
again = inspect(["--value", "--reencode"], stream)
check("all values: reencode", again.returncode == 0, repr(again.stderr))
if again.returncode == 0:
    check("all values: round trip", nodes(again.stdout) == nodes(stream))


MESSAGE_FIELDS = ["id", "user_id", "address", "subject", "reply_to", "correlation_id",
                  "content_type", "content_encoding", "expiry_time", "creation_time", "group_id",
                  "group_sequence", "reply_to_group_id", "durable", "priority", "ttl",
                  "first_acquirer", "delivery_count", "properties", "annotations",
                  "instructions", "body", "inferred"]

MESSAGES = [
    ("every field", Message(
        id="id-1", user_id=b"user", address="queue", subject="subject", reply_to="replies",
        correlation_id=uuid.UUID(int=7), content_type="text/plain", content_encoding="utf-8",
        expiry_time=1795460400.5, creation_time=1795460400.0, group_id="group",
        group_sequence=5, reply_to_group_id="reply-group", durable=True, priority=7, ttl=60.0,
        first_acquirer=True, delivery_count=3,
        properties={"k": "v", "n": 42, "f": 1.5},
        annotations={symbol("x-opt-a"): "b"}, instructions={symbol("x-opt-i"): 1},
        body="hello")),
    ("data body", Message(body=b"\x00\x01binary", inferred=True, address="q")),
    ("sequence body", Message(body=[1, "two", None], inferred=True)),
    ("map body", Message(body={"k": [1, 2]}, id=ulong(9), correlation_id=b"corr")),
    ("empty body", Message(address="only-properties")),
]

for name, m in MESSAGES:
    original = m.encode()
    shown = inspect([], original)
    check(f"message {name}: inspect", shown.returncode == 0 and shown.stdout.startswith(b"@"),
          f"status {shown.returncode}, stderr {shown.stderr!r}")
    again = inspect(["--message", "--reencode"], original)
    if again.returncode != 0:
        check(f"message {name}: reencode", False, f"status {again.returncode}, {again.stderr!r}")
        continue
    decoded = Message()
    try:
        decoded.decode(again.stdout)
    except Exception as e:  # Proton refuses the re-encoding
        check(f"message {name}: Proton decodes the re-encoding", False, f"{e!r}")
        continue
    for field in MESSAGE_FIELDS:
        a, b = getattr(m, field), getattr(decoded, field)
        check(f"message {name}: {field}", a == b and type(a) == type(b),
              f"{a!r} became {b!r} ({original.hex()} -> {again.stdout.hex()})")
    # The sections decode to the same values, except where the re-encoding leaves out a header
    # field that equals its default (which Proton may send explicitly).
    body_original = [n for n in nodes(original) if n[1] != ("ulong", 0x70)]
    body_again = [n for n in nodes(again.stdout) if n[1] != ("ulong", 0x70)]  # not the header
    check(f"message {name}: sections", body_original == body_again,
          f"{original.hex()} -> {again.stdout.hex()}")

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print(f"Qpid Proton interop: {len(VALUES)} values and {len(MESSAGES)} messages round-trip")
