"""Typed-value JSON (conformance/interop/README.md) to and from Qpid Proton's Python types."""

import hashlib
import struct
import uuid

from proton import (UNDESCRIBED, Array, Data, Described, byte, char, decimal32, decimal64,
                    decimal128, float32, int32, short, symbol, timestamp, ubyte, uint, ulong,
                    ushort)

# Binary and string content longer than this many bytes is reported as length and digest.
REPORT_LIMIT = 1024

# Types allowed as application property values by the README (and by AMQP).
NOT_PROPERTY = {"list", "map", "array", "described"}


class Unsupported(Exception):
    """A value this binding cannot express; the message says why."""


def generate(spec):
    """The content of a {"generate": N} binary or string."""
    n = spec["generate"]
    # Both patterns repeat (every 256 bytes, every 26 characters): build one period and repeat it.
    if spec["type"] == "binary":
        period = bytes((i * 31 + 7) % 256 for i in range(256))
        return (period * (n // 256 + 1))[:n]
    return ("abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n]


def _float32(bits):
    # A float32 travels through a Python float (a double): x86 sets the quiet bit of a
    # signalling NaN on that conversion, so such a payload cannot be sent as given.
    if bits & 0x7f800000 == 0x7f800000 and bits & 0x007fffff and not bits & 0x00400000:
        raise Unsupported("float32 %#010x is a signalling NaN: Proton's float32 is a Python float "
                          "(double), and the conversion quiets it" % bits)
    return float32(struct.unpack(">f", struct.pack(">I", bits))[0])


def _ascii(text):
    # Proton's Python binding encodes a symbol with the 'ascii' codec when it sends it.
    if not text.isascii():
        raise Unsupported("Proton's Python binding encodes symbols as ASCII only")
    return text


def _scalar(t, v):
    return {
        "boolean": lambda: bool(v),
        "ubyte": lambda: ubyte(int(v)),
        "ushort": lambda: ushort(int(v)),
        "uint": lambda: uint(int(v)),
        "ulong": lambda: ulong(int(v)),
        "byte": lambda: byte(int(v)),
        "short": lambda: short(int(v)),
        "int": lambda: int32(int(v)),
        "long": lambda: int(v),  # Proton encodes a plain int as long
        "float": lambda: _float32(int(v, 16)),
        "double": lambda: struct.unpack(">d", struct.pack(">Q", int(v, 16)))[0],
        "decimal32": lambda: decimal32(int(v, 16)),
        "decimal64": lambda: decimal64(int(v, 16)),
        "decimal128": lambda: decimal128(bytes.fromhex(v[2:])),
        "char": lambda: char(chr(int(v[2:], 16))),
        "timestamp": lambda: timestamp(int(v)),
        "uuid": lambda: uuid.UUID(v),
        "binary": lambda: bytes.fromhex(v),
        "string": lambda: v,
        "symbol": lambda: symbol(_ascii(v)),
    }[t]()


_ARRAY_TYPES = {
    "null": Data.NULL, "boolean": Data.BOOL, "ubyte": Data.UBYTE, "ushort": Data.USHORT,
    "uint": Data.UINT, "ulong": Data.ULONG, "byte": Data.BYTE, "short": Data.SHORT,
    "int": Data.INT, "long": Data.LONG, "float": Data.FLOAT, "double": Data.DOUBLE,
    "decimal32": Data.DECIMAL32, "decimal64": Data.DECIMAL64, "decimal128": Data.DECIMAL128,
    "char": Data.CHAR, "timestamp": Data.TIMESTAMP, "uuid": Data.UUID, "binary": Data.BINARY,
    "string": Data.STRING, "symbol": Data.SYMBOL, "list": Data.LIST, "map": Data.MAP,
}
_ARRAY_NAMES = {code: name for name, code in _ARRAY_TYPES.items()}


def to_proton(tv):
    """The Proton object for a TYPED value; raises Unsupported."""
    t = tv["type"]
    if "generate" in tv:
        return generate(tv)
    if t == "null":
        return None
    if t == "list":
        return [to_proton(e) for e in tv["value"]]
    if t == "map":
        pairs = [(to_proton(k), to_proton(v)) for k, v in tv["value"]]
        try:
            result = dict(pairs)
        except TypeError as e:
            raise Unsupported("Proton's map is a Python dict, whose keys must be hashable: %s" % e)
        # symbol("a") == "a" and int32(1) == 1 in Python, so such keys would merge.
        if len(result) != len(pairs):
            raise Unsupported("Proton's map is a Python dict: keys that are equal in Python "
                              "(e.g. string and symbol of the same text) would merge")
        return result
    if t == "array":
        element = tv["element"]
        if element not in _ARRAY_TYPES:
            raise Unsupported("array of %s is not expressible in the values format" % element)
        items = [to_proton({"type": element, "value": v}) for v in tv["value"]]
        return Array(UNDESCRIBED, _ARRAY_TYPES[element], *items)
    if t == "described":
        return Described(to_proton(tv["descriptor"]), to_proton(tv["value"]))
    return _scalar(t, tv["value"])


def _reported(t, content, data):
    if len(data) > REPORT_LIMIT:
        return {"type": t, "length": len(content), "sha256": hashlib.sha256(data).hexdigest()}
    return {"type": t, "value": data.hex() if t == "binary" else content}


def _bits(fmt, ifmt, x, digits):
    return "0x%0*x" % (digits, struct.unpack(ifmt, struct.pack(fmt, x))[0])


# Exact classes: Proton's AMQP types subclass int, str, float and bytes.
_FROM = {
    bool: lambda o: {"type": "boolean", "value": o},
    ubyte: lambda o: {"type": "ubyte", "value": str(int(o))},
    ushort: lambda o: {"type": "ushort", "value": str(int(o))},
    uint: lambda o: {"type": "uint", "value": str(int(o))},
    ulong: lambda o: {"type": "ulong", "value": str(int(o))},
    byte: lambda o: {"type": "byte", "value": str(int(o))},
    short: lambda o: {"type": "short", "value": str(int(o))},
    int32: lambda o: {"type": "int", "value": str(int(o))},
    int: lambda o: {"type": "long", "value": str(o)},
    float32: lambda o: {"type": "float", "value": _bits(">f", ">I", o, 8)},
    float: lambda o: {"type": "double", "value": _bits(">d", ">Q", o, 16)},
    decimal32: lambda o: {"type": "decimal32", "value": "0x%08x" % (int(o) & 0xffffffff)},
    decimal64: lambda o: {"type": "decimal64", "value": "0x%016x" % (int(o) & (2**64 - 1))},
    decimal128: lambda o: {"type": "decimal128", "value": "0x" + bytes(o).hex()},
    char: lambda o: {"type": "char", "value": "U+%04X" % ord(o)},
    timestamp: lambda o: {"type": "timestamp", "value": str(int(o))},
    uuid.UUID: lambda o: {"type": "uuid", "value": str(o)},
    bytes: lambda o: _reported("binary", o, o),
    str: lambda o: _reported("string", o, o.encode("utf-8", "surrogatepass")),
    symbol: lambda o: {"type": "symbol", "value": str(o)},
}


def from_proton(o):
    """The TYPED value for what Proton decoded."""
    if o is None:
        return {"type": "null"}
    convert = _FROM.get(type(o))
    if convert:
        return convert(o)
    if isinstance(o, list):
        return {"type": "list", "value": [from_proton(e) for e in o]}
    if isinstance(o, dict):
        return {"type": "map", "value": [[from_proton(k), from_proton(v)] for k, v in o.items()]}
    if isinstance(o, Described):
        return {"type": "described", "descriptor": from_proton(o.descriptor),
                "value": from_proton(o.value)}
    if isinstance(o, Array):
        if o.descriptor != UNDESCRIBED or o.type not in _ARRAY_NAMES:
            return {"type": "unrepresentable", "detail": ("%r" % (o,))[:200]}
        return {"type": "array", "element": _ARRAY_NAMES[o.type],
                "value": [from_proton(e).get("value") for e in o.elements]}
    # e.g. Proton's UnmappedType, for an AMQP type its Python binding does not map
    return {"type": "unrepresentable", "detail": "%s: %r" % (type(o).__name__, o)}
