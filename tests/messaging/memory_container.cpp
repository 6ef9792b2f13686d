#include "memory_container.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace amqp::test {

// One connection_driver and the transport it has now, if any.
struct memory_network::end {
  memory_container* owner = nullptr;
  connection_driver driver;
  connection handle;
  bool client = false;
  bool failed_only = false;  // adopt_failed: dispatched once, then done
  bool done = false;         // nothing more will happen on it
  std::optional<connect_attempt> attempt;
  time_point attempt_at{};
  bool up = false;                  // a transport carries it
  end* other = nullptr;             // the other end of that transport, until its socket closed
  std::vector<std::uint8_t> inbox;  // bytes the other end wrote, not fed yet
  std::size_t inbox_pos = 0;
  std::vector<std::uint8_t> piece;  // what is being fed
  bool eof = false;         // the other end's socket closed: EOF after the inbox
  std::size_t signals = 0;  // on_output calls
  std::deque<std::function<void()>> posted;

  explicit end(connection_driver d) : driver(std::move(d)), handle(driver.connection()) {}
};

struct memory_network::listener_entry : listener_base {
  memory_network* net = nullptr;
  memory_container* owner = nullptr;
  url address;
  connection_options options;
  messaging_handler* handler = nullptr;
  bool open = true;

  std::uint16_t port() const noexcept override { return address.port; }
  void close() override {
    if (!open) return;
    open = false;
    auto it = net->listeners_.find(address.host_port());
    if (it != net->listeners_.end() && it->second.get() == this) net->listeners_.erase(it);
  }
};

// --- the network
// ----------------------------------------------------------------------------------

memory_network::memory_network() : start_(std::chrono::hours(1)), now_(start_) {}

memory_network::~memory_network() {
  // Handles kept by the test outlive the drivers' hooks, which point here.
  for (auto& e : ends_) {
    e->driver.on_output(nullptr);
    e->driver.on_post(nullptr);
  }
  for (auto& [key, l] : listeners_) l->net = nullptr, l->open = false;
}

std::chrono::milliseconds memory_network::elapsed() const noexcept {
  return std::chrono::duration_cast<std::chrono::milliseconds>(now_ - start_);
}

memory_network::end& memory_network::add_end(memory_container& owner, connection_driver driver,
                                             bool client) {
  auto e = std::make_unique<end>(std::move(driver));
  e->owner = &owner;
  e->client = client;
  end* self = e.get();
  self->driver.on_output([self] { ++self->signals; });
  self->driver.on_post([self](std::function<void()> work) {
    if (self->done) return false;
    self->posted.push_back(std::move(work));
    return true;
  });
  ends_.push_back(std::move(e));
  return *self;
}

memory_network::end* memory_network::find(const connection& c) const {
  for (const auto& e : ends_)
    if (e->handle == c) return e.get();
  return nullptr;
}

std::string memory_network::listen(memory_container& owner, const url& address,
                                   const connection_options& options, messaging_handler* handler,
                                   std::shared_ptr<listener_entry>& out) {
  url where = address;
  if (where.port == 0) {
    while (listeners_.contains(url{.host = where.host, .port = next_port_}.host_port()))
      ++next_port_;
    where.port = next_port_++;
  }
  const std::string key = where.host_port();
  if (listeners_.contains(key)) return "cannot listen on " + key + ": address in use";
  auto l = std::make_shared<listener_entry>();
  l->net = this;
  l->owner = &owner;
  l->address = std::move(where);
  l->options = options;
  l->handler = handler;
  listeners_[key] = l;
  out = std::move(l);
  return {};
}

scheduled_task memory_network::schedule(memory_container& owner, std::chrono::milliseconds delay,
                                        std::function<void()> work) {
  const std::uint64_t seq = seq_++;
  scheduled_task handle([weak = std::weak_ptr<memory_network*>(self_), seq] {
    if (auto self = weak.lock())
      std::erase_if((*self)->tasks_, [seq](const task& t) { return t.seq == seq; });
  });
  tasks_.push_back(
      task{now_ + std::max(delay, std::chrono::milliseconds(0)), seq, &owner, std::move(work)});
  return handle;
}

void memory_network::stop(memory_container& owner) {
  for (auto& e : ends_) {
    if (e->owner != &owner || e->done) continue;
    e->driver.connection().close();
    if (!e->up && e->driver.is_finished()) {
      e->attempt.reset();
      e->done = true;
    }
  }
  std::vector<std::shared_ptr<listener_entry>> mine;
  for (auto& [key, l] : listeners_)
    if (l->owner == &owner) mine.push_back(l);
  for (auto& l : mine) l->close();
  std::erase_if(tasks_, [&](const task& t) { return t.owner == &owner; });
}

void memory_network::run() {
  // on_start may add containers' work; each container starts once.
  for (std::size_t i = 0; i < containers_.size(); ++i) containers_[i]->begin();
  pump();
}

void memory_network::pump() {
  if (pumping_) return;  // a handler's call: the loop it runs in goes on
  pumping_ = true;
  std::size_t rounds = 0;
  while (step()) {
    if (++rounds > 1'000'000) {
      std::fprintf(stderr, "memory_network: the pump does not come to rest\n");
      std::abort();
    }
  }
  pumping_ = false;
}

void memory_network::advance(std::chrono::milliseconds d) {
  const time_point target = now_ + d;
  pump();
  for (std::size_t rounds = 0;; ++rounds) {
    if (rounds > 1'000'000) {
      std::fprintf(stderr, "memory_network: a deadline does not go away\n");
      std::abort();
    }
    const std::optional<time_point> due = next_due();
    if (!due || *due > target) break;
    now_ = std::max(now_, *due);
    pump();
  }
  now_ = target;
  pump();
}

std::optional<time_point> memory_network::next_due() const {
  std::optional<time_point> due;
  const auto consider = [&](time_point t) {
    if (!due || t < *due) due = t;
  };
  for (const task& t : tasks_) consider(t.at);
  for (const auto& e : ends_) {
    if (e->done) continue;
    if (e->attempt) consider(e->attempt_at);
    if (e->up)
      if (auto d = e->driver.engine().next_deadline()) consider(*d);
  }
  return due;
}

bool memory_network::drop(const connection& c, std::string reason) {
  end* e = find(c);
  if (!e || !e->up) return false;
  drops_.emplace_back(c, std::move(reason));
  pump();
  return true;
}

void memory_network::drop_all(std::string reason) {
  for (auto& e : ends_)
    if (e->up && e->client) drops_.emplace_back(e->handle, reason);
  pump();
}

std::size_t memory_network::output_signals(const connection& c) const {
  const end* e = find(c);
  return e ? e->signals : 0;
}

bool memory_network::finished(const connection& c) const {
  const end* e = find(c);
  return !e || e->driver.is_finished();
}

bool memory_network::connected(const connection& c) const {
  const end* e = find(c);
  return e && e->up;
}

std::vector<connection> memory_network::accepted() const {
  std::vector<connection> out;
  for (const auto& e : ends_)
    if (!e->client && !e->failed_only) out.push_back(e->handle);
  return out;
}

std::size_t memory_network::transports_up() const {
  return static_cast<std::size_t>(
      std::count_if(ends_.begin(), ends_.end(), [](const auto& e) { return e->up; }));
}

// --- the loop
// -------------------------------------------------------------------------------------

bool memory_network::step() {
  bool progress = run_drops();
  progress = run_attempts() || progress;
  progress = run_tasks() || progress;
  progress = run_posted() || progress;
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    end& e = *ends_[i];
    if (e.failed_only && !e.done) {
      e.done = true;
      e.driver.dispatch();
      progress = true;
    }
  }
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    end& e = *ends_[i];
    if (!e.up) continue;
    if (auto d = e.driver.engine().next_deadline(); d && *d <= now_) {
      e.driver.engine().handle_timeout(now_);
      e.driver.dispatch();
      progress = true;
    }
  }
  for (std::size_t i = 0; i < ends_.size(); ++i) progress = move_bytes(*ends_[i]) || progress;
  for (std::size_t i = 0; i < ends_.size(); ++i) progress = deliver(*ends_[i]) || progress;
  progress = end_finished() || progress;
  if (!progress) {
    // At rest: what stopped containers still have up ends (their peers did not answer).
    for (std::size_t i = 0; i < ends_.size(); ++i) {
      end& e = *ends_[i];
      if (e.up && e.owner->stopped_) {
        end* peer = e.other;
        end_transport(e, "container stopped");
        if (peer) end_transport(*peer, "connection reset by peer");
        progress = true;
      }
    }
  }
  return progress;
}

bool memory_network::run_drops() {
  if (drops_.empty()) return false;
  auto drops = std::move(drops_);
  drops_.clear();
  for (auto& [c, reason] : drops) {
    end* e = find(c);
    if (!e || !e->up) continue;
    end* peer = e->other;
    end_transport(*e, reason);
    if (peer) end_transport(*peer, reason);
  }
  return true;
}

bool memory_network::run_attempts() {
  bool progress = false;
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    end& e = *ends_[i];
    if (e.done || !e.attempt || e.attempt_at > now_) continue;
    attempt(e);
    progress = true;
  }
  return progress;
}

bool memory_network::run_tasks() {
  bool progress = false;
  for (;;) {
    auto due = tasks_.end();
    for (auto it = tasks_.begin(); it != tasks_.end(); ++it)
      if (it->at <= now_ &&
          (due == tasks_.end() || std::tie(it->at, it->seq) < std::tie(due->at, due->seq)))
        due = it;
    if (due == tasks_.end()) return progress;
    std::function<void()> work = std::move(due->work);
    tasks_.erase(due);
    work();
    progress = true;
  }
}

bool memory_network::run_posted() {
  bool progress = false;
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    end& e = *ends_[i];
    while (!e.posted.empty()) {
      std::function<void()> work = std::move(e.posted.front());
      e.posted.pop_front();
      work();
      progress = true;
    }
  }
  return progress;
}

bool memory_network::move_bytes(end& from) {
  if (!from.up) return false;
  bool moved = false;
  for (;;) {
    const bytes_view out = from.driver.engine().pending_output();
    if (out.empty()) break;
    // Written to the socket; with the other end's socket closed, written nowhere.
    if (from.other) from.other->inbox.insert(from.other->inbox.end(), out.begin(), out.end());
    from.driver.engine().consume_output(out.size());
    moved = true;
  }
  if (moved) from.driver.flushed();
  return moved;
}

bool memory_network::deliver(end& to) {
  if (!to.up) return false;
  bool progress = false;
  while (to.up && to.inbox_pos < to.inbox.size()) {
    const std::size_t left = to.inbox.size() - to.inbox_pos;
    const std::size_t n = chunk ? std::min(chunk, left) : left;
    // A copy: the handlers the dispatch calls may make this end's inbox grow. Into a buffer
    // kept from piece to piece, so that a warm connection moves bytes without allocating.
    to.piece.assign(to.inbox.begin() + static_cast<std::ptrdiff_t>(to.inbox_pos),
                    to.inbox.begin() + static_cast<std::ptrdiff_t>(to.inbox_pos + n));
    const std::size_t used = to.driver.engine().feed(to.piece, now_);
    to.inbox_pos += used;
    to.driver.dispatch();
    progress = true;
    if (used == 0) break;  // the engine waits for its output to be written first
  }
  if (to.inbox_pos == to.inbox.size()) {
    to.inbox.clear();
    to.inbox_pos = 0;
    if (to.up && to.eof && to.driver.engine().wants_input()) {
      to.driver.engine().feed_eof(now_);
      to.driver.dispatch();
      progress = true;
    }
  }
  return progress;
}

bool memory_network::end_finished() {
  bool progress = false;
  for (std::size_t i = 0; i < ends_.size(); ++i) {
    end& e = *ends_[i];
    if (e.up && e.driver.engine().is_finished()) {
      end_transport(e, {});
      progress = true;
    }
  }
  return progress;
}

void memory_network::end_transport(end& e, std::string_view reason) {
  if (!e.up) return;
  e.up = false;
  if (end* peer = e.other) {
    peer->other = nullptr;
    peer->eof = true;
  }
  e.other = nullptr;
  e.inbox.clear();
  e.inbox_pos = 0;
  e.eof = false;
  set_attempt(e, e.driver.transport_ended(now_, reason));
}

void memory_network::set_attempt(end& e, std::optional<connect_attempt> next) {
  if (next) {
    e.attempt_at = now_ + next->delay;
    e.attempt = std::move(next);
    return;
  }
  e.attempt.reset();
  if (!e.client || e.driver.is_finished()) e.done = true;
}

void memory_network::attempt(end& e) {
  const connect_attempt a = std::move(*e.attempt);
  e.attempt.reset();
  if (e.driver.is_finished()) {
    // Closed while waiting to reconnect.
    e.done = true;
    return;
  }
  const std::string where = a.address.host_port();
  auto it = listeners_.find(where);
  if (it == listeners_.end() || !it->second->open) {
    attempts.push_back(std::to_string(elapsed().count()) + "ms " + where + " refused");
    set_attempt(e, e.driver.connect_failed("connection refused"));
    return;
  }
  attempts.push_back(std::to_string(elapsed().count()) + "ms " + where + " connected");
  const std::shared_ptr<listener_entry> l = it->second;
  end& s =
      add_end(*l->owner,
              connection_driver::server(*l->owner, l->handler ? *l->handler : l->owner->handler(),
                                        l->address, l->options),
              false);
  e.driver.transport_started();
  s.driver.transport_started();
  e.up = s.up = true;
  e.other = &s;
  s.other = &e;
  e.inbox.clear();
  e.inbox_pos = 0;
  e.eof = false;
}

// --- the container
// --------------------------------------------------------------------------------

memory_container::memory_container(memory_network& net, messaging_handler& handler, std::string id)
    : container(handler, std::move(id)), net_(&net) {
  net_->containers_.push_back(this);
}

memory_container::memory_container(messaging_handler& handler, std::string id)
    : container(handler, std::move(id)),
      own_(std::make_unique<memory_network>()),
      net_(own_.get()) {
  net_->containers_.push_back(this);
}

memory_container::~memory_container() {
  if (own_) {
    own_.reset();  // its drivers go while this container is still whole
    return;
  }
  std::erase(net_->containers_, this);
  std::erase_if(net_->tasks_, [&](const memory_network::task& t) { return t.owner == this; });
  std::vector<std::shared_ptr<memory_network::listener_entry>> mine;
  for (auto& [key, l] : net_->listeners_)
    if (l->owner == this) mine.push_back(l);
  for (auto& l : mine) l->close();
}

connection memory_container::connect(const url& address, const connection_options& options,
                                     messaging_handler* handler) {
  auto& e = net_->add_end(
      *this,
      connection_driver::client(*this, handler ? *handler : this->handler(), address, options),
      true);
  net_->set_attempt(e, e.driver.first_attempt());
  if (!e.attempt) {
    // A driver that cannot even try (a TLS context that would not load): heard on dispatch.
    e.failed_only = true;
    e.done = false;
  }
  return e.handle;
}

result<listener, std::string> memory_container::listen(const url& address,
                                                       const connection_options& options,
                                                       messaging_handler* handler) {
  std::shared_ptr<memory_network::listener_entry> l;
  if (std::string error = net_->listen(*this, address, options, handler, l); !error.empty())
    return error;
  return listener(std::move(l));
}

scheduled_task memory_container::schedule(std::chrono::milliseconds delay,
                                          std::function<void()> work) {
  return net_->schedule(*this, delay, std::move(work));
}

void memory_container::run() {
  net_->run();
}

void memory_container::stop() {
  stopped_ = true;
  net_->stop(*this);
  net_->pump();
}

connection memory_container::adopt_failed(connection_driver driver) {
  auto& e = net_->add_end(*this, std::move(driver), true);
  e.failed_only = true;
  return e.handle;
}

void memory_container::begin() {
  if (started_) return;
  started_ = true;
  start();
}

}  // namespace amqp::test
