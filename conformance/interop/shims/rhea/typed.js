'use strict';
// Typed-value JSON (conformance/interop/README.md) to and from rhea's typed values.
//
// rhea's Typed objects (rhea.types) name every AMQP encoding by its type code, so both
// directions work at that level: 64-bit integers and timestamps are written from 8-byte
// Buffers, decimals and uuids from raw Buffers, maps as flat key/value lists in encoded
// order. rhea's plain-JavaScript view (message.body, types.unwrap) would lose the types; its
// Reader still rounds some 64-bit integers, reads timestamps into a Date and keeps one
// descriptor per value (see fromRhea).

const crypto = require('crypto');
const rhea = require('rhea');

const T = rhea.types;
const REPORT_LIMIT = 1024;
const NOT_PROPERTY = new Set(['list', 'map', 'array', 'described']);

class Unsupported extends Error {}

function generate(spec) {
    const n = spec.generate;
    if (spec.type === 'binary') {
        const b = Buffer.alloc(n);
        for (let i = 0; i < n; i++) b[i] = (i * 31 + 7) % 256;
        return b;
    }
    return 'abcdefghijklmnopqrstuvwxyz'.repeat(Math.floor(n / 26) + 1).slice(0, n);
}

function int64(text, signed) {
    const b = Buffer.alloc(8);
    if (signed) b.writeBigInt64BE(BigInt(text)); else b.writeBigUInt64BE(BigInt(text));
    return b;
}

// rhea writes floats and doubles from JavaScript numbers: a value whose bits do not survive
// that (a signalling float NaN gets quieted) cannot be sent as given.
function ieee(hex, width) {
    const bits = Buffer.from(hex.slice(2), 'hex');
    const x = width === 4 ? bits.readFloatBE(0) : bits.readDoubleBE(0);
    const back = Buffer.alloc(width);
    if (width === 4) back.writeFloatBE(x); else back.writeDoubleBE(x);
    if (!back.equals(bits)) {
        throw new Unsupported(
            `${hex} becomes 0x${back.toString('hex')} through a JavaScript number`);
    }
    return x;
}

function ascii(text) {
    // rhea encodes symbols with Node's 'ascii' encoding, which keeps only the low byte.
    if (!/^[\x00-\x7f]*$/.test(text)) throw new Unsupported('rhea encodes symbols as ASCII only');
    return text;
}

const SCALARS = {
    boolean: (v) => T.wrap_boolean(v),
    ubyte: (v) => T.wrap_ubyte(Number(v)),
    ushort: (v) => T.wrap_ushort(Number(v)),
    uint: (v) => T.wrap_uint(Number(v)),
    ulong: (v) => T.wrap_ulong(int64(v, false)),
    byte: (v) => T.wrap_byte(Number(v)),
    short: (v) => T.wrap_short(Number(v)),
    int: (v) => T.wrap_int(Number(v)),
    long: (v) => T.wrap_long(int64(v, true)),
    float: (v) => T.wrap_float(ieee(v, 4)),
    double: (v) => T.wrap_double(ieee(v, 8)),
    // rhea defines the decimal types but has no wrap_ function: it writes their raw bytes.
    decimal32: (v) => T.Decimal32(Buffer.from(v.slice(2), 'hex')),
    decimal64: (v) => T.Decimal64(Buffer.from(v.slice(2), 'hex')),
    decimal128: (v) => T.Decimal128(Buffer.from(v.slice(2), 'hex')),
    char: (v) => T.wrap_char(parseInt(v.slice(2), 16)),
    timestamp: (v) => T.wrap_timestamp(int64(v, true)),
    uuid: (v) => T.wrap_uuid(Buffer.from(v.replace(/-/g, ''), 'hex')),
    binary: (v) => T.wrap_binary(Buffer.from(v, 'hex')),
    string: (v) => T.wrap_string(v),
    symbol: (v) => T.wrap_symbol(ascii(v)),
};

// An array writes one constructor for all its elements: the full-width encoding of each type.
const ARRAY_CODES = {
    null: 0x40, boolean: 0x56, ubyte: 0x50, ushort: 0x60, uint: 0x70, ulong: 0x80, byte: 0x51,
    short: 0x61, int: 0x71, long: 0x81, float: 0x72, double: 0x82, decimal32: 0x74,
    decimal64: 0x84, decimal128: 0x94, char: 0x73, timestamp: 0x83, uuid: 0x98,
    binary: 0xb0, string: 0xb1, symbol: 0xb3, list: 0xd0, map: 0xd1,
};

function arrayOf(tv) {
    const code = ARRAY_CODES[tv.element];
    if (code === undefined) {
        throw new Unsupported(`array of ${tv.element} is not expressible in the values format`);
    }
    const items = tv.value.map((v) => toRhea({type: tv.element, value: v}).value);
    return T.wrap_array(tv.element === 'boolean' ? items.map(Number) : items, code);
}

function toRhea(tv) {
    if (tv.generate !== undefined) {
        const content = generate(tv);
        return tv.type === 'binary' ? T.wrap_binary(content) : T.wrap_string(content);
    }
    switch (tv.type) {
    case 'null': return T.Null();
    case 'list': return T.wrap_list(tv.value.map(toRhea));
    case 'map': return T.Map32(tv.value.flatMap(([k, v]) => [toRhea(k), toRhea(v)]));
    case 'array': return arrayOf(tv);
    case 'described': {
        const value = toRhea(tv.value);
        if (value.descriptor) throw new Unsupported('a rhea value holds one descriptor');
        return T.described(toRhea(tv.descriptor), value);
    }
    default: return SCALARS[tv.type](tv.value);
    }
}

function reported(type, content, bytes) {
    if (bytes.length <= REPORT_LIMIT) {
        return {type, value: type === 'binary' ? bytes.toString('hex') : content};
    }
    let length = bytes.length;
    if (type === 'string') {
        // In characters: UTF-16 units less one per surrogate pair.
        length = content.length - (content.match(/[\ud800-\udbff][\udc00-\udfff]/g) || []).length;
    }
    return {type, length, sha256: crypto.createHash('sha256').update(bytes).digest('hex')};
}

function hex(buffer) {
    return '0x' + buffer.toString('hex');
}

function bits(x, width) {
    const b = Buffer.alloc(width);
    if (width === 4) b.writeFloatBE(x); else b.writeDoubleBE(x);
    return hex(b);
}

// rhea reads a 64-bit integer as a number while its high 32 bits are below 2^21 (above -2^21
// for long), otherwise as its 8 bytes: a value above 2^53 and below 2^53 + 2^32 arrives
// already rounded to a double, and is printed as rhea gives it.
function big(v, signed) {
    if (!Buffer.isBuffer(v)) return String(v);
    return String(signed ? v.readBigInt64BE(0) : v.readBigUInt64BE(0));
}

function uuidText(b) {
    const h = b.toString('hex');
    return [h.slice(0, 8), h.slice(8, 12), h.slice(12, 16), h.slice(16, 20), h.slice(20)].join('-');
}

function timestamp(date) {
    // rhea reads timestamps into a Date: beyond its range (±8.64e15 ms) nothing is left.
    const ms = date.getTime();
    return Number.isNaN(ms) ?
        {type: 'unrepresentable', detail: 'timestamp outside the range of a JavaScript Date'} :
        {type: 'timestamp', value: String(ms)};
}

const FROM = {
    0x40: () => ({type: 'null'}),
    0x41: () => ({type: 'boolean', value: true}),
    0x42: () => ({type: 'boolean', value: false}),
    0x56: (v) => ({type: 'boolean', value: Boolean(v)}),
    0x50: (v) => ({type: 'ubyte', value: String(v)}),
    0x60: (v) => ({type: 'ushort', value: String(v)}),
    0x70: (v) => ({type: 'uint', value: String(v)}),
    0x52: (v) => ({type: 'uint', value: String(v)}),
    0x43: () => ({type: 'uint', value: '0'}),
    0x80: (v) => ({type: 'ulong', value: big(v, false)}),
    0x53: (v) => ({type: 'ulong', value: String(v)}),
    0x44: () => ({type: 'ulong', value: '0'}),
    0x51: (v) => ({type: 'byte', value: String(v)}),
    0x61: (v) => ({type: 'short', value: String(v)}),
    0x71: (v) => ({type: 'int', value: String(v)}),
    0x54: (v) => ({type: 'int', value: String(v)}),
    0x81: (v) => ({type: 'long', value: big(v, true)}),
    0x55: (v) => ({type: 'long', value: String(v)}),
    0x72: (v) => ({type: 'float', value: bits(v, 4)}),
    0x82: (v) => ({type: 'double', value: bits(v, 8)}),
    0x74: (v) => ({type: 'decimal32', value: hex(v)}),
    0x84: (v) => ({type: 'decimal64', value: hex(v)}),
    0x94: (v) => ({type: 'decimal128', value: hex(v)}),
    0x73: (v) => ({type: 'char', value: 'U+' + v.toString(16).toUpperCase().padStart(4, '0')}),
    0x83: timestamp,
    0x98: (v) => ({type: 'uuid', value: uuidText(v)}),
    0xa0: (v) => reported('binary', v, v),
    0xb0: (v) => reported('binary', v, v),
    0xa1: (v) => reported('string', v, Buffer.from(v, 'utf8')),
    0xb1: (v) => reported('string', v, Buffer.from(v, 'utf8')),
    0xa3: (v) => ({type: 'symbol', value: v}),
    0xb3: (v) => ({type: 'symbol', value: v}),
    0x45: () => ({type: 'list', value: []}),
    0xc0: (v) => ({type: 'list', value: v.map(fromRhea)}),
    0xd0: (v) => ({type: 'list', value: v.map(fromRhea)}),
    0xc1: pairs,
    0xd1: pairs,
};

function pairs(flat) {
    const value = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
        value.push([fromRhea(flat[i]), fromRhea(flat[i + 1])]);
    }
    return {type: 'map', value};
}

const ELEMENT_NAMES = Object.fromEntries(Object.entries(ARRAY_CODES).map(([k, v]) => [v, k]));
// Arrays written by others may use the short encodings.
Object.assign(ELEMENT_NAMES,
    {0xa0: 'binary', 0xa1: 'string', 0xa3: 'symbol', 0xc0: 'list', 0xc1: 'map'});

function fromArray(typed) {
    const constructor = typed.array_constructor;
    const element = ELEMENT_NAMES[constructor.typecode];
    if (!element || constructor.descriptor) {
        return {type: 'unrepresentable',
            detail: `array with constructor ${JSON.stringify(constructor)}`};
    }
    return {type: 'array', element, value: typed.value.map((e) => fromRhea(e).value)};
}

// The TYPED value for one of rhea's Typed values (as its Reader produced it).
function fromRhea(typed) {
    if (typed.descriptor !== undefined) {
        // rhea's Reader keeps the first descriptor only, should a value have several.
        const value = Object.assign(Object.create(Object.getPrototypeOf(typed)), typed,
            {descriptor: undefined});
        return {type: 'described', descriptor: fromRhea(typed.descriptor), value: fromRhea(value)};
    }
    const code = typed.type.typecode;
    if (code === 0xe0 || code === 0xf0) return fromArray(typed);
    const convert = FROM[code];
    return convert ? convert(typed.value) :
        {type: 'unrepresentable', detail: `rhea type code 0x${code.toString(16)}`};
}

module.exports = {NOT_PROPERTY, Unsupported, toRhea, fromRhea};
