// Entry points for the text of values (amqp/text.hpp).
#include "text/text_format.hpp"

namespace amqp {

void append_text(std::string& out, value_view v, const text_options& options) {
  detail::text_printer(out, options).value(v);
}

std::string to_text(value_view v, const text_options& options) {
  std::string out;
  append_text(out, v, options);
  return out;
}

}  // namespace amqp
