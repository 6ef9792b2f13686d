// Error codes of the AMQP engine and the result type its calls return.
//
// Every failure is an `amqp::errc` inside a `std::error_code` of `amqp::error_category()`.
// Decoding failures also carry the byte offset where the input went wrong:
//
//   auto v = amqp::decode_value(bytes);
//   if (!v) std::cerr << v.error().message() << '\n';  // "invalid UTF-8 in string at offset 7"
//
// The engine never throws; fallible calls return `amqp::result<T>`.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace amqp {

enum class errc : int {
  // Codec (spec Part 1, types).
  truncated = 1,            // the input ends inside a value
  size_exceeds_input,       // a size or length prefix claims more bytes than remain
  count_exceeds_size,       // an element count that cannot fit in the compound's size
  compound_size_mismatch,   // the elements of a list/map/array do not fill its size exactly
  odd_map_count,            // a map with an odd number of elements
  unknown_format_code,      // a constructor byte the type system does not define
  invalid_boolean,          // a 0x56 boolean whose byte is neither 0 nor 1
  invalid_utf8,             // a string that is not valid UTF-8
  invalid_symbol,           // a symbol with a byte outside 7-bit ASCII
  invalid_char,             // a char that is not a Unicode scalar value
  nesting_too_deep,         // compounds or described types nested beyond the limit
  nested_descriptor,        // a descriptor that is itself a described type
  too_many_elements,        // zero-width array elements beyond the per-decode limit
  trailing_bytes,           // bytes left after a value that must fill its input
  // Composite types (spec table).
  unexpected_descriptor,    // a described value whose descriptor is not the one expected
  not_a_list,               // a composite whose described value is not a list
  too_many_fields,          // a composite list longer than its type's field count
  missing_mandatory_field,  // a mandatory field that is null or absent
  field_type_mismatch,      // a field whose encoded type does not match the spec
  invalid_field_value,      // a restricted-type field with a value outside its choices
  // Messages (spec Part 3, 3.2).
  invalid_section,          // a message part that is not a described message section
  section_order,            // sections out of order, repeated, or body kinds mixed
  // Frames (spec Part 2, 2.2 and 2.3).
  invalid_protocol_header,  // 8 bytes that are not "AMQP" + id + version 1.0.0
  unsupported_protocol,     // a well-formed header for a protocol id or version we do not speak
  frame_size_too_small,     // a frame size below the 8-byte frame header
  frame_size_too_large,     // a frame size above the negotiated max-frame-size
  invalid_data_offset,      // doff below 2 or pointing past the frame end
  unknown_frame_type,       // a frame type other than 0 (AMQP) or 1 (SASL)
  invalid_frame_body,       // a frame body that is not one performative (plus payload)
  // Encoding.
  value_too_large,          // a value whose encoding exceeds what its format allows
  array_element_mismatch,   // an array element whose kind differs from the array's
  // Engine usage: the application broke a precondition; the call changed nothing.
  invalid_handle,           // a handle that is stale or was never issued by this engine
  wrong_state,              // a command the endpoint's current state does not allow
  invalid_argument,         // an argument the spec or the engine's limits do not allow
  limit_reached,            // a limit (ours or the peer's) leaves no room: no free channel
  no_credit,                // a sending link without credit: wait for credit_granted
  // Messaging.
  in_doubt,                 // a delivery's link or connection ended before the peer settled it
  transaction_failed,       // a transaction's coordinator refused or rolled it back
  // Engine fatal: an earlier failure poisoned the engine; every command returns this.
  engine_failed,
};

const std::error_category& error_category() noexcept;

inline std::error_code make_error_code(errc e) noexcept {
  return {static_cast<int>(e), error_category()};
}

// Short text for an errc, without offset ("invalid UTF-8 in string").
const char* describe(errc e) noexcept;

// A failure to decode: what went wrong and at which byte of the input (relative to the start of
// the buffer handed to the decoding call).
struct decode_error {
  errc code{};
  std::size_t offset = 0;

  std::error_code error_code() const noexcept { return make_error_code(code); }
  // "invalid UTF-8 in string at offset 7"
  std::string message() const;
  friend bool operator==(const decode_error&, const decode_error&) = default;
};

// A value or an error; small, move-only where T is, never throws. Checked access is the
// caller's job: `*r` on an error is a precondition violation (asserted in debug builds).
template <class T, class E = decode_error>
class [[nodiscard]] result {
 public:
  result(T value) : v_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit
  result(E error) : v_(std::in_place_index<1>, std::move(error)) {}  // NOLINT: implicit
  // A default-constructed value, built in place (for large T filled after construction).
  explicit result(std::in_place_t) : v_(std::in_place_index<0>) {}

  bool has_value() const noexcept { return v_.index() == 0; }
  explicit operator bool() const noexcept { return has_value(); }

  T& operator*() & noexcept { return *std::get_if<0>(&v_); }
  const T& operator*() const& noexcept { return *std::get_if<0>(&v_); }
  T&& operator*() && noexcept { return std::move(*std::get_if<0>(&v_)); }
  T* operator->() noexcept { return std::get_if<0>(&v_); }
  const T* operator->() const noexcept { return std::get_if<0>(&v_); }
  const E& error() const noexcept { return *std::get_if<1>(&v_); }

 private:
  std::variant<T, E> v_;
};

}  // namespace amqp

template <>
struct std::is_error_code_enum<amqp::errc> : std::true_type {};
