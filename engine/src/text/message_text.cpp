// Text of messages: one section a line (amqp/text.hpp).
#include "amqp/codec/encoder.hpp"
#include "amqp/spec/codec.hpp"
#include "amqp/spec/messaging.hpp"
#include "text/text_format.hpp"

namespace amqp {
namespace {

constexpr std::uint64_t delivery_annotations_code = 0x71;
constexpr std::uint64_t message_annotations_code = 0x72;
constexpr std::uint64_t application_properties_code = 0x74;
constexpr std::uint64_t footer_code = 0x78;

class message_printer {
 public:
  message_printer(std::string& out, const text_options& options)
      : out_(out), options_(options) {}

  // A section given as its whole described value.
  void section(value_view v) {
    start_line();
    detail::text_printer(out_, options_).value(v);
  }

  // A section given as its code and described value: printed as the same described value.
  void section(std::uint64_t code, value_view inner) {
    start_line();
    out_ += '@';
    out_ += spec::find_type(code)->name;
    out_ += '(';
    detail::append_hex_bits(out_, code, 2);
    out_ += ") ";
    detail::text_printer(out_, options_).value(inner);
  }

  template <spec::composite T>
  void composite(const T& v) {
    writer w;
    encoder e(w);
    spec::encode(e, v);
    if (auto decoded = decode_value(w.view())) section(*decoded);
  }

  // Back-to-back encoded sections.
  void sections(bytes_view bytes) {
    while (!bytes.empty()) {
      std::size_t used = 0;
      auto v = decode_value_prefix(bytes, used);
      if (!v) return;
      section(*v);
      bytes = bytes.subspan(used);
    }
  }

  bool empty() const noexcept { return lines_ == 0; }

 private:
  void start_line() {
    if (lines_++) out_ += '\n';
  }

  std::string& out_;
  const text_options& options_;
  std::size_t lines_ = 0;
};

}  // namespace

std::string to_text(const message_view& m, const text_options& options) {
  std::string out;
  message_printer p(out, options);
  if (m.header) p.composite(*m.header);
  if (!m.delivery_annotations.is_null())
    p.section(delivery_annotations_code, m.delivery_annotations);
  if (!m.message_annotations.is_null()) p.section(message_annotations_code, m.message_annotations);
  if (m.properties) p.composite(*m.properties);
  if (!m.application_properties.is_null())
    p.section(application_properties_code, m.application_properties);
  if (!m.body_bytes.empty()) p.sections(m.body_bytes);
  if (!m.footer.is_null()) p.section(footer_code, m.footer);
  if (p.empty()) out = "(empty message)";
  return out;
}

}  // namespace amqp
