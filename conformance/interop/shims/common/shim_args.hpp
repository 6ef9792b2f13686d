// The command line every shim takes (conformance/interop/README.md, "Shims"), parsed once for
// the C++ shims of every implementation:
//
//   sender   --url URL --address ADDRESS --values FILE   [connection options]
//   receiver --url URL --address ADDRESS --count N --timeout SECONDS [connection options]
//   connection options: --ca FILE --cert FILE --key FILE --server-name NAME --user USER
//                       --password PASSWORD --mechs "MECH ..."
//
// and, for the implementations with a choice of event loop, --io BINDING.
#pragma once

#include <chrono>
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace interop {

enum class shim_role { sender, receiver };

struct shim_args {
  std::string url;
  std::string address;
  std::string values;                    // sender
  std::size_t count = 0;                 // receiver
  std::chrono::milliseconds timeout{0};  // receiver
  std::string ca, cert, key, user, password, mechs;
  std::string server_name = "localhost";
  std::string io;  // only when parse() was given io_choices

  // --mechs split at spaces (and commas).
  std::vector<std::string> mech_list() const;
  // The URL's scheme is amqps.
  bool tls() const { return url.starts_with("amqps://"); }
};

// Parses argv for `role`. `io_choices`, when not empty, allows --io with one of them (the first
// is the default). Returns the reason the command line is wrong, or an empty string.
std::string parse(int argc, char** argv, shim_role role, shim_args& out,
                  const std::vector<std::string_view>& io_choices = {});

}  // namespace interop
