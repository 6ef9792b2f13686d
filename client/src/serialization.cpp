#include "amqp/client/serialization.hpp"

#include <algorithm>
#include <mutex>
#include <utility>

#include "amqp/codec/decoder.hpp"
#include "support.hpp"

namespace amqp::client {

namespace {

const char* kind_of(const payload& p) {
  switch (p.index()) {
    case 0: return "an empty";
    case 1: return "a text";
    case 2: return "a bytes";
    case 3: return "an AMQP value";
    default: return "a JSON";
  }
}

codec_failure cannot_take(std::string_view serializer, const payload& p, std::string_view why) {
  return {std::string(serializer) + ": " + kind_of(p) + " payload " + std::string(why)};
}

// The text of a data body, which must be UTF-8 (what the text serializers write).
result<std::string, codec_failure> utf8_text(std::string_view serializer, const serialized& s) {
  const bytes* b = std::get_if<bytes>(&s);
  if (!b) return codec_failure{std::string(serializer) + ": the body is an amqp-value, not data"};
  std::string text(b->begin(), b->end());
  if (const std::size_t at = utf8_error_offset(text); at != text.size())
    return codec_failure{std::string(serializer) + ": the body is not UTF-8 (byte " +
                         std::to_string(at) + ")"};
  return text;
}

serializer json_serializer() {
  serializer s{.name = "json", .content_type = "application/json", .content_encoding = "utf-8"};
  s.dumps = [](const payload& p) -> result<serialized, codec_failure> {
    if (const auto* j = std::get_if<nlohmann::json>(&p)) {
      std::string text;
      try {
        text = j->dump();  // throws on a string that is not UTF-8
      } catch (const nlohmann::json::exception& e) {
        return codec_failure{std::string("json: ") + e.what()};
      }
      return serialized(bytes(text.begin(), text.end()));
    }
    if (const auto* t = std::get_if<std::string>(&p)) {
      // kombu's json serializer takes a string as the JSON string it is.
      std::string text;
      try {
        text = nlohmann::json(*t).dump();
      } catch (const nlohmann::json::exception& e) {
        return codec_failure{std::string("json: ") + e.what()};
      }
      return serialized(bytes(text.begin(), text.end()));
    }
    return cannot_take("json", p, "cannot be written as JSON (give nlohmann::json or text)");
  };
  s.loads = [](const serialized& in) -> result<payload, codec_failure> {
    auto text = utf8_text("json", in);
    if (!text) return text.error();
    nlohmann::json j = nlohmann::json::parse(*text, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded()) return codec_failure{"json: the body is not valid JSON"};
    return payload(std::move(j));
  };
  return s;
}

serializer text_serializer() {
  serializer s{.name = "text", .content_type = "text/plain", .content_encoding = "utf-8"};
  s.dumps = [](const payload& p) -> result<serialized, codec_failure> {
    const auto* t = std::get_if<std::string>(&p);
    if (!t) return cannot_take("text", p, "is not text");
    if (const std::size_t at = utf8_error_offset(*t); at != t->size())
      return codec_failure{"text: the text is not UTF-8 (byte " + std::to_string(at) + ")"};
    return serialized(bytes(t->begin(), t->end()));
  };
  s.loads = [](const serialized& in) -> result<payload, codec_failure> {
    auto text = utf8_text("text", in);
    if (!text) return text.error();
    return payload(std::move(*text));
  };
  return s;
}

serializer raw_serializer() {
  serializer s{.name = "raw", .content_type = "application/data", .content_encoding = "binary"};
  s.dumps = [](const payload& p) -> result<serialized, codec_failure> {
    if (const auto* b = std::get_if<bytes>(&p)) return serialized(*b);
    // Text goes as its bytes, as kombu's raw serializer sends a str.
    if (const auto* t = std::get_if<std::string>(&p)) return serialized(bytes(t->begin(), t->end()));
    return cannot_take("raw", p, "has no bytes to send as they are (give bytes or text)");
  };
  s.loads = [](const serialized& in) -> result<payload, codec_failure> {
    if (const auto* b = std::get_if<bytes>(&in)) return payload(*b);
    return codec_failure{"raw: the body is an amqp-value, not data"};
  };
  return s;
}

serializer amqp_serializer() {
  serializer s{.name = "amqp", .content_type = "", .content_encoding = "binary"};
  s.dumps = [](const payload& p) -> result<serialized, codec_failure> {
    if (const auto* v = std::get_if<amqp::value>(&p)) return serialized(*v);
    if (const auto* t = std::get_if<std::string>(&p)) return serialized(amqp::value(*t));
    if (const auto* b = std::get_if<bytes>(&p)) return serialized(amqp::value::bin(*b));
    if (std::holds_alternative<std::monostate>(p)) return serialized(amqp::value());
    return cannot_take("amqp", p, "has no AMQP type (serialize it as json)");
  };
  s.loads = [](const serialized& in) -> result<payload, codec_failure> {
    if (const auto* v = std::get_if<amqp::value>(&in)) return payload(*v);
    return payload(std::get<bytes>(in));  // a data body without a content-type: its bytes
  };
  return s;
}

bool same_media_type(std::string_view a, std::string_view b) {
  return detail::same_name(detail::media_type(a), detail::media_type(b));
}

}  // namespace

serializer_registry::serializer_registry(bool builtins) {
  if (!builtins) return;
  for (serializer s : {json_serializer(), text_serializer(), raw_serializer(), amqp_serializer()})
    all_.push_back(std::make_shared<const serializer>(std::move(s)));
}

void serializer_registry::add(serializer s) {
  auto added = std::make_shared<const serializer>(std::move(s));
  std::unique_lock lock(mutex_);
  std::erase_if(all_, [&](const auto& e) {
    return e->name == added->name ||
           (!added->content_type.empty() &&
            same_media_type(e->content_type, added->content_type));
  });
  all_.push_back(std::move(added));
}

std::shared_ptr<const serializer> serializer_registry::find(std::string_view name) const {
  std::shared_lock lock(mutex_);
  for (const auto& s : all_)
    if (s->name == name) return s;
  return nullptr;
}

std::shared_ptr<const serializer> serializer_registry::for_content_type(
    std::string_view content_type) const {
  std::shared_lock lock(mutex_);
  for (const auto& s : all_)
    if (!s->content_type.empty() && same_media_type(s->content_type, content_type)) return s;
  return nullptr;
}

std::vector<std::string> serializer_registry::names() const {
  std::shared_lock lock(mutex_);
  std::vector<std::string> out;
  for (const auto& s : all_) out.push_back(s->name);
  return out;
}

result<dumped, codec_failure> serializer_registry::dumps(const payload& body,
                                                         std::string_view name) const {
  const auto s = find(name);
  if (!s) return codec_failure{"no serializer named '" + std::string(name) + "'"};
  auto out = s->dumps(body);
  if (!out) return out.error();
  return dumped{std::move(*out), s->content_type};
}

result<payload, codec_failure> serializer_registry::loads(const serialized& body,
                                                          std::string_view content_type) const {
  if (content_type.empty()) {
    if (const auto* v = std::get_if<amqp::value>(&body)) return payload(*v);
    return payload(std::get<bytes>(body));
  }
  const auto s = for_content_type(content_type);
  if (!s)
    return codec_failure{"no serializer reads content-type '" + std::string(content_type) + "'"};
  return s->loads(body);
}

serializer_registry& serializers() {
  static serializer_registry registry;
  return registry;
}

}  // namespace amqp::client
