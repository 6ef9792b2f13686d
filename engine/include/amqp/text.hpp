// Readable text for AMQP values, messages and frames: the format of amqp-inspect and of the
// frame trace. Described values with a descriptor from the spec table print with the type and
// field names; everything else prints with its AMQP type, so the text is unambiguous.
//
//   std::cout << amqp::to_text(view) << '\n';
//   // @open(0x10) {container-id: "c1", max-frame-size: uint 65536}
#pragma once

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

void append_text(std::string& out, value_view v, const text_options& options = {});
std::string to_text(value_view v, const text_options& options = {});
std::string to_text(const message_view& m, const text_options& options = {});
std::string to_text(const protocol_header& h);
std::string to_text(const frame_view& f, const text_options& options = {});

}  // namespace amqp
