#!/usr/bin/python3
"""Interop receiver on Azure uAMQP (python3-uamqp): prints each message's body and property."""

import os
import time

import uamqp
from uamqp import constants
from uamqp.address import Source

import cli
import typed

POLL = 0.0005

# uamqp 1.5.3's cApplicationProperties.value wraps the C value the object already owns
# without cloning it, so both Python wrappers free it: reading the typed application
# properties means keeping those wrappers alive until the process leaves with os._exit.
_KEPT = []


def application_properties(c_message):
    """The typed application-properties map as (key TYPED, c_uamqp value) pairs."""
    section = c_message.application_properties
    if section is None:
        return []
    described = section.value
    _KEPT.extend((section, described))
    entries = described.data
    return [(typed.from_uamqp(k), v) for k, v in (entries.get(i) for i in range(entries.size))]


def line(message):
    # The Message's own accessors convert to plain Python (and re-encode the properties from
    # that on get_message()); the underlying uAMQP-C message keeps the AMQP types.
    c_message = message._message
    index, prop = None, None
    for key, value in application_properties(c_message):
        if key == {"type": "string", "value": "index"}:
            index = value.value if isinstance(value, uamqp.c_uamqp.IntValue) else None
        elif key == {"type": "string", "value": "value"}:
            prop = typed.from_uamqp(value)
    if c_message.body_type != uamqp.c_uamqp.MessageBodyType.ValueType:
        body = {"type": "unrepresentable",
                "detail": "body is not amqp-value: %s" % c_message.body_type}
    else:
        body = typed.from_uamqp(c_message.get_body_value())
    return {"index": index, "body": body, "property": prop}


def receive(args):
    """Prints --count messages; returns an error text or None."""
    received = 0

    def on_message(message):
        nonlocal received
        if received < args.count:  # beyond --count: left unsettled for the broker
            cli.emit(line(message))
            message.accept()
            received += 1

    conn = cli.connect(args)
    session = uamqp.Session(conn, incoming_window=cli.SESSION_WINDOW,
                            outgoing_window=cli.SESSION_WINDOW)
    receiver = uamqp.MessageReceiver(
        session, Source(args.address), "interop-receiver", on_message,
        receive_settle_mode=constants.ReceiverSettleMode.PeekLock,
        prefetch=min(args.count, 100), max_message_size=cli.MAX_MESSAGE_SIZE)
    # Ask for rcv-settle-mode first (RabbitMQ 3.10 refuses second) while keeping the
    # receiver's PeekLock behaviour, which sends the accepted outcome; the constructor's
    # ReceiveAndDelete would also drop that.
    receiver.receive_settle_mode = constants.ReceiverSettleMode.ReceiveAndDelete
    deadline = time.monotonic() + args.timeout
    error = None
    try:
        receiver.open()
        while received < args.count:
            if time.monotonic() > deadline:
                error = "timeout after %gs: %d of %d messages" % (
                    args.timeout, received, args.count)
                break
            # get_state raises on a detach; uAMQP-C's receiver goes to Error by itself when it
            # cannot decode a transfer, and that message never reaches Python.
            if receiver.get_state() == constants.MessageReceiverState.Error:
                error = "the receiver link failed after %d of %d messages" % (
                    received, args.count)
                break
            conn.work()
            time.sleep(POLL)
        # Let the last dispositions go out before the link closes.
        for _ in range(10):
            conn.work()
            time.sleep(POLL)
        receiver.close()
        conn.work()
    finally:
        receiver.destroy()
        session.destroy()
        conn.destroy()
    return error


def main():
    args = cli.parse_args("receiver")
    try:
        error = receive(args) if args.count > 0 else None
    except Exception as e:  # any failure is reported in the README's error form
        error = "%s: %s" % (type(e).__name__, e)
    if error:
        cli.emit(cli.error(error))
    os._exit(1 if error else 0)


if __name__ == "__main__":
    main()
