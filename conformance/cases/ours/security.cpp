// Part 5, security: the SASL mechanisms, a refused password, TLS with and without a valid
// certificate for the name asked, and AMQP without a SASL layer.
#include <string>

#include "cases.hpp"

namespace conformance {

namespace {

// Options allowing only `mechanism`.
amqp::connection_options with_mechanism(script& s, const char* mechanism) {
  amqp::connection_options o = s.options();
  o.allowed_mechs = {mechanism};
  return o;
}

// Connects with `o` and waits for the peer's open; says how it authenticated.
verdict opens(script& s, amqp::connection_options o, const std::string& how) {
  amqp::connection c = s.open(std::move(o));
  const std::string mechanism = s.call(c, [&] {
    const amqp::sasl_authenticated* a = c.authentication();
    return a ? a->mechanism : std::string();
  });
  s.close(c);
  if (!how.empty() && mechanism != how)
    return fail("the peer opened, but SASL chose " + (mechanism.empty() ? "nothing" : mechanism));
  return pass("the peer opened" + (how.empty() ? " without SASL" : " after SASL " + how));
}

verdict anonymous(script& s) {
  amqp::connection_options o = with_mechanism(s, "ANONYMOUS");
  o.user.reset();
  o.password.reset();
  return opens(s, std::move(o), "ANONYMOUS");
}

verdict plain(script& s) { return opens(s, with_mechanism(s, "PLAIN"), "PLAIN"); }

verdict scram(script& s) { return opens(s, with_mechanism(s, "SCRAM-SHA-256"), "SCRAM-SHA-256"); }

verdict external(script& s) { return opens(s, with_mechanism(s, "EXTERNAL"), "EXTERNAL"); }

verdict no_sasl(script& s) {
  amqp::connection_options o = s.options();
  o.sasl_enabled = false;
  return opens(s, std::move(o), "");
}

// Connects and waits for the connection to end or open; returns the transport's error
// happening, failing when the peer opened.
happening refused(script& s, amqp::connection_options o, const std::string& expected) {
  amqp::connection c = s.connect(std::move(o));
  s.wait_any("the connection to be refused (" + expected + ")", [&] {
    return s.find(c, "on_connection_opened") || s.find(c, "on_transport_error") ||
           s.find(c, "on_connection_error") || s.find(c, "on_disconnected");
  });
  auto hold = s.lock();
  if (s.find(c, "on_connection_opened")) fail_now("the peer opened, expected " + expected);
  for (const frame_seen& f : s.wire_of(c).frames())
    if (f.performative == "open")
      fail_now(std::string(f.incoming ? "the peer" : "this side") + " sent an open, expected " +
               expected + " before any");
  for (const char* what : {"on_transport_error", "on_connection_error"})
    if (happening* h = s.find(c, what)) return *h;
  fail_now("the connection was lost without an error, expected " + expected);
}

verdict plain_refused(script& s) {
  const happening h = refused(s, with_mechanism(s, "PLAIN"), "a SASL outcome refusing it");
  int code = -1;
  {
    auto hold = s.lock();
    for (const frame_seen& f : s.wire_of(h.connection).frames())
      if (f.incoming && f.performative == "sasl-outcome") code = f.sasl_code;
  }
  if (code < 0) return fail("no SASL outcome came: " + describe(h));
  if (code != 1)
    return fail("the SASL outcome has code " + std::to_string(code) + ", expected 1 (auth)");
  return pass("the SASL outcome refused it with code auth; no open was exchanged");
}

verdict tls_verified(script& s) {
  amqp::connection c = s.open();
  if (!s.call(c, [&] { return c.tls() != nullptr; }))
    return fail("the connection opened without TLS");
  amqp::receiver r = s.open_receiver(c, s.p.address);
  s.put(c, s.p.address, {text_message("over TLS")});
  if (body_text(*s.receive(c, r, 1).front().message) != "over TLS")
    return fail("the message came back changed");
  s.close(c);
  return pass("the broker's certificate verified, and a message came back over TLS");
}

// A failed TLS handshake whose description holds `reason`.
verdict tls_refused(script& s, const std::string& reason) {
  const happening h = refused(s, s.options(), "a TLS handshake failure");
  const std::string what = describe(h);
  if (what.find("TLS handshake failed: certificate verify failed") == std::string::npos ||
      what.find(reason) == std::string::npos)
    return fail("expected a certificate verification error (" + reason + "): " + what);
  return pass(what);
}

verdict tls_wrong_ca(script& s) { return tls_refused(s, "certificate"); }

verdict tls_wrong_name(script& s) { return tls_refused(s, "hostname mismatch"); }

const case_entry cases[] = {
    {"security.anonymous", anonymous},
    {"security.plain", plain},
    {"security.plain_refused", plain_refused},
    {"security.scram", scram},
    {"security.external", external},
    {"security.tls_verified", tls_verified},
    {"security.tls_wrong_ca", tls_wrong_ca},
    {"security.tls_wrong_name", tls_wrong_name},
    {"security.no_sasl", no_sasl},
};

}  // namespace

std::span<const case_entry> security_cases() { return cases; }

}  // namespace conformance
