// The AMQP 1.0 spec table: every composite type as a struct, its encoding and decoding, the
// restricted types and symbols as constants, and the table itself for lookup and printing.
//
//   amqp::spec::encode(enc, amqp::spec::flow{.incoming_window = 2048, .next_outgoing_id = 1,
//                                             .outgoing_window = 2048, .link_credit = 100});
#pragma once

#include "amqp/spec/codec.hpp"
#include "amqp/spec/constants.hpp"
#include "amqp/spec/messaging.hpp"
#include "amqp/spec/security.hpp"
#include "amqp/spec/table.hpp"
#include "amqp/spec/transactions.hpp"
#include "amqp/spec/transport.hpp"
