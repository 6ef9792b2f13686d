"""Typed-value JSON (conformance/interop/README.md) to and from Azure uAMQP's Python values.

Sending uses uamqp.types where it has the type (the integers, symbol, array, described) and
the plain Python values uamqp.utils.data_factory maps (None, bool, float as double, str,
bytearray as binary, uuid.UUID, list). uamqp.types has no float, timestamp or map type that
keeps any key, so those come from the typed constructors of uamqp's own extension module,
c_uamqp. (uamqp.types.AMQPChar passes bytes where c_uamqp.char_value wants a code point, and
uAMQP-C cannot encode a char anyway.)

Receiving walks the c_uamqp value tree uAMQP-C decoded, which keeps every AMQP type; the
Python view (Message.get_data(), .value) turns integers into int, strings and symbols into
bytes and drops descriptors.
"""

import hashlib
import struct
import uuid

from uamqp import c_uamqp, types, utils

REPORT_LIMIT = 1024
NOT_PROPERTY = {"list", "map", "array", "described"}


class Unsupported(Exception):
    """A value uAMQP cannot express; the message says why."""


def generate(spec):
    """The content of a {"generate": N} binary or string."""
    n = spec["generate"]
    # Both patterns repeat (every 256 bytes, every 26 characters): build one period and repeat it.
    if spec["type"] == "binary":
        period = bytes((i * 31 + 7) % 256 for i in range(256))
        return (period * (n // 256 + 1))[:n]
    return ("abcdefghijklmnopqrstuvwxyz" * (n // 26 + 1))[:n]


def _no_nul(t, text):
    # c_uamqp.string_value and symbol_value take a NUL-terminated char*.
    if "\0" in text:
        raise Unsupported("uAMQP's %s constructor takes a NUL-terminated C string" % t)
    return text


def _float32(bits):
    if bits & 0x7f800000 == 0x7f800000 and bits & 0x007fffff and not bits & 0x00400000:
        raise Unsupported("float %#010x is a signalling NaN: c_uamqp.float_value takes a Python "
                          "float (double), and the conversion quiets it" % bits)
    return c_uamqp.float_value(struct.unpack(">f", struct.pack(">I", bits))[0])


def _scalar(t, v):
    if t.startswith("decimal"):
        raise Unsupported("uAMQP-C has no decimal32/64/128 (no such type in its amqpvalue API)")
    if t == "char":
        # c_uamqp.char_value builds one, but amqpvalue_get_encoded_size fails on it, so
        # uAMQP-C cannot send any message holding a char.
        raise Unsupported("uAMQP-C cannot encode a char (amqpvalue_get_encoded_size fails)")
    return {
        "boolean": lambda: bool(v),
        "ubyte": lambda: types.AMQPuByte(int(v)),
        "ushort": lambda: types.AMQPuShort(int(v)),
        "uint": lambda: types.AMQPuInt(int(v)),
        "ulong": lambda: types.AMQPuLong(int(v)),
        "byte": lambda: types.AMQPByte(int(v)),
        "short": lambda: types.AMQPShort(int(v)),
        "int": lambda: types.AMQPInt(int(v)),
        "long": lambda: types.AMQPLong(int(v)),
        "float": lambda: _float32(int(v, 16)),
        "double": lambda: struct.unpack(">d", struct.pack(">Q", int(v, 16)))[0],
        "timestamp": lambda: c_uamqp.timestamp_value(int(v)),
        "uuid": lambda: uuid.UUID(v),
        "binary": lambda: bytearray.fromhex(v),  # data_factory makes bytes an AMQP *string*
        "string": lambda: _no_nul(t, v),
        "symbol": lambda: types.AMQPSymbol(_no_nul(t, v)),
    }[t]()


def to_uamqp(tv):
    """A value uamqp.utils.data_factory takes, for a TYPED value; raises Unsupported."""
    t = tv["type"]
    if "generate" in tv:
        content = generate(tv)
        return bytearray(content) if t == "binary" else content
    if t == "null":
        return None
    if t == "list":
        return [to_uamqp(e) for e in tv["value"]]
    if t == "map":
        # Built as uAMQP-C's own map: a Python dict would need hashable keys.
        result = c_uamqp.dict_value()
        for k, v in tv["value"]:
            result[utils.data_factory(to_uamqp(k))] = utils.data_factory(to_uamqp(v))
        if result.size != len(tv["value"]):
            raise Unsupported("uAMQP-C's map replaces the value of an equal key")
        return result
    if t == "array":
        if not tv["value"]:
            raise Unsupported("uAMQP-C takes an array's element type from its first element: "
                              "it encodes an empty array with no element constructor (e0 01 00)")
        if tv["element"] in ("array", "described"):
            raise Unsupported("array of %s is not expressible in the values format" % tv["element"])
        return types.AMQPArray([to_uamqp({"type": tv["element"], "value": v})
                                for v in tv["value"]])
    if t == "described":
        return types.AMQPDescribed(to_uamqp(tv["descriptor"]), to_uamqp(tv["value"]))
    return _scalar(t, tv["value"])


def _reported(t, content, data):
    if len(data) > REPORT_LIMIT:
        return {"type": t, "length": len(content), "sha256": hashlib.sha256(data).hexdigest()}
    return {"type": t, "value": data.hex() if t == "binary" else content}


def _text(t, raw):
    # uAMQP-C hands strings and symbols over as NUL-terminated char*: anything after a NUL
    # inside the value is lost before Python sees it.
    text = raw.decode("utf-8", "surrogateescape")
    return _reported(t, text, raw) if t == "string" else {"type": t, "value": text}


def _bits(fmt, ifmt, x, digits):
    return "0x%0*x" % (digits, struct.unpack(ifmt, struct.pack(fmt, x))[0])


_FROM = {
    c_uamqp.BoolValue: lambda v: {"type": "boolean", "value": bool(v.value)},
    c_uamqp.UByteValue: lambda v: {"type": "ubyte", "value": str(v.value)},
    c_uamqp.UShortValue: lambda v: {"type": "ushort", "value": str(v.value)},
    c_uamqp.UIntValue: lambda v: {"type": "uint", "value": str(v.value)},
    c_uamqp.ULongValue: lambda v: {"type": "ulong", "value": str(v.value)},
    c_uamqp.ByteValue: lambda v: {"type": "byte", "value": str(v.value)},
    c_uamqp.ShortValue: lambda v: {"type": "short", "value": str(v.value)},
    c_uamqp.IntValue: lambda v: {"type": "int", "value": str(v.value)},
    c_uamqp.LongValue: lambda v: {"type": "long", "value": str(v.value)},
    c_uamqp.FloatValue: lambda v: {"type": "float", "value": _bits(">f", ">I", v.value, 8)},
    c_uamqp.DoubleValue: lambda v: {"type": "double", "value": _bits(">d", ">Q", v.value, 16)},
    c_uamqp.TimestampValue: lambda v: {"type": "timestamp", "value": str(v.value)},
    c_uamqp.UUIDValue: lambda v: {"type": "uuid", "value": str(v.value)},
    c_uamqp.BinaryValue: lambda v: _reported("binary", v.value, v.value),
    c_uamqp.StringValue: lambda v: _text("string", v.value),
    c_uamqp.SymbolValue: lambda v: _text("symbol", v.value),
}


def from_uamqp(v):
    """The TYPED value for a c_uamqp value (None: a value uamqp could not wrap)."""
    if v is None:
        return {"type": "unrepresentable", "detail": "uamqp could not wrap this value's type"}
    if type(v) is c_uamqp.AMQPValue:
        return {"type": "null"}
    convert = _FROM.get(type(v))
    if convert:
        return convert(v)
    if isinstance(v, c_uamqp.ListValue):
        return {"type": "list", "value": [from_uamqp(v[i]) for i in range(v.size)]}
    if isinstance(v, c_uamqp.DictValue):
        return {"type": "map", "value": [[from_uamqp(k), from_uamqp(x)]
                                         for k, x in (v.get(i) for i in range(v.size))]}
    if isinstance(v, c_uamqp.DescribedValue):
        return {"type": "described", "descriptor": from_uamqp(v.description),
                "value": from_uamqp(v.data)}
    if isinstance(v, c_uamqp.ArrayValue):
        items = [from_uamqp(v[i]) for i in range(v.size)]
        if not items:
            return {"type": "unrepresentable",
                    "detail": "uamqp gives no element type for an empty array"}
        return {"type": "array", "element": items[0]["type"],
                "value": [item.get("value") for item in items]}
    return {"type": "unrepresentable", "detail": "uamqp %s" % type(v).__name__}
