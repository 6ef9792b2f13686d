// Conditions: owned copies of the spec's error, and back.
#include "amqp/condition.hpp"

namespace amqp {

condition condition::from(const spec::error& e) {
  condition c;
  c.name = std::string(e.condition.str);
  if (e.description) c.description = std::string(*e.description);
  if (e.info.owned())
    c.info = *e.info.owned();
  else if (!e.info.is_null())
    c.info = value::from_view(e.info.view());
  return c;
}

spec::error condition::to_spec() const noexcept {
  spec::error e{.condition = symbol_view(name)};
  if (!description.empty()) e.description = description;
  if (!info.is_null()) e.info = info;
  return e;
}

std::string condition::to_string() const {
  if (description.empty()) return name;
  return name + ": " + description;
}

}  // namespace amqp
