// The SASL layer inside the engine (spec Part 5, 5.3): the reader's SASL header and frames go
// to it, its frames go into the output before anything of AMQP, and its end decides what
// follows: a client's open, kept since open(), goes out after a successful outcome; a failure
// ends the transport with amqp:unauthorized-access and the layer's description.
#include "amqp/spec.hpp"
#include "engine_impl.hpp"

namespace amqp {

template <class F>
std::error_code connection_engine::impl::sasl_step(F&& step) {
  const std::size_t from = out.size();
  const std::error_code r = step(out);
  if (out.size() != from) {
    trace_written(from);
    sent();
  }
  if (sasl->status() == detail::sasl_layer::state::failed) {
    fail_transport(*sasl->failure());
  } else if (sasl->status() == detail::sasl_layer::state::done && !authenticated) {
    authenticated = sasl_authenticated{sasl->mechanism(), sasl->user()};
    if (pending_open) {
      const open_options o = std::move(*pending_open);
      pending_open.reset();
      (void)send_open(o);  // checked when it was given
    }
  }
  return r;
}

void connection_engine::impl::start_sasl() {
  sasl_step([&](writer& w) {
    sasl->start(w);
    return std::error_code();
  });
}

void connection_engine::impl::on_sasl_header(const protocol_header& h) {
  sasl_step([&](writer& w) {
    sasl->on_header(h, w);
    return std::error_code();
  });
}

void connection_engine::impl::on_sasl_frame(const frame_view& f) {
  sasl_step([&](writer& w) {
    sasl->on_frame(f, w);
    return std::error_code();
  });
}

void connection_engine::impl::trace_written(std::size_t from) {
  if (!config.trace) return;
  while (from < out.size()) {
    const bytes_view rest = out.view().subspan(from);
    if (rest.size() >= protocol_header_size && rest[0] == 'A') {
      if (auto h = parse_protocol_header(rest.first(protocol_header_size)))
        config.trace->on_protocol_header(trace_direction::outgoing, *h, out_offset + from);
      from += protocol_header_size;
      continue;
    }
    const auto h = parse_frame_header(rest, 0xffffffffu);
    if (!h || h->size > rest.size()) return;
    traced_output(from);
    from += h->size;
  }
}

std::error_code connection_engine::sasl_accept() {
  return impl_->command([&]() -> std::error_code {
    if (!impl_->sasl_deciding()) return errc::wrong_state;
    return impl_->sasl_step([&](writer& w) { return impl_->sasl->accept(w); });
  });
}

std::error_code connection_engine::sasl_reject() {
  return impl_->command([&]() -> std::error_code {
    if (!impl_->sasl_deciding()) return errc::wrong_state;
    return impl_->sasl_step([&](writer& w) { return impl_->sasl->reject(w); });
  });
}

std::error_code connection_engine::sasl_scram_credentials(const scram_credentials& credentials) {
  return impl_->command([&]() -> std::error_code {
    if (!impl_->sasl_deciding()) return errc::wrong_state;
    return impl_->sasl_step(
        [&](writer& w) { return impl_->sasl->scram_credentials(credentials, w); });
  });
}

const sasl_authenticated* connection_engine::authentication() const noexcept {
  return impl_->authenticated ? &*impl_->authenticated : nullptr;
}

}  // namespace amqp
