// Sends messages in transactions, one batch per transaction: each batch reaches the receiver
// only when its transaction commits. With --abort-every K, every Kth batch is rolled back
// instead (the broker drops it) and its sequence numbers are never sent again, so that a
// receiver must never see them.
//
//   tx_send [-a URL] [-m COUNT] [-b BATCH] [--abort-every K]
//
// Prints "rolled back sequences A-B" for each batch rolled back, and "all messages committed"
// once COUNT messages were committed.
#include <algorithm>
#include <cstdint>
#include <iostream>

#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class tx_send : public amqp::messaging_handler {
 public:
  explicit tx_send(const example::options& o) : options_(o) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    connection_ = e.container().connect(*address, options_.connection_options());
    sender_ = connection_.open_sender(address->address);
    (void)amqp::declare_transaction(connection_);
  }

  void on_transaction_declared(amqp::messaging_event& e) override {
    transaction_ = e.transaction();
    in_batch_ = 0;
    first_in_batch_ = next_;
    send_batch();
  }

  void on_sendable(amqp::messaging_event&) override { send_batch(); }

  void on_transaction_committed(amqp::messaging_event& e) override {
    committed_ += in_batch_;
    if (committed_ >= options_.messages) {
      std::cout << "all messages committed" << std::endl;
      e.connection().close();
      return;
    }
    (void)amqp::declare_transaction(connection_);
  }

  void on_transaction_aborted(amqp::messaging_event& e) override {
    if (e.error()) {  // not asked for: the connection was lost
      fail("transaction rolled back: " + e.error()->to_string());
      return;
    }
    std::cout << "rolled back sequences " << first_in_batch_ << "-" << next_ - 1 << std::endl;
    (void)amqp::declare_transaction(connection_);
  }

  void on_transaction_declare_failed(amqp::messaging_event& e) override {
    fail("declare failed: " + (e.error() ? e.error()->to_string() : std::string("?")));
  }
  void on_transaction_commit_failed(amqp::messaging_event& e) override {
    fail("commit failed: " + (e.error() ? e.error()->to_string() : std::string("?")));
  }

  int status() const noexcept { return status_; }

 private:
  // Sends what is left of the batch within the credit, then ends the transaction.
  void send_batch() {
    if (!transaction_.is_set() || transaction_.state() != amqp::transaction_state::active) return;
    const int batch = std::min(options_.batch_size, options_.messages - committed_);
    while (in_batch_ < batch && sender_.credit() > 0) {
      amqp::message m;
      m.properties.message_id = amqp::value(next_);
      m.set_value(
          amqp::value::map_of({{amqp::value("sequence"), amqp::value(std::int64_t(next_))}}));
      if (auto t = transaction_.send(sender_, m); !t) {
        fail("send failed: " + t.error().message());
        return;
      }
      ++next_;
      ++in_batch_;
    }
    if (in_batch_ < batch) return;  // on_sendable goes on
    ++batches_;
    const bool roll_back = options_.abort_every > 0 && batches_ % options_.abort_every == 0;
    (void)(roll_back ? transaction_.abort() : transaction_.commit());
  }

  void fail(const std::string& why) {
    std::cerr << "tx_send: " << why << '\n';
    status_ = 1;
    connection_.close();
  }

  const example::options& options_;
  amqp::connection connection_;
  amqp::sender sender_;
  amqp::transaction transaction_;
  std::uint64_t next_ = 1;  // the next sequence number; never reused
  std::uint64_t first_in_batch_ = 1;
  int in_batch_ = 0;
  int committed_ = 0;
  int batches_ = 0;
  int status_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("tx_send", "Sends messages in transactions, one batch each.");
  opts.add_messages();
  opts.add_batch_size();
  opts.add_abort_every();
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "tx_send: " << u.error().message << '\n';
    return 2;
  }
  tx_send handler(opts);
  example::make_container(opts, handler)->run();
  return handler.status();
}
