// Scripts: lines into statements, variables, steps and expect blocks (script.hpp).
#include <algorithm>

#include "peer/script.hpp"
#include "peer/script_syntax.hpp"

namespace amqp::peer {
namespace {

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}
bool is_name_start(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}
bool is_name_char(char c) {
  return is_name_start(c) || (c >= '0' && c <= '9');
}

// Calls `code(i)` for each byte of `line` outside quoted literals and stops at a comment (a
// '#' at the start or after white space, outside quotes); returns where it stopped. A char
// literal 'x' counts as quoted, so that char '"' or char '[' confuses nothing.
template <class Code>
std::size_t scan_code(std::string_view line, Code code) {
  bool quoted = false;
  for (std::size_t i = 0; i < line.size(); ++i) {
    const char ch = line[i];
    if (quoted) {
      if (ch == '\\')
        ++i;
      else if (ch == '"')
        quoted = false;
    } else if (ch == '"') {
      quoted = true;
    } else if (ch == '\'' && i + 2 < line.size() && line[i + 2] == '\'') {
      i += 2;
    } else if (ch == '#' && (i == 0 || is_space(line[i - 1]))) {
      return i;
    } else {
      code(i);
    }
  }
  return line.size();
}

// The line without its comment, ${NAME} and ${NAME:-default} replaced. Variables are text: a
// value may hold anything, quotes included.
std::string substitute(std::string_view line, const variables& vars, std::size_t max) {
  line = line.substr(0, scan_code(line, [](std::size_t) {}));
  std::string out;
  for (std::size_t i = 0; i < line.size();) {
    if (line[i] != '$' || i + 1 >= line.size() || line[i + 1] != '{') {
      out += line[i++];
      continue;
    }
    const std::size_t close = line.find('}', i);
    if (close == std::string_view::npos) text_cursor::fail_at(i, "unterminated ${");
    std::string_view name = line.substr(i + 2, close - i - 2);
    std::optional<std::string_view> fallback;
    if (const std::size_t dash = name.find(":-"); dash != std::string_view::npos) {
      fallback = name.substr(dash + 2);
      name = name.substr(0, dash);
    }
    if (name.empty() || !is_name_start(name[0]) ||
        !std::all_of(name.begin(), name.end(), is_name_char))
      text_cursor::fail_at(i,
                           "a variable is ${NAME} or ${NAME:-default}, NAME made of letters, "
                           "digits and _");
    const auto it = vars.find(name);
    if (it == vars.end() && !fallback)
      text_cursor::fail_at(i, "no value for ${" + std::string(name) + "}: give it with --var " +
                                  std::string(name) + "=VALUE");
    out += it != vars.end() ? std::string_view(it->second) : *fallback;
    if (out.size() > max) text_cursor::fail_at(i, "the line is too long once substituted");
    i = close + 1;
  }
  return out;
}

// How many more brackets the line opens than it closes, literals aside.
int bracket_balance(std::string_view line) {
  int depth = 0;
  scan_code(line, [&](std::size_t i) {
    const char ch = line[i];
    if (ch == '[' || ch == '{' || ch == '(')
      ++depth;
    else if (ch == ']' || ch == '}' || ch == ')')
      --depth;
  });
  return depth;
}

// A statement: one line, or several while brackets stay open (so a frame can be laid out as
// the multi-line trace writes it) or a line ends with '\\'.
struct statement {
  std::size_t line = 0;
  std::string text;  // its lines, comments removed, variables substituted, joined by '\n'
};

std::string one_line(std::string_view text) {
  std::string out;
  bool space = false;
  for (char ch : text) {
    if (is_space(ch)) {
      space = !out.empty();
      continue;
    }
    if (space) out += ' ';
    space = false;
    out += ch;
  }
  return out;
}

class parser {
 public:
  parser(std::string_view name, const variables& vars, const script_limits& limits)
      : name_(name), vars_(vars), limits_(limits) {}

  result<script, script_error> run(std::string_view text) {
    if (text.size() > limits_.max_size)
      return error(1, 1,
                   "the script is longer than " + std::to_string(limits_.max_size) + " bytes");
    std::vector<statement> statements;
    statement pending;
    int depth = 0;
    std::size_t line_no = 0;
    for (std::size_t start = 0; start <= text.size();) {
      std::size_t end = text.find('\n', start);
      if (end == std::string_view::npos) end = text.size();
      const std::string_view raw = text.substr(start, end - start);
      ++line_no;
      std::string line;
      try {
        line = substitute(raw, vars_, limits_.max_statement);
      } catch (const syntax_error& e) {
        return error(line_no, e.offset() + 1, e.what());
      }
      // A '\\' that ends a line continues the step on the next one.
      const std::size_t last = line.find_last_not_of(" \t\r");
      const bool continued = last != std::string::npos && line[last] == '\\';
      if (continued) line.erase(last);
      if (pending.text.empty())
        pending.line = line_no;
      else
        pending.text += '\n';
      pending.text += line;
      if (pending.text.size() > limits_.max_statement)
        return error(pending.line, 1,
                     "the step is longer than " + std::to_string(limits_.max_statement) + " bytes");
      depth += bracket_balance(line);
      if ((depth <= 0 && !continued) || end == text.size()) {
        if (depth > 0) return error(pending.line, 1, "a bracket opened here is never closed");
        if (!one_line(pending.text).empty()) statements.push_back(std::move(pending));
        pending = {};
        depth = 0;
      }
      start = end + 1;
    }
    script s;
    s.name = std::string(name_);
    for (std::size_t i = 0; i < statements.size(); ++i) {
      try {
        i = read_step(statements, i, s);
      } catch (const syntax_error& e) {
        const statement& st = statements[at_];
        const text_error te = error_at(st.text, e.offset(), e.what());
        return error(st.line + te.line - 1, te.column, te.message);
      }
    }
    return s;
  }

 private:
  script_error error(std::size_t line, std::size_t column, std::string message) const {
    return {std::string(name_), line, column, std::move(message)};
  }

  // Reads the step that statement i starts (an expect block takes the statements up to its
  // `end`); returns the index of its last statement.
  std::size_t read_step(const std::vector<statement>& statements, std::size_t i, script& s) {
    at_ = i;
    text_cursor c(statements[i].text);
    step st;
    st.line = statements[i].line;
    st.text = one_line(statements[i].text);
    const std::string_view verb = c.word();
    if (verb == "send") {
      st.action = detail::read_send(c, limits_);
    } else if (verb == "expect") {
      expect_step e;
      if (c.consume_word("unordered"))
        e.how = expect_step::mode::unordered;
      else if (c.consume_word("one-of"))
        e.how = expect_step::mode::one_of;
      else if (c.consume_word("nothing"))
        e.how = expect_step::mode::nothing;
      if (e.how == expect_step::mode::one) {
        const std::size_t at = c.pos();
        e.targets.push_back(detail::read_expectation(c, limits_));
        e.target_texts.push_back(one_line(c.text().substr(at, c.pos() - at)));
      }
      detail::read_clauses(c, e, limits_);
      end_of_statement(c);
      if (e.how == expect_step::mode::nothing && !e.within)
        c.fail("expect nothing needs within, the time to wait");
      if (e.how == expect_step::mode::unordered || e.how == expect_step::mode::one_of)
        i = read_block(statements, i, e);
      st.action = std::move(e);
    } else if (verb == "delay") {
      st.action = delay_step{detail::read_duration(c, limits_)};
    } else if (verb == "fault") {
      if (c.consume_word("shutdown-write"))
        st.action = fault_step{fault::shutdown_write};
      else if (c.consume_word("close"))
        st.action = fault_step{fault::close};
      else if (c.consume_word("reset"))
        st.action = fault_step{fault::reset};
      else {
        c.skip_space();
        c.fail("expected shutdown-write, close or reset after fault");
      }
    } else if (verb == "end") {
      c.fail_at(0, "end without an expect unordered or expect one-of block");
    } else {
      c.fail_at(0, "expected a step: send, expect, delay or fault");
    }
    end_of_statement(c);
    s.steps.push_back(std::move(st));
    return i;
  }

  // The expectations of a block, one a statement, up to `end`.
  std::size_t read_block(const std::vector<statement>& statements, std::size_t i, expect_step& e) {
    const std::size_t opener = i;
    for (++i; i < statements.size(); ++i) {
      at_ = i;
      text_cursor c(statements[i].text);
      if (c.consume_word("end")) {
        end_of_statement(c);
        if (e.targets.empty()) c.fail_at(0, "an expect block needs at least one expectation");
        at_ = opener;
        return i;
      }
      c.skip_space();
      const std::size_t at = c.pos();
      e.targets.push_back(detail::read_expectation(c, limits_));
      e.target_texts.push_back(one_line(c.text().substr(at, c.pos() - at)));
      end_of_statement(c);
    }
    at_ = opener;
    text_cursor::fail_at(0, "this expect block has no end");
  }

  static void end_of_statement(text_cursor& c) {
    if (!c.done())
      c.fail("unexpected " + quoted_for_error(c.text().substr(c.pos(), 12)) +
             " at the end of the step");
  }

  std::string_view name_;
  const variables& vars_;
  const script_limits& limits_;
  std::size_t at_ = 0;  // the statement being read, for error positions
};

}  // namespace

std::string script_error::to_string() const {
  return file + ":" + std::to_string(line) + ":" + std::to_string(column) + ": " + message;
}

result<script, script_error> parse_script(std::string_view text, std::string_view name,
                                          const variables& vars, const script_limits& limits) {
  return parser(name, vars, limits).run(text);
}

}  // namespace amqp::peer
