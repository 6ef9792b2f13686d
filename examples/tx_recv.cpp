// Receives messages in transactions, one batch per transaction: credit for one batch at a time
// (no prefetch), each message accepted inside the transaction, the batch committed once whole.
// A batch's bodies are printed when it commits, since only then are its messages consumed.
// With --abort-every K, every Kth batch is rolled back instead: its messages become available
// again and arrive in a later batch.
//
//   tx_recv [-a URL] [-m COUNT] [-b BATCH] [--abort-every K]      (-m 0: until stopped)
#include <algorithm>
#include <iostream>
#include <string>
#include <vector>

#include "common/body.hpp"
#include "common/io.hpp"
#include "common/options.hpp"

namespace {

class tx_recv : public amqp::messaging_handler {
 public:
  explicit tx_recv(const example::options& o) : options_(o) {}

  void on_start(amqp::messaging_event& e) override {
    auto address = amqp::parse_url(options_.address);
    connection_ = e.container().connect(*address, options_.connection_options());
    amqp::receiver_options ro;
    ro.credit_window = 0;  // credit is given one batch at a time
    ro.auto_accept = false;
    receiver_ = connection_.open_receiver(address->address, ro);
    (void)amqp::declare_transaction(connection_);
  }

  void on_transaction_declared(amqp::messaging_event& e) override {
    transaction_ = e.transaction();
    bodies_.clear();
    (void)receiver_.add_credit(static_cast<std::uint32_t>(batch()));
  }

  void on_message(amqp::messaging_event& e) override {
    if (!transaction_.is_set() || transaction_.state() != amqp::transaction_state::active) {
      (void)e.delivery().release();  // between transactions: let another have it
      return;
    }
    bodies_.push_back(example::body_text(*e.view()));
    (void)transaction_.accept(e.delivery());
    if (static_cast<int>(bodies_.size()) < batch()) return;
    ++batches_;
    const bool roll_back = options_.abort_every > 0 && batches_ % options_.abort_every == 0;
    (void)(roll_back ? transaction_.abort() : transaction_.commit());
  }

  void on_transaction_committed(amqp::messaging_event& e) override {
    for (const std::string& b : bodies_) std::cout << b << '\n';
    std::cout << std::flush;
    received_ += static_cast<int>(bodies_.size());
    if (options_.messages != 0 && received_ >= options_.messages) {
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
    std::cerr << "tx_recv: rolled back a batch of " << bodies_.size()
              << "; its messages come again\n";
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
  // This batch's size: the batch size, or what is left to receive.
  int batch() const noexcept {
    if (options_.messages == 0) return options_.batch_size;
    return std::min(options_.batch_size, options_.messages - received_);
  }

  void fail(const std::string& why) {
    std::cerr << "tx_recv: " << why << '\n';
    status_ = 1;
    connection_.close();
  }

  const example::options& options_;
  amqp::connection connection_;
  amqp::receiver receiver_;
  amqp::transaction transaction_;
  std::vector<std::string> bodies_;  // this batch's, printed when it commits
  int received_ = 0;
  int batches_ = 0;
  int status_ = 0;
};

}  // namespace

int main(int argc, char** argv) {
  example::options opts("tx_recv", "Receives messages in transactions, one batch each.");
  opts.add_messages();
  opts.add_batch_size();
  opts.add_abort_every();
  if (int status = opts.parse(argc, argv); status >= 0) return status;
  if (auto u = amqp::parse_url(opts.address); !u) {
    std::cerr << "tx_recv: " << u.error().message << '\n';
    return 2;
  }
  tx_recv handler(opts);
  example::make_container(opts, handler)->run();
  return handler.status();
}
