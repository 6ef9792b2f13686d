// Readable text for AMQP values, messages and frames: the format of amqp-inspect and of the
// frame trace. Described values with a descriptor from the spec table print with the type and
// field names; everything else prints with its AMQP type, so the text is unambiguous.
//
//   std::cout << amqp::to_text(view) << '\n';
//   // @open(0x10) {container-id: "c1", max-frame-size: uint 65536}
//
// The format (stable: tests hold golden strings of it):
//
//   null, true, false
//   ubyte 7   ushort 7   uint 7   ulong 7   byte -1   short -1   int 42   long 42
//   float 1.5   double 0.1        shortest text that reads back to the same bits; inf, -inf,
//                                 -0; nan for the default quiet NaN, else nan(0x7fc00001)
//   decimal32 0x2200000c          the raw IEEE 754 bits (decimal64: 16 digits, decimal128: 32)
//   char 'a'   char U+1F600       quoted for printable ASCII other than ' and \, else U+XXXX
//   timestamp 2026-11-23T20:14:00.000Z    UTC; years outside 0000..9999 as -0001 or +10000
//   uuid 01234567-89ab-cdef-0123-456789abcdef
//   b"abc\x00"                    binary: printable ASCII, \" \\ \n \r \t, else \xNN
//   "text"                        string: UTF-8 as is; \" \\ \n \r \t; other C0 controls and
//                                 DEL as \xNN; invisible or bidi code points as \u{200F}
//   :name   :"odd symbol"         symbol: bare when made of letters, digits and -_.:/+*$#%&=?!~^|@
//   [a, b]   {key: value}         list, map (entries in wire order)
//   uint[1, 2]                    array: element type, then elements without their type name
//   @open(0x10) {container-id: "c1", max-frame-size: uint 65536}
//                                 a composite of the spec table: its non-null fields by name;
//                                 choices of restricted types by name (role: receiver,
//                                 snd-settle-mode: mixed); a symbolic descriptor shows as
//                                 @open(:amqp:open:list)
//   @data(0x75) b"..."            a section without fields: the described value as is
//   @0x00001234:0x00000001 value  an unknown numeric descriptor (domain:id)
//   @:com.example:x value         an unknown symbolic descriptor; other descriptor types in
//                                 parentheses: @(uint 5) value
//   @source(0x28) list[{address: "a"}]   an array of described values: descriptor, element
//                                 type, then each described value
//
// When a compound's one-line form does not fit in `width` columns (counted from the start of
// the current line, so a prefix already in the output counts), it is broken with one element
// per line, indented by `indent` per nesting level, and a comma after each element but the
// last. Scalars are never broken. With `multiline` off everything stays on one line.
//
// A message prints one section a line. A frame prints as `[offset] ch N <performative>`, an
// empty frame as `[offset] ch N (empty frame)`; a transfer's payload follows, each section on
// its own line indented one level when it decodes as a message, else as
// `payload 12 bytes: 00 53 ...` (with `multiline` off, on the same line after a space).
// A protocol header prints as `AMQP 1.0.0`, `SASL 1.0.0` or `TLS 1.0.0`.
//
// Output is deterministic and has no trailing newline. Views must be decoder-made (valid).
#pragma once

#include <cstdint>
#include <string>

#include "amqp/codec/value_view.hpp"
#include "amqp/frame.hpp"
#include "amqp/message.hpp"

namespace amqp {

struct text_options {
  // Break compounds over several indented lines when they do not fit in `width` columns.
  bool multiline = true;
  int width = 100;
  int indent = 2;
};

// Appends the text of `v` to `out`; columns for `width` start after the last '\n' in `out`.
void append_text(std::string& out, value_view v, const text_options& options = {});
std::string to_text(value_view v, const text_options& options = {});

// One line per present section, in wire order (header and properties re-encoded from the
// decoded structs, the other sections as they were viewed).
std::string to_text(const message_view& m, const text_options& options = {});

// "AMQP 1.0.0", "SASL 1.0.0", "TLS 1.0.0" (another id: "AMQP id 5 1.0.0").
std::string to_text(const protocol_header& h);
// "[offset] AMQP 1.0.0": a protocol header where it was in the stream.
void append_text(std::string& out, const protocol_header& h, std::uint64_t offset);

// "[offset] ch N <performative>" and, for a transfer, its payload (see the format above).
void append_text(std::string& out, const frame_view& f, const text_options& options = {});
std::string to_text(const frame_view& f, const text_options& options = {});

}  // namespace amqp
