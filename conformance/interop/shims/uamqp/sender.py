#!/usr/bin/python3
"""Interop sender on Azure uAMQP (python3-uamqp): one message per value, at least once."""

import json
import sys
import time

import uamqp
from uamqp import c_uamqp, constants, types
from uamqp.address import Target
from uamqp.message import Message, MessageProperties

import cli
import typed

# Pause between uAMQP do_work rounds, so the polling loop does not take a whole core.
POLL = 0.0005
OPEN_TIMEOUT = 30


def build_messages(values):
    """(index, message) pairs to send and the values left out, per the README's message shape."""
    messages, unsupported = [], []
    for index, tv in enumerate(values):
        try:
            body = typed.to_uamqp(tv)
            properties = {"index": types.AMQPInt(index)}
            if tv["type"] not in typed.NOT_PROPERTY and "generate" not in tv:
                properties["value"] = body
            messages.append((index, Message(
                body=body, body_type=constants.MessageBodyType.Value,
                properties=MessageProperties(message_id="interop-%d" % index),
                application_properties=properties)))
        except typed.Unsupported as e:
            unsupported.append({"index": index, "type": tv["type"], "why": str(e)})
    return messages, unsupported


def send(args, messages):
    """Sends every message and waits for all outcomes; returns an error text or None."""
    outcomes = {}
    conn = cli.connect(args)
    session = uamqp.Session(conn, incoming_window=cli.SESSION_WINDOW,
                            outgoing_window=cli.SESSION_WINDOW)
    # uAMQP asks for rcv-settle-mode second by default, which RabbitMQ 3.10 refuses; the
    # outcomes are awaited either way (snd-settle-mode unsettled).
    sender = uamqp.MessageSender(
        session, "interop-sender", Target(args.address),
        send_settle_mode=constants.SenderSettleMode.Unsettled,
        receive_settle_mode=constants.ReceiverSettleMode.ReceiveAndDelete,
        max_message_size=cli.MAX_MESSAGE_SIZE)
    try:
        sender.open()
        # uAMQP-C reports a failed TLS or SASL handshake in its log only: bound the wait.
        deadline = time.monotonic() + OPEN_TIMEOUT
        while sender.get_state() == constants.MessageSenderState.Opening:
            if time.monotonic() > deadline:
                return "the sender link did not open within %ds" % OPEN_TIMEOUT
            conn.work()
            time.sleep(POLL)
        if sender.get_state() != constants.MessageSenderState.Open:
            return "the sender link is %s, not Open" % sender.get_state().name
        for index, message in messages:
            def done(_message, result, delivery_state=None, index=index):
                outcomes[index] = (result, delivery_state)
            if not sender.send(message, done):
                outcomes[index] = ("uAMQP could not queue the message", None)
        while len(outcomes) < len(messages):
            # get_state raises on a detach; uAMQP-C itself may also drop the link to Idle or
            # Error (e.g. on a flow it cannot read) and then never settles anything.
            if sender.get_state() != constants.MessageSenderState.Open:
                return "the sender link is %s, not Open, with %d of %d outcomes" % (
                    sender.get_state().name, len(outcomes), len(messages))
            sender.work()
            conn.work()
            time.sleep(POLL)
        sender.close()
        conn.work()
    finally:
        sender.destroy()
        session.destroy()
        conn.destroy()
    failed = sorted(i for i, (result, _) in outcomes.items() if result != c_uamqp.MESSAGE_SEND_OK)
    if failed:
        return "%d not accepted, first: index %d, %r" % (
            len(failed), failed[0], outcomes[failed[0]])
    return None


def main():
    args = cli.parse_args("sender")
    try:
        with open(args.values, encoding="utf-8") as f:
            values = json.load(f)["values"]
        messages, unsupported = build_messages(values)
        error = send(args, messages) if messages else None
    except Exception as e:  # any failure is reported in the README's error form
        error = "%s: %s" % (type(e).__name__, e)
    if error:
        cli.emit(cli.error(error))
        sys.exit(1)
    cli.emit({"sent": len(messages), "unsupported": unsupported})


if __name__ == "__main__":
    main()
