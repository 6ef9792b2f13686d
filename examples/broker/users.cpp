// The user file: parsing, the credentials it yields, and the SASL decisions made from them.
#include "users.hpp"

#include <algorithm>
#include <array>
#include <charconv>
#include <fstream>
#include <sstream>

namespace broker {

namespace {

constexpr std::uint32_t max_iterations = 1000000;  // a PLAIN check derives keys this costly
constexpr std::size_t salt_size = 16;

std::string upper(std::string_view s) {
  std::string out(s);
  for (char& c : out)
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
  return out;
}

// The digest size of a SCRAM mechanism's hash, 0 for an unknown one.
std::size_t key_size(std::string_view mechanism) {
  if (mechanism == "SCRAM-SHA-1") return 20;
  if (mechanism == "SCRAM-SHA-256") return 32;
  if (mechanism == "SCRAM-SHA-512") return 64;
  return 0;
}

bool valid_name(std::string_view name) {
  if (name.empty()) return false;
  return std::none_of(name.begin(), name.end(), [](char c) {
    return c == ':' || static_cast<unsigned char>(c) < 0x20 || c == 0x7f;
  });
}

// Compares without stopping early: the time taken does not tell how much matched.
bool same_bytes(const std::vector<std::uint8_t>& a, const std::vector<std::uint8_t>& b) {
  if (a.size() != b.size()) return false;
  std::uint8_t diff = 0;
  for (std::size_t i = 0; i < a.size(); ++i) diff = static_cast<std::uint8_t>(diff | (a[i] ^ b[i]));
  return diff == 0;
}

std::vector<std::string_view> split(std::string_view line, char sep) {
  std::vector<std::string_view> out;
  std::size_t start = 0;
  for (;;) {
    const std::size_t at = line.find(sep, start);
    out.push_back(line.substr(start, at == std::string_view::npos ? at : at - start));
    if (at == std::string_view::npos) return out;
    start = at + 1;
  }
}

// A SCRAM line's fields after the name: mechanism, salt, iterations, stored key, server key.
amqp::result<amqp::scram_credentials, std::string> parse_scram(
    const std::vector<std::string_view>& f) {
  amqp::scram_credentials c;
  c.mechanism = upper(f[1]);
  const std::size_t size = key_size(c.mechanism);
  if (size == 0) return "unknown mechanism '" + std::string(f[1]) + "'";
  if (f.size() != 6)
    return std::string("a SCRAM line has six fields: name:mechanism:salt:iterations:stored-key:"
                       "server-key");
  if (!decode_base64(f[2], c.salt) || c.salt.empty())
    return std::string("the salt is not base64");
  std::uint32_t n = 0;
  auto [end, ec] = std::from_chars(f[3].data(), f[3].data() + f[3].size(), n);
  if (ec != std::errc() || end != f[3].data() + f[3].size() || n == 0 || n > max_iterations)
    return "iterations must be 1 to " + std::to_string(max_iterations);
  c.iterations = n;
  if (!decode_base64(f[4], c.stored_key) || c.stored_key.size() != size)
    return "the stored key is not " + std::to_string(size) + " bytes of base64";
  if (!decode_base64(f[5], c.server_key) || c.server_key.size() != size)
    return "the server key is not " + std::to_string(size) + " bytes of base64";
  return c;
}

}  // namespace

// --- base64 -------------------------------------------------------------------------------------

std::string encode_base64(const std::vector<std::uint8_t>& bytes) {
  static constexpr char alphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  out.reserve((bytes.size() + 2) / 3 * 4);
  for (std::size_t i = 0; i < bytes.size(); i += 3) {
    const std::uint32_t b0 = bytes[i];
    const std::uint32_t b1 = i + 1 < bytes.size() ? bytes[i + 1] : 0;
    const std::uint32_t b2 = i + 2 < bytes.size() ? bytes[i + 2] : 0;
    const std::uint32_t v = (b0 << 16) | (b1 << 8) | b2;
    out += alphabet[(v >> 18) & 63];
    out += alphabet[(v >> 12) & 63];
    out += i + 1 < bytes.size() ? alphabet[(v >> 6) & 63] : '=';
    out += i + 2 < bytes.size() ? alphabet[v & 63] : '=';
  }
  return out;
}

bool decode_base64(std::string_view text, std::vector<std::uint8_t>& out) {
  out.clear();
  // Padding is optional, but when present it makes the length a multiple of four.
  std::size_t pad = 0;
  while (!text.empty() && text.back() == '=' && pad < 2) {
    text.remove_suffix(1);
    ++pad;
  }
  if (pad && (text.size() + pad) % 4 != 0) return false;
  if (text.size() % 4 == 1) return false;
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    std::uint32_t v;
    if (c >= 'A' && c <= 'Z') v = static_cast<std::uint32_t>(c - 'A');
    else if (c >= 'a' && c <= 'z') v = static_cast<std::uint32_t>(c - 'a' + 26);
    else if (c >= '0' && c <= '9') v = static_cast<std::uint32_t>(c - '0' + 52);
    else if (c == '+') v = 62;
    else if (c == '/') v = 63;
    else return false;
    acc = (acc << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  // The bits left over must be zero: one text per byte string.
  return (acc & ((1u << bits) - 1)) == 0;
}

// --- the store ----------------------------------------------------------------------------------

amqp::result<user_store, std::string> user_store::parse(std::string_view text,
                                                        amqp::random_source& random) {
  user_store store;
  std::size_t line_no = 0;
  std::size_t start = 0;
  while (start <= text.size()) {
    std::size_t end = text.find('\n', start);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(start, end - start);
    start = end + 1;
    ++line_no;
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    const auto fail = [&](const std::string& why) {
      return "line " + std::to_string(line_no) + ": " + why;
    };
    if (line.empty() || line.front() == '#') {
      if (end == text.size()) break;
      continue;
    }
    const std::size_t colon = line.find(':');
    if (colon == std::string_view::npos)
      return fail("expected name:password or name:scram-sha-256:salt:iterations:stored-key:"
                  "server-key");
    const std::string_view name = line.substr(0, colon);
    if (!valid_name(name)) return fail("the user name is empty or has control characters");
    const std::string_view rest = line.substr(colon + 1);

    amqp::scram_credentials c;
    if (upper(rest.substr(0, 10)) == "SCRAM-SHA-") {
      auto parsed = parse_scram(split(line, ':'));
      if (!parsed) return fail(parsed.error());
      c = std::move(*parsed);
    } else {
      if (rest.empty()) return fail("empty password");
      std::vector<std::uint8_t> salt(salt_size);
      random.fill(salt);
      auto made = amqp::make_scram_credentials("SCRAM-SHA-256", rest, salt);
      if (!made) return fail("the password cannot be used: " + made.error());
      c = std::move(*made);
    }

    auto it = std::find_if(store.users_.begin(), store.users_.end(),
                           [&](const user& u) { return u.name == name; });
    if (it == store.users_.end()) {
      store.users_.push_back({std::string(name), {}});
      it = store.users_.end() - 1;
    }
    for (const amqp::scram_credentials& have : it->credentials)
      if (have.mechanism == c.mechanism)
        return fail("a second " + c.mechanism + " entry for user '" + std::string(name) + "'");
    it->credentials.push_back(std::move(c));
    if (end == text.size()) break;
  }
  return store;
}

amqp::result<user_store, std::string> user_store::load(const std::string& path,
                                                       amqp::random_source& random) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return "cannot read the user file " + path;
  std::ostringstream text;
  text << in.rdbuf();
  auto store = parse(text.str(), random);
  if (!store) return path + ": " + store.error();
  return store;
}

const user* user_store::find(std::string_view name) const noexcept {
  for (const user& u : users_)
    if (u.name == name) return &u;
  return nullptr;
}

std::vector<std::string> user_store::mechanisms() const {
  std::vector<std::string> out{"SCRAM-SHA-256"};
  for (const char* m : {"SCRAM-SHA-512", "SCRAM-SHA-1"}) {
    const bool used = std::any_of(users_.begin(), users_.end(), [&](const user& u) {
      return std::any_of(u.credentials.begin(), u.credentials.end(),
                         [&](const amqp::scram_credentials& c) { return c.mechanism == m; });
    });
    if (used) out.emplace_back(m);
  }
  out.emplace_back("PLAIN");
  return out;
}

amqp::sasl_verdict user_store::authenticate(const amqp::sasl_auth_requested& r) const {
  const user* u = find(r.user);
  // Acting as another identity is an authorisation this broker does not grant.
  if (!u || (!r.authzid.empty() && r.authzid != r.user)) return amqp::sasl_verdict::reject();
  if (r.mechanism == "PLAIN") {
    for (const amqp::scram_credentials& c : u->credentials) {
      auto derived = amqp::make_scram_credentials(c.mechanism, r.password,
                                                  {c.salt.data(), c.salt.size()}, c.iterations);
      if (derived && same_bytes(derived->stored_key, c.stored_key))
        return amqp::sasl_verdict::accept();
    }
    return amqp::sasl_verdict::reject();
  }
  for (const amqp::scram_credentials& c : u->credentials)
    if (c.mechanism == r.mechanism) return amqp::sasl_verdict::scram(c);
  return amqp::sasl_verdict::reject();
}

amqp::result<std::string, user_line_error> make_user_line(std::string_view name,
                                                          std::string_view password,
                                                          std::string_view mechanism,
                                                          amqp::random_source& random,
                                                          std::uint32_t iterations) {
  if (!valid_name(name))
    return user_line_error{"the user name is empty or has ':' or control characters"};
  if (iterations == 0 || iterations > max_iterations)
    return user_line_error{"iterations must be 1 to " + std::to_string(max_iterations)};
  const std::string mech = upper(mechanism);
  if (key_size(mech) == 0)
    return user_line_error{"unknown mechanism '" + std::string(mechanism) + "'"};
  std::vector<std::uint8_t> salt(salt_size);
  random.fill(salt);
  auto c = amqp::make_scram_credentials(mech, password, salt, iterations);
  if (!c) return user_line_error{c.error()};
  std::string lower_mech = mech;
  for (char& ch : lower_mech)
    if (ch >= 'A' && ch <= 'Z') ch = static_cast<char>(ch - 'A' + 'a');
  return std::string(name) + ":" + lower_mech + ":" + encode_base64(c->salt) + ":" +
         std::to_string(c->iterations) + ":" + encode_base64(c->stored_key) + ":" +
         encode_base64(c->server_key);
}

}  // namespace broker
