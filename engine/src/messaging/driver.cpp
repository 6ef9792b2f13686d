// A connection's transports: the engine each one gets (TLS, SASL, limits and the open from the
// options), what a new transport attaches again, and where and when the next attempt goes.
#include "amqp/messaging/connection_driver.hpp"

#include "amqp/random.hpp"
#include "messaging/context.hpp"

namespace amqp {

namespace detail {

namespace {

// The URL, then the failover list.
std::vector<url> failover_urls(const url& first, const connection_options& o) {
  std::vector<url> all{first};
  all.insert(all.end(), o.failover.begin(), o.failover.end());
  return all;
}

}  // namespace

connection_context::connection_context(container& c, messaging_handler& h, url addr,
                                       connection_options o, engine_role r)
    : owner(&c),
      handler(&h),
      address(std::move(addr)),
      options(std::move(o)),
      side(r),
      reconnect(failover_urls(address, options),
                options.reconnect_policy ? options.reconnect_policy
                                         : std::make_shared<exponential_backoff>()) {
  container_id = options.container_id.empty() ? c.id() : options.container_id;
  if (!options.user && address.user) options.user = address.user;
  if (!options.password && address.password) options.password = address.password;
}

open_options connection_context::make_open_options() const {
  open_options o;
  o.container_id = container_id;
  if (side == engine_role::client)
    o.hostname = options.virtual_host.empty() ? address.host : options.virtual_host;
  o.idle_timeout = options.idle_timeout;
  o.offered_capabilities = options.offered_capabilities;
  o.desired_capabilities = options.desired_capabilities;
  o.properties = options.properties;
  return o;
}

engine_config connection_context::make_engine_config() {
  engine_config c;
  c.role = side;
  c.limits = options.limits;
  c.trace = options.trace;
  c.random = options.random;
  if (side == engine_role::client) {
    if (options.sasl_enabled) {
      sasl_client_options s;
      s.user = options.user.value_or("");
      s.password = options.password.value_or("");
      s.allowed_mechs = options.allowed_mechs;
      s.allow_insecure_mechs = options.allow_insecure_mechs;
      s.hostname = options.virtual_host.empty() ? address.host : options.virtual_host;
      c.sasl_client = std::move(s);
    }
    const bool header_tls = options.tls && options.tls_start_mode == tls_start::after_header;
    if (address.tls() || header_tls) {
      tls_options t;
      t.context = options.tls ? options.tls : default_tls;
      t.start = address.tls() ? tls_start::direct : tls_start::after_header;
      t.server_name = options.tls_server_name.empty() ? address.host : options.tls_server_name;
      c.tls = std::move(t);
    }
  } else {
    if (options.sasl_enabled) {
      sasl_server_options s;
      if (!options.allowed_mechs.empty())
        s.mechanisms = options.allowed_mechs;
      else if (options.authenticate)
        s.mechanisms = {"SCRAM-SHA-256", "SCRAM-SHA-512", "SCRAM-SHA-1", "PLAIN"};
      else
        s.mechanisms = {"ANONYMOUS"};
      s.allow_insecure_mechs = options.allow_insecure_mechs;
      c.sasl_server = std::move(s);
    }
    if (options.tls)
      c.tls = tls_options{.context = options.tls, .allow_plain = options.tls_allow_plain};
  }
  return c;
}

void connection_context::start_transport() {
  engine = std::make_unique<connection_engine>(make_engine_config());
  ++epoch;
  io_error.clear();  // the last transport's socket error says nothing about this one
  transport_up = true;
  output_signalled = false;
  link_of.clear();
  session_of.clear();
  flags.remote_open = flags.remote_closed = false;
  open_sent = false;
  if (side == engine_role::server) return;  // the client speaks first; the server answers

  // What the application opened comes back: sessions begun again once the open is out, links
  // attached again by name (the peer may resume their state) once their session is.
  for (session_record& s : sessions) {
    s.engine = {};
    s.answered = false;
    s.flags.remote_open = false;
  }
  for (link_record& l : links) {
    l.engine = {};
    l.answered = false;
    l.flags.remote_open = false;
  }
  send_open();
}

bool connection_context::post(std::function<void()> work) {
  std::function<bool(std::function<void()>)> hook;
  {
    std::lock_guard lock(post_mutex);
    hook = post_hook;
  }
  return hook && hook(std::move(work));
}

std::optional<connect_attempt> connection_context::next_attempt() {
  if (finished || flags.local_closed || refused || side == engine_role::server ||
      !options.reconnect) {
    finished = true;
    return std::nullopt;
  }
  std::optional<reconnect_attempt> next = reconnect.next_attempt();
  if (!next) {
    finished = true;
    return std::nullopt;
  }
  address = next->target;
  return connect_attempt{next->target, next->delay};
}

}  // namespace detail

// --- connection_driver --------------------------------------------------------------------------

connection_driver::connection_driver(std::shared_ptr<detail::connection_context> ctx) noexcept
    : ctx_(std::move(ctx)) {}
connection_driver::connection_driver(connection_driver&&) noexcept = default;

connection_driver& connection_driver::operator=(connection_driver&& other) noexcept {
  if (this != &other) {
    release();
    ctx_ = std::move(other.ctx_);
  }
  return *this;
}

connection_driver::~connection_driver() { release(); }

void connection_driver::release() noexcept {
  if (!ctx_) return;
  // The binding is done with this connection: the handles the application keeps answer as
  // for a closed one, and nothing calls into the binding's hooks any more.
  ctx_->transport_up = false;
  ctx_->finished = true;
  ctx_->output_hook = nullptr;
  {
    std::lock_guard lock(ctx_->post_mutex);
    ctx_->post_hook = nullptr;
  }
  ctx_.reset();
}

connection_driver connection_driver::client(container& c, messaging_handler& h, url address,
                                            connection_options options) {
  auto ctx = std::make_shared<detail::connection_context>(c, h, std::move(address),
                                                          std::move(options),
                                                          engine_role::client);
  bool needs_default_tls = !ctx->options.tls;
  bool any_tls = false;
  for (const url& u : ctx->reconnect.failover().urls()) any_tls = any_tls || u.tls();
  if (needs_default_tls && any_tls) {
    // amqps without a context: verify the server against the system's trust store.
    auto tls = tls_context::client({});
    if (!tls) {
      ctx->pending_failure = detail::make_condition(
          "amqp:internal-error", "cannot set up TLS for " + ctx->address.host_port() + ": " +
                                     tls.error());
    } else {
      ctx->default_tls = *tls;
    }
  }
  return connection_driver(std::move(ctx));
}

connection_driver connection_driver::server(container& c, messaging_handler& h, url address,
                                            connection_options options) {
  return connection_driver(std::make_shared<detail::connection_context>(
      c, h, std::move(address), std::move(options), engine_role::server));
}

connection_driver connection_driver::failed(container& c, messaging_handler& h, condition error) {
  auto ctx = std::make_shared<detail::connection_context>(c, h, url{}, connection_options{},
                                                          engine_role::client);
  ctx->pending_failure = std::move(error);
  return connection_driver(std::move(ctx));
}

amqp::connection connection_driver::connection() const { return ctx_->connection_handle(); }

std::optional<connect_attempt> connection_driver::first_attempt() {
  if (ctx_->pending_failure) return std::nullopt;
  return connect_attempt{ctx_->address, std::chrono::milliseconds(0)};
}

std::optional<connect_attempt> connection_driver::connect_failed(std::string_view reason) {
  ctx_->report_transport_error(detail::make_condition(
      "amqp:connection:forced",
      "cannot connect to " + ctx_->address.host_port() + ": " + std::string(reason)));
  ctx_->report_disconnected();
  return ctx_->next_attempt();
}

void connection_driver::transport_started() { ctx_->start_transport(); }

connection_engine& connection_driver::engine() noexcept { return *ctx_->engine; }

void connection_driver::dispatch() { ctx_->dispatch(); }

std::optional<connect_attempt> connection_driver::transport_ended(time_point now,
                                                                  std::string_view io_error) {
  detail::connection_context& c = *ctx_;
  if (c.transport_up) {
    // The engine learns of the end (if the transport had not told it), and its last events
    // (deliveries in doubt, transport_closed, which names the socket's error) reach the handler.
    c.io_error = std::string(io_error);
    if (c.engine->wants_input()) c.engine->feed_eof(now);
    c.dispatch();
    c.forget_transport_endpoints();
    c.transport_up = false;
    // The application closed it and the peer's close never came (the transport failed, or the
    // close timed out, or it was given during SASL): the close is over all the same.
    if (c.flags.local_closed && !c.flags.reported_closed) c.report_closed();
    c.report_disconnected();
  }
  std::optional<connect_attempt> next = c.next_attempt();
  // No attempt follows: the connection is over, which links with their own handler hear.
  if (!next) c.report_own_links_closed(detail::no_session, c.flags.error);
  return next;
}

bool connection_driver::is_finished() const noexcept { return ctx_->finished; }

void connection_driver::on_output(std::function<void()> hook) {
  ctx_->output_hook = std::move(hook);
}

void connection_driver::flushed() noexcept { ctx_->output_signalled = false; }

void connection_driver::on_post(std::function<bool(std::function<void()>)> hook) {
  std::lock_guard lock(ctx_->post_mutex);
  ctx_->post_hook = std::move(hook);
}

// --- container ----------------------------------------------------------------------------------

namespace {

// A listen address: a URL, whose port may also be 0 ("any free port"), which parse_url refuses
// for a connection. The ":0" is read as a placeholder port, and the port set back to 0.
result<url, url_error> parse_listen_address(std::string_view text) {
  auto u = parse_url(text);
  if (u) return u;
  const std::string t(text);
  for (std::size_t pos = t.find(":0"); pos != std::string::npos; pos = t.find(":0", pos + 1)) {
    const std::size_t after = pos + 2;
    if (after != t.size() && t[after] != '/') continue;
    std::string other = t;
    other.replace(pos, 2, ":1");
    auto v = parse_url(other);
    if (v && v->port == 1) {
      v->port = 0;
      return v;
    }
  }
  return u;
}

}  // namespace

container::container(messaging_handler& handler, std::string id)
    : handler_(&handler), id_(id.empty() ? random_uuid() : std::move(id)) {}

container::~container() = default;

// --- scheduled tasks ------------------------------------------------------------------------------

struct scheduled_task::state {
  explicit state(std::function<void()> d) : drop(std::move(d)) {}
  std::atomic<bool> cancelled{false};
  std::function<void()> drop;  // called once, by the first cancel()
};

scheduled_task::scheduled_task(std::function<void()> drop)
    : state_(std::make_shared<state>(std::move(drop))) {}

void scheduled_task::cancel() const {
  if (state_ && !state_->cancelled.exchange(true) && state_->drop) state_->drop();
}

bool scheduled_task::cancelled() const noexcept {
  return state_ && state_->cancelled.load();
}

connection container::connect(std::string_view address, const connection_options& options,
                              messaging_handler* handler) {
  auto u = parse_url(address);
  if (!u) {
    // No attempt: the connection reports the bad URL as its transport error.
    return adopt_failed(connection_driver::failed(
        *this, handler ? *handler : *handler_,
        detail::make_condition("amqp:invalid-field", "invalid URL: " + u.error().message)));
  }
  return connect(*u, options, handler);
}

result<listener, std::string> container::listen(std::string_view address,
                                                 const connection_options& options,
                                                 messaging_handler* handler) {
  auto u = parse_listen_address(address);
  if (!u) return "invalid listen address: " + u.error().message;
  return listen(*u, options, handler);
}

sender container::open_sender(std::string_view url_and_address, const sender_options& options,
                              const connection_options& connection) {
  auto u = parse_url(url_and_address);
  if (!u) {
    connect(url_and_address, connection);  // reports the bad URL
    return {};
  }
  return connect(*u, connection).open_sender(u->address, options);
}

receiver container::open_receiver(std::string_view url_and_address,
                                  const receiver_options& options,
                                  const connection_options& connection) {
  auto u = parse_url(url_and_address);
  if (!u) {
    connect(url_and_address, connection);
    return {};
  }
  return connect(*u, connection).open_receiver(u->address, options);
}

std::string container::make_link_name() {
  return id_ + "-" + std::to_string(next_link_.fetch_add(1, std::memory_order_relaxed));
}

void container::start() {
  messaging_event e(*this);
  handler_->on_start(e);
}

}  // namespace amqp
