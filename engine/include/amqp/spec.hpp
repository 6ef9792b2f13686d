// The AMQP 1.0 spec table: every composite type as a struct, its encoding and decoding, the
// restricted types and symbols as constants, and the table itself for lookup and printing.
//
//   amqp::spec::encode(enc, amqp::spec::flow{.incoming_window = 2048, .next_outgoing_id = 1,
//                                             .outgoing_window = 2048, .link_credit = 100});
#pragma once

#include <tuple>

#include "amqp/spec/codec.hpp"
#include "amqp/spec/constants.hpp"
#include "amqp/spec/messaging.hpp"
#include "amqp/spec/security.hpp"
#include "amqp/spec/table.hpp"
#include "amqp/spec/transactions.hpp"
#include "amqp/spec/transport.hpp"

namespace amqp::spec {

// Every composite type of the spec table, for code that handles each of them (dispatch on a
// descriptor, printing, tests).
using composite_types =
    std::tuple<error, open, begin, attach, flow, transfer, disposition, detach, end, close, header,
               properties, received, accepted, rejected, released, modified, source, target,
               delete_on_close, delete_on_no_links, delete_on_no_messages,
               delete_on_no_links_or_messages, coordinator, declare, discharge, declared,
               transactional_state, sasl_mechanisms, sasl_init, sasl_challenge, sasl_response,
               sasl_outcome>;

}  // namespace amqp::spec
