// The amqp-inspect command line.
#include <charconv>

#include "inspect/inspect.hpp"

namespace amqp::inspect {

std::string_view usage() noexcept {
  return "usage: amqp-inspect [--value | --message | --frames] [--hex] [--reencode]\n"
         "                    [--one-line] [--width N] [FILE]\n"
         "\n"
         "Decodes AMQP 1.0 bytes from FILE (standard input when FILE is - or absent) and\n"
         "prints them as text.\n"
         "\n"
         "  --value     one or more encoded values, back to back\n"
         "  --message   one message: its sections, back to back\n"
         "  --frames    a connection's byte stream, starting with a protocol header\n"
         "              (without these, the mode follows from the first bytes: \"AMQP\" for\n"
         "              frames, a message section descriptor for a message, else values)\n"
         "  --hex       the input is hex digits; whitespace is ignored\n"
         "  --reencode  write the canonical re-encoding of what was decoded, as raw bytes\n"
         "  --one-line  never break a value over several lines\n"
         "  --width N   break values that do not fit in N columns (default 100)\n"
         "  -h, --help  show this text\n"
         "\n"
         "Exit status: 0 decoded, 1 malformed input (one line on standard error naming the\n"
         "byte offset), 2 usage or I/O error.\n";
}

int parse_command_line(std::span<const std::string_view> args, command_line& cl,
                       std::string& err) {
  auto fail = [&](std::string_view what, std::string_view arg) {
    err = "amqp-inspect: ";
    err += what;
    err += arg;
    err += " (see --help)\n";
    return 2;
  };
  bool mode_set = false;
  bool file_set = false;
  bool only_files = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string_view a = args[i];
    if (!only_files && a.size() > 1 && a[0] == '-') {
      if (a == "--") {
        only_files = true;
      } else if (a == "--value" || a == "--message" || a == "--frames") {
        if (mode_set) return fail("more than one of --value, --message, --frames: ", a);
        mode_set = true;
        cl.opts.input = a == "--value" ? mode::value : a == "--message" ? mode::message : mode::frames;
      } else if (a == "--hex") {
        cl.opts.hex = true;
      } else if (a == "--reencode") {
        cl.opts.reencode = true;
      } else if (a == "--one-line") {
        cl.opts.text.multiline = false;
      } else if (a == "--width") {
        if (i + 1 == args.size()) return fail("--width needs a number", "");
        const std::string_view n = args[++i];
        int w = 0;
        const auto r = std::from_chars(n.data(), n.data() + n.size(), w);
        if (r.ec != std::errc{} || r.ptr != n.data() + n.size() || w < 1)
          return fail("--width needs a positive number, not ", n);
        cl.opts.text.width = w;
      } else if (a == "-h" || a == "--help") {
        cl.help = true;
      } else {
        return fail("unknown option ", a);
      }
      continue;
    }
    if (file_set) return fail("more than one input file: ", a);
    file_set = true;
    if (a != "-") {
      cl.file = a;
      cl.opts.input_name = a;
    }
  }
  return 0;
}

}  // namespace amqp::inspect
