// A container for tests of the messaging layer, with no I/O: connections are pairs of engines
// wired memory-to-memory, listeners are names on a virtual network, and time is a virtual
// clock that only moves when the test says so.
//
//   test::memory_network net;
//   recorder server_h, client_h;
//   test::memory_container server(net, server_h, "server");
//   test::memory_container client(net, client_h, "client");
//   ASSERT_TRUE(server.listen("amqp://broker:5672"));
//   auto c = client.connect("amqp://broker:5672");
//   c.open_sender("queue");
//   net.run();                                   // on_start for both, then pump until quiet
//   net.drop(c);                                 // the transport fails both ways
//   net.advance(std::chrono::milliseconds(100));  // the reconnect attempt is due
//
// One container may play both parts (listen and connect on the same one); a container made
// without a network has one of its own. A connection attempt to a host:port with a listener
// makes a server connection_driver for it and starts both transports; one without a listener
// (or with a closed one) is refused ("connection refused"). Every attempt is written down in
// memory_network::attempts, with the virtual time it was made at.
//
// Everything runs on the test's thread; handler calls happen inside run(), pump(), advance()
// and the test controls. The network must outlive its containers.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "amqp/messaging/connection_driver.hpp"
#include "amqp/messaging/container.hpp"

namespace amqp::test {

class memory_container;

class memory_network {
 public:
  memory_network();
  ~memory_network();
  memory_network(const memory_network&) = delete;
  memory_network& operator=(const memory_network&) = delete;

  // --- the clock --------------------------------------------------------------------------------
  time_point now() const noexcept { return now_; }
  // Virtual time since the network was made.
  std::chrono::milliseconds elapsed() const noexcept;

  // --- running ----------------------------------------------------------------------------------
  // Calls on_start of every container not started yet, then pumps.
  void run();
  // Without moving the clock: runs due attempts and tasks and posted work, moves bytes both
  // ways (feeding each engine and dispatching after every feed), ends the transports whose
  // engines finished, until nothing more happens.
  void pump();
  // Moves the clock forward by `d`, stopping at every deadline on the way (engine timers,
  // scheduled tasks, reconnect attempts) in time order, and pumps at each.
  void advance(std::chrono::milliseconds d);
  // When the next deadline is (engine timer, task or attempt), if any.
  std::optional<time_point> next_due() const;

  // Bytes cross in pieces of at most this many (each piece fed and dispatched on its own);
  // 0: whole.
  std::size_t chunk = 0;

  // --- test controls ----------------------------------------------------------------------------
  // The transport carrying `c` (either end's handle) fails both ways with `reason` (what each
  // socket says). Inside a handler call it happens once that call returned. false: no
  // transport carries `c`.
  bool drop(const connection& c, std::string reason = "connection reset by peer");
  // Every transport fails.
  void drop_all(std::string reason = "connection reset by peer");

  // --- what happened ----------------------------------------------------------------------------
  // Every connection attempt: "<ms>ms <host:port> connected|refused", in order.
  std::vector<std::string> attempts;
  // How many times the driver of `c` called its on_output hook.
  std::size_t output_signals(const connection& c) const;
  // Whether the driver of `c` is finished (closed, or given up reconnecting).
  bool finished(const connection& c) const;
  // Whether a transport carries `c` now.
  bool connected(const connection& c) const;
  // The server-side connections made so far, in order.
  std::vector<connection> accepted() const;
  // Transports up now (each pair counts once per end).
  std::size_t transports_up() const;

 private:
  friend class memory_container;

  struct end;
  struct listener_entry;
  struct task {
    time_point at;
    std::uint64_t seq;
    memory_container* owner;
    std::function<void()> work;
  };

  end& add_end(memory_container& owner, connection_driver driver, bool client);
  end* find(const connection& c) const;
  std::string listen(memory_container& owner, const url& address, const connection_options& options,
                     messaging_handler* handler, std::shared_ptr<listener_entry>& out);
  scheduled_task schedule(memory_container& owner, std::chrono::milliseconds delay,
                          std::function<void()> work);
  void stop(memory_container& owner);

  bool step();
  bool run_attempts();
  bool run_tasks();
  bool run_posted();
  bool run_drops();
  bool move_bytes(end& from);
  bool deliver(end& to);
  bool end_finished();
  void attempt(end& e);
  void end_transport(end& e, std::string_view reason);
  void set_attempt(end& e, std::optional<connect_attempt> next);

  time_point start_;
  time_point now_;
  std::uint64_t seq_ = 0;
  bool pumping_ = false;
  std::uint16_t next_port_ = 49152;
  std::vector<memory_container*> containers_;
  std::vector<std::unique_ptr<end>> ends_;
  std::map<std::string, std::shared_ptr<listener_entry>> listeners_;
  std::vector<task> tasks_;
  // What a task's cancel() reaches the network through: a handle may outlive it.
  std::shared_ptr<memory_network*> self_ = std::make_shared<memory_network*>(this);
  std::vector<std::pair<connection, std::string>> drops_;  // wait for the pump loop
};

class memory_container final : public container {
 public:
  // A container on `net`, shared with other containers.
  memory_container(memory_network& net, messaging_handler& handler, std::string id = {});
  // A container with a network of its own.
  explicit memory_container(messaging_handler& handler, std::string id = {});
  ~memory_container() override;

  using container::connect;
  using container::listen;
  connection connect(const url& address, const connection_options& options = {},
                     messaging_handler* handler = nullptr) override;
  // The listener is found by the URL's host:port; port 0 picks a free one (listener::port()).
  result<listener, std::string> listen(const url& address, const connection_options& options = {},
                                       messaging_handler* handler = nullptr) override;
  scheduled_task schedule(std::chrono::milliseconds delay, std::function<void()> work) override;
  // The network's run(): on_start here (and on the other containers), then pump until quiet.
  void run() override;
  // Closes this container's connections (their closes are exchanged), gives up their
  // reconnects, closes its listeners and drops its scheduled work. Transports still up once
  // the network is quiet end.
  void stop() override;
  // Kept, for tests to look at.
  void report_error(std::string_view line) override { errors.emplace_back(line); }
  std::vector<std::string> errors;

  memory_network& network() noexcept { return *net_; }
  void pump() { net_->pump(); }
  void advance(std::chrono::milliseconds d) { net_->advance(d); }
  bool started() const noexcept { return started_; }
  bool stopped() const noexcept { return stopped_; }

 protected:
  connection adopt_failed(connection_driver driver) override;

 private:
  friend class memory_network;
  void begin();

  std::unique_ptr<memory_network> own_;
  memory_network* net_;
  bool started_ = false;
  bool stopped_ = false;
};

}  // namespace amqp::test
