#include "script.hpp"

#include <algorithm>
#include <sstream>

#include "amqp/asio/container.hpp"
#include "amqp/libevent/container.hpp"

namespace conformance {

params params::from_json(const nlohmann::json& j) {
  params p;
  auto text = [&](const char* key) { return j.contains(key) ? j.at(key).get<std::string>() : ""; };
  p.url = text("url");
  p.ca = text("ca");
  p.server_name = text("server_name");
  p.cert = text("cert");
  p.key = text("key");
  p.user = text("user");
  p.password = text("password");
  p.mechs = text("mechs");
  p.sasl = j.value("sasl", true);
  p.address = text("address");
  p.address2 = text("address2");
  p.timeout = std::chrono::milliseconds(
      static_cast<std::int64_t>(j.value("timeout", 30.0) * 1000.0));
  p.all = j;
  return p;
}

namespace {

// What a handler call that ends something means when the case did not ask for it.
bool is_fatal(const happening& h) {
  static const char* const fatal[] = {
      "on_transport_error", "on_disconnected",  "on_connection_error", "on_connection_closed",
      "on_session_error",   "on_session_closed", "on_link_error",      "on_link_closed",
      "on_transaction_declare_failed", "on_transaction_commit_failed"};
  return std::find(std::begin(fatal), std::end(fatal), h.what) != std::end(fatal);
}

}  // namespace

script::script(params given, const std::string& io) : p(std::move(given)) {
  // What is left after the deadline is for the verdict and the closes.
  const auto margin = std::min<std::chrono::milliseconds>(p.timeout / 5, 4s);
  deadline_ = clock_type::now() + p.timeout - margin;
  // Link names are made from the container's id: one from the address keeps them out of the
  // evidence (print_verdict replaces the address).
  const std::string id = "amqp-conformance-" + p.address;
  if (io == "libevent")
    container_ = std::make_unique<amqp::libevent::container>(*this, id);
  else
    container_ = std::make_unique<amqp::asio::container>(*this, id);
  // Keeps run() going until finish(), whenever the case connects.
  container_->schedule(p.timeout + 60s, [] {});
  loop_ = std::thread([this] { container_->run(); });
}

script::~script() { finish(); }

void script::finish() {
  if (finished_) return;
  finished_ = true;
  container_->stop();
  loop_.join();
}

// --- connections ----------------------------------------------------------------------------------

amqp::connection_options script::options() const {
  amqp::connection_options o;
  o.reconnect = false;
  o.limits.close_timeout = 2s;
  if (!p.user.empty()) o.user = p.user;
  if (!p.password.empty()) o.password = p.password;
  std::istringstream mechs(p.mechs);
  for (std::string m; mechs >> m;) o.allowed_mechs.push_back(m);
  o.allow_insecure_mechs = true;  // the runner's PLAIN goes over plain TCP on purpose
  o.sasl_enabled = p.sasl;
  if (p.url.starts_with("amqps:") || !p.ca.empty() || !p.cert.empty()) {
    amqp::tls_client_options t;
    t.ca_file = p.ca;
    t.server_name = p.server_name;
    t.certificate_chain.file = p.cert;
    t.private_key.file = p.key.empty() ? p.cert : p.key;
    auto ctx = amqp::tls_context::client(t);
    if (!ctx) fail_now("cannot make the TLS context: " + ctx.error());
    o.tls = *ctx;
    o.tls_server_name = p.server_name;
  }
  return o;
}

amqp::connection script::connect(amqp::connection_options o) {
  auto w = std::make_unique<wire>(mutex_, changed_);
  o.trace = w.get();
  {
    std::lock_guard<std::mutex> hold(mutex_);
    o.container_id = "amqp-conformance-" + p.address + "-" + std::to_string(++connections_);
    wires_[o.container_id] = std::move(w);
  }
  return container_->connect(p.url, o);
}

amqp::connection script::open(amqp::connection_options o) {
  amqp::connection c = connect(std::move(o));
  wait_opened(c);
  return c;
}

void script::wait_opened(const amqp::connection& c) {
  wait(c, "the peer's open", [&] { return find(c, "on_connection_opened") != nullptr; });
}

void script::close(const amqp::connection& c, std::optional<amqp::condition> error) {
  {
    std::lock_guard<std::mutex> hold(mutex_);
    closing_connections_.push_back(c);
  }
  call(c, [&] { amqp::connection(c).close(error); });
  wait(c, "the peer's close", [&] { return find(c, "on_connection_closed") != nullptr; });
}

const wire& script::wire_of(const amqp::connection& c) { return *wires_.at(c.container_id()); }

// --- the handler ----------------------------------------------------------------------------------

void script::record(const char* what, amqp::messaging_event& e) {
  if (hook) hook(what, e);
  happening h;
  h.what = what;
  h.connection = e.connection();
  h.session = e.session();
  h.link = e.link();
  h.tracker = e.tracker();
  h.delivery = e.delivery();
  if (h.what.starts_with("on_transaction_")) h.transaction = e.transaction();
  h.error = e.error();
  if (h.what == "on_message") {
    h.message = e.message();
    h.settled_on_arrival = h.delivery.remote_settled();
  }
  std::string frame;
  if (h.what == "on_connection_error") frame = "close";
  if (h.what == "on_session_error") frame = "end";
  if (h.what == "on_link_error") frame = "detach";
  std::lock_guard<std::mutex> hold(mutex_);
  if (h.error && !frame.empty()) {
    auto w = wires_.find(h.connection.container_id());
    h.by_peer = w != wires_.end() && w->second->peer_sent_error(frame, h.error->name);
  }
  log_.push_back(std::move(h));
  changed_.notify_all();
}

void script::on_sendable(amqp::messaging_event& e) {
  if (hook) hook("on_sendable", e);
  pump(e.sender());
}

void script::pump(amqp::sender s) {
  for (;;) {
    amqp::message m;
    std::size_t box = 0;
    {
      std::lock_guard<std::mutex> hold(mutex_);
      while (box < outboxes_.size() &&
             !(outboxes_[box].sender == s && !outboxes_[box].waiting.empty()))
        ++box;
      if (box == outboxes_.size() || s.credit() == 0) return;
      m = std::move(outboxes_[box].waiting.front());
      outboxes_[box].waiting.pop_front();
    }
    auto t = s.send(m);
    std::lock_guard<std::mutex> hold(mutex_);
    if (!t) {
      outboxes_[box].failure = t.error().message();
      outboxes_[box].waiting.clear();
      changed_.notify_all();
      return;
    }
    outboxes_[box].sent.push_back(*t);
    changed_.notify_all();
  }
}

// --- links and messages ---------------------------------------------------------------------------

amqp::sender script::open_sender(const amqp::connection& c, const std::string& address,
                                 const amqp::sender_options& o, amqp::session on) {
  amqp::sender s = call(c, [&] {
    return on.is_set() ? on.open_sender(address, o) : amqp::connection(c).open_sender(address, o);
  });
  wait_link(c, s);
  return s;
}

amqp::receiver script::open_receiver(const amqp::connection& c, const std::string& address,
                                     const amqp::receiver_options& o, amqp::session on) {
  amqp::receiver r = call(c, [&] {
    return on.is_set() ? on.open_receiver(address, o)
                       : amqp::connection(c).open_receiver(address, o);
  });
  wait_link(c, r);
  return r;
}

void script::wait_link(const amqp::connection& c, const amqp::link& l) {
  wait(c, "the peer's attach", [&] { return find(c, "on_link_opened", l) != nullptr; });
}

void script::close_link(const amqp::connection& c, const amqp::link& l, bool detach_only) {
  {
    std::lock_guard<std::mutex> hold(mutex_);
    closing_links_.push_back(l);
  }
  call(c, [&] {
    amqp::link mine = l;
    if (detach_only)
      mine.detach();
    else
      mine.close();
  });
  wait(c, "the peer's detach", [&] { return find(c, "on_link_closed", l) != nullptr; });
}

void script::close_session(const amqp::connection& c, const amqp::session& s) {
  {
    std::lock_guard<std::mutex> hold(mutex_);
    closing_sessions_.push_back(s);
  }
  call(c, [&] { amqp::session(s).close(); });
  wait(c, "the peer's end", [&] {
    for (const happening& h : log_)
      if (h.what == "on_session_closed" && h.session == s) return true;
    return false;
  });
}

std::vector<amqp::tracker> script::send(const amqp::connection& c, const amqp::sender& s,
                                        std::vector<amqp::message> messages) {
  const std::size_t n = messages.size();
  std::size_t box;
  {
    std::lock_guard<std::mutex> hold(mutex_);
    outboxes_.push_back({s, {std::make_move_iterator(messages.begin()),
                             std::make_move_iterator(messages.end())}, {}, {}});
    box = outboxes_.size() - 1;
  }
  call(c, [&] { pump(s); });
  wait(c, "credit to send " + std::to_string(n) + " message(s)", [&] {
    return outboxes_[box].sent.size() == n || !outboxes_[box].failure.empty();
  });
  std::lock_guard<std::mutex> hold(mutex_);
  if (!outboxes_[box].failure.empty()) fail_now("send failed: " + outboxes_[box].failure);
  return outboxes_[box].sent;
}

void script::confirm(const amqp::connection& c, const std::vector<amqp::tracker>& trackers) {
  std::string problem;
  wait(c, "the outcome of " + std::to_string(trackers.size()) + " message(s)", [&] {
    std::size_t done = 0;
    for (std::size_t i = 0; i < trackers.size(); ++i) {
      bool accepted = false;
      for (const happening& h : log_) {
        if (h.tracker != trackers[i]) continue;
        if (h.what == "on_accepted") accepted = true;
        if (h.what == "on_rejected" || h.what == "on_released" || h.what == "on_modified" ||
            h.what == "on_in_doubt") {
          problem = "message " + std::to_string(i) + " was " + h.what.substr(3) +
                    (h.error ? ": " + condition_text(h.error) : "");
          return true;
        }
        if (h.what == "on_settled") {
          if (!accepted) {
            problem = "message " + std::to_string(i) + " was settled without an outcome";
            return true;
          }
          ++done;
        }
      }
    }
    return done == trackers.size();
  });
  if (!problem.empty()) fail_now(problem);
}

void script::put(const amqp::connection& c, const std::string& address,
                 std::vector<amqp::message> messages) {
  amqp::sender s = open_sender(c, address, {.mode = amqp::delivery_mode::at_least_once});
  confirm(c, send(c, s, std::move(messages)));
  close_link(c, s);
}

std::vector<happening> script::receive(const amqp::connection& c, const amqp::receiver& r,
                                       std::size_t n, const std::string& what) {
  std::vector<happening*> got;
  auto collect = [&] {
    got.clear();
    for (happening& h : log_)
      if (h.what == "on_message" && h.link == r && !h.taken && got.size() < n) got.push_back(&h);
    return got.size() == n;
  };
  if (!await(&c, deadline_, collect)) {
    auto hold = lock();
    collect();
    std::vector<happening> some;
    for (happening* h : got) some.push_back(*h);
    fail_now("timed out waiting for " + (what.empty() ? std::to_string(n) + " message(s)" : what) +
             ": " + std::to_string(got.size()) + " of " + std::to_string(n) + " arrived" +
             (got.empty() ? std::string() : " (" + bodies(some) + ")"));
  }
  auto hold = lock();
  collect();  // again: the log may have grown (and moved) since
  std::vector<happening> out;
  for (happening* h : got) {
    h->taken = true;
    out.push_back(*h);
  }
  return out;
}

std::vector<happening> script::extras(const amqp::connection& c, const amqp::receiver& r,
                                      std::chrono::milliseconds d) {
  idle(c, d);
  auto hold = lock();
  std::vector<happening> out;
  for (happening& h : log_)
    if (h.what == "on_message" && h.link == r && !h.taken) {
      h.taken = true;
      out.push_back(h);
    }
  return out;
}

// --- waiting --------------------------------------------------------------------------------------

happening* script::find(const amqp::connection& c, const std::string& what, const amqp::link& l) {
  for (happening& h : log_)
    if (h.what == what && h.connection == c && (!l.is_set() || h.link == l))
      return &h;
  return nullptr;
}

void script::forget_errors(const amqp::connection& c) {
  std::lock_guard<std::mutex> hold(mutex_);
  watched_from_[c.container_id()] = log_.size();
}

std::optional<std::string> script::fatal(const amqp::connection& c) {
  const auto from = watched_from_.find(c.container_id());
  for (std::size_t i = from == watched_from_.end() ? 0 : from->second; i < log_.size(); ++i) {
    const happening& h = log_[i];
    if (!(h.connection == c) || !is_fatal(h)) continue;
    auto ours = [&](const auto& list, const auto& x) {
      return std::find(list.begin(), list.end(), x) != list.end();
    };
    // The ends this side asked for are what the case waits for, unless they carry an error.
    if ((h.what == "on_connection_closed" || h.what == "on_disconnected") &&
        ours(closing_connections_, c))
      continue;
    if (h.what == "on_session_closed" && ours(closing_sessions_, h.session)) continue;
    if (h.what == "on_link_closed" && ours(closing_links_, h.link)) continue;
    return describe(h);
  }
  return std::nullopt;
}

bool script::await(const amqp::connection* c, clock_type::time_point until,
                   const std::function<bool()>& done) {
  until = std::min(until, deadline_);
  std::unique_lock<std::mutex> hold(mutex_);
  for (;;) {
    if (c) {
      if (auto why = fatal(*c)) {
        hold.unlock();
        fail_now(*why);
      }
    }
    if (done()) return true;
    if (changed_.wait_until(hold, until) == std::cv_status::timeout) {
      if (c) {
        if (auto why = fatal(*c)) {
          hold.unlock();
          fail_now(*why);
        }
      }
      return done();
    }
  }
}

void script::wait(const amqp::connection& c, const std::string& what,
                  const std::function<bool()>& done) {
  if (!await(&c, deadline_, done)) fail_now("timed out waiting for " + what);
}

void script::wait_any(const std::string& what, const std::function<bool()>& done) {
  if (!await(nullptr, deadline_, done)) fail_now("timed out waiting for " + what);
}

void script::idle(const amqp::connection& c, std::chrono::milliseconds d) {
  (void)await(&c, clock_type::now() + d, [] { return false; });
}

void script::pause(std::chrono::milliseconds d) {
  (void)await(nullptr, clock_type::now() + d, [] { return false; });
}

// --- messages -------------------------------------------------------------------------------------

amqp::message text_message(std::string_view text) {
  amqp::message m;
  m.set_value(amqp::value(text));
  return m;
}

amqp::message binary_message(std::size_t size) {
  std::vector<std::uint8_t> body(size);
  for (std::size_t i = 0; i < size; ++i) body[i] = static_cast<std::uint8_t>((i * 31 + 7) % 256);
  amqp::message m;
  m.set_data(amqp::bytes_view(body.data(), body.size()));
  return m;
}

bool has_pattern_body(const amqp::message& m, std::size_t size) {
  if (m.body_type != amqp::body_kind::data || m.body.size() != 1) return false;
  const auto* b = m.body[0].get_if<amqp::binary>();
  if (!b || b->bytes.size() != size) return false;
  for (std::size_t i = 0; i < size; ++i)
    if (b->bytes[i] != static_cast<std::uint8_t>((i * 31 + 7) % 256)) return false;
  return true;
}

std::string body_text(const amqp::message& m) {
  if (m.body.size() != 1) return {};
  const std::string* s = m.body[0].get_if<std::string>();
  return s ? *s : std::string();
}

std::vector<amqp::message> numbered(int count) {
  std::vector<amqp::message> out;
  for (int i = 0; i < count; ++i) out.push_back(text_message("m-" + std::to_string(i)));
  return out;
}

std::string bodies(const std::vector<happening>& got) {
  std::string out;
  for (const happening& h : got) {
    if (!out.empty()) out += ", ";
    const amqp::binary* data = h.message && h.message->body.size() == 1
                                   ? h.message->body[0].get_if<amqp::binary>()
                                   : nullptr;
    if (data)
      out += "<" + std::to_string(data->bytes.size()) + "-byte binary>";
    else
      out += h.message ? body_text(*h.message) : std::string();
  }
  return out;
}

}  // namespace conformance
