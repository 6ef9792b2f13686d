// `amqp-bench tcp`: a sender and a receiver in two processes over loopback TCP, each an
// application of one implementation's messaging API. The parent (tcp.cpp) starts both as
// children of its own executable (`amqp-bench tcp-receiver ...`, `amqp-bench tcp-sender ...`),
// collects their CPU time and peak memory from wait4(), and prints the figures. This header
// is the interface every implementation provides for the two children. Ours runs once per I/O
// binding, the same applications on each binding's container.
//
//   const amqp::bench::tcp_impl& impl = ...;  // one of tcp.cpp's list, e.g. amqp/libevent
//   impl.receive(options, [](std::uint16_t port) { std::printf("port %u\n", port); });
//   const double seconds = impl.send(options);  // in the other process
#pragma once

#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

namespace amqp::bench {

// What both children of a run are given.
struct tcp_options {
  // Messages the sender sends and the receiver expects.
  std::uint64_t messages = 1'000'000;
  // The receiver's credit window: it grants this much credit when the link opens and tops it
  // up as messages arrive (each implementation's own way: ours and Proton C at half the
  // window, Proton C++ by its credit_window option).
  std::uint32_t window = 1000;
  // Each message is one data section of this many bytes, and nothing else.
  std::size_t body_size = 100;
  // The receiver's port on 127.0.0.1 (the sender's only).
  std::uint16_t port = 0;
};

// Called by a receiver once it listens, with the port the system chose.
using listening_fn = void (*)(std::uint16_t port);

// One implementation's two applications. Both throw std::runtime_error when the exchange
// fails.
// - receive: listens on 127.0.0.1 (any port) without a broker, answers the sender's link with
//   a receiver of credit window o.window, accepts (and settles) every message as its API does
//   by default after checking its body, closes the listener after o.messages, and returns once
//   the sender closed the connection.
// - send: connects to 127.0.0.1:o.port, opens a sender at least once (unsettled), sends
//   o.messages messages as credit allows, settles each once it is accepted, closes the
//   connection after the last acceptance and returns the seconds from its first send to that
//   acceptance.
struct tcp_impl {
  // What --impl selects: amqp, proton-cpp or proton-c.
  std::string_view library;
  // What --io selects among ours: asio or libevent; empty for Proton's, which have one each.
  std::string_view io;
  void (*receive)(const tcp_options& o, listening_fn listening);
  double (*send)(const tcp_options& o);
};

// Each implementation file defines its pair (ours one per binding); tcp.cpp lists the ones
// compiled in.
void amqp_asio_tcp_receive(const tcp_options& o, listening_fn listening);
double amqp_asio_tcp_send(const tcp_options& o);
void amqp_libevent_tcp_receive(const tcp_options& o, listening_fn listening);
double amqp_libevent_tcp_send(const tcp_options& o);
#ifdef AMQP_BENCH_HAVE_PROTON_CPP
void proton_cpp_tcp_receive(const tcp_options& o, listening_fn listening);
double proton_cpp_tcp_send(const tcp_options& o);
#endif
#ifdef AMQP_BENCH_HAVE_PROTON_PROACTOR
void proton_c_tcp_receive(const tcp_options& o, listening_fn listening);
double proton_c_tcp_send(const tcp_options& o);
#endif

// The tcp modes of main(): `args` are the arguments after the mode's name. They return the
// process's exit status.
int run_tcp(std::span<const std::string_view> args);
int run_tcp_child(std::string_view mode, std::span<const std::string_view> args);
// The tcp mode's line of the usage text, and its description, for --help.
std::string_view tcp_synopsis();
std::string tcp_help();

}  // namespace amqp::bench
