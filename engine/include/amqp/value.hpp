// The AMQP 1.0 type system (spec Part 1): types, zero-copy decoding into views, encoding in the
// smallest form, and an owned value type.
//
//   amqp::writer w;
//   amqp::encoder(w).value(amqp::value::map_of({{"count", 42}}));
//   auto v = amqp::decode_value(w.view());          // amqp::result<amqp::value_view>
//   for (auto [k, val] : v->as_map()) ...
#pragma once

#include "amqp/codec/decoder.hpp"
#include "amqp/codec/encoder.hpp"
#include "amqp/codec/types.hpp"
#include "amqp/codec/value.hpp"
#include "amqp/codec/value_view.hpp"
#include "amqp/codec/writer.hpp"
