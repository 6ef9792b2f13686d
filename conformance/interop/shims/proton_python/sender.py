#!/usr/bin/python3
"""Interop sender on Qpid Proton's Python binding: one message per value, at least once."""

import json

from proton import Message, int32
from proton.handlers import MessagingHandler
from proton.reactor import Container

import cli
import typed


def build_messages(values):
    """(index, message) pairs to send and the values left out, per the README's message shape."""
    messages, unsupported = [], []
    for index, tv in enumerate(values):
        try:
            if tv["type"] == "null":
                # Message(body=None) encodes no body section at all, not an amqp-value null.
                raise typed.Unsupported("Proton's Message sends no body section for body=None, "
                                        "so an amqp-value null cannot be sent")
            body = typed.to_proton(tv)
            properties = {"index": int32(index)}
            if tv["type"] not in typed.NOT_PROPERTY and "generate" not in tv:
                properties["value"] = body
            messages.append((index, Message(id="interop-%d" % index, body=body,
                                            properties=properties)))
        except typed.Unsupported as e:
            unsupported.append({"index": index, "type": tv["type"], "why": str(e)})
    return messages, unsupported


class Sender(MessagingHandler):
    def __init__(self, args, messages):
        super().__init__(auto_settle=True)
        self.args = args
        self.messages = messages
        self.next = 0
        self.accepted = 0
        self.error = None

    def on_start(self, event):
        conn = event.container.connect(**cli.connect_options(self.args))
        if self.messages:
            event.container.create_sender(conn, self.args.address)
        else:
            conn.close()

    def on_sendable(self, event):
        while event.sender.credit and self.next < len(self.messages):
            index, message = self.messages[self.next]
            # The tag is the value's index, for error reports.
            event.sender.send(message, tag=str(index))
            self.next += 1

    def on_accepted(self, event):
        self.accepted += 1
        if self.accepted == len(self.messages):
            event.connection.close()

    def _stop(self, event, why):
        if self.error is None:
            self.error = why
        if event.connection:
            event.connection.close()

    def on_rejected(self, event):
        self._stop(event, "message tagged %s rejected: %s" % (
            event.delivery.tag, event.delivery.remote.condition))

    def on_released(self, event):
        self._stop(event, "message tagged %s released or modified" % event.delivery.tag)

    def on_transport_error(self, event):
        self._stop(event, "transport: %s" % event.transport.condition)

    def on_connection_error(self, event):
        self._stop(event, "connection: %s" % event.connection.remote_condition)

    def on_session_error(self, event):
        self._stop(event, "session: %s" % event.session.remote_condition)

    def on_link_error(self, event):
        self._stop(event, "link: %s" % event.link.remote_condition)


def main():
    args = cli.parse_args("sender")
    try:
        with open(args.values, encoding="utf-8") as f:
            values = json.load(f)["values"]
        messages, unsupported = build_messages(values)
        sender = Sender(args, messages)
        Container(sender).run()
    except Exception as e:  # any failure is reported in the README's error form
        cli.fail("%s: %s" % (type(e).__name__, e))
    if sender.error is None and sender.accepted < len(messages):
        sender.error = "connection ended after %d of %d accepted" % (sender.accepted, len(messages))
    if sender.error:
        cli.fail(sender.error)
    cli.emit({"sent": len(messages), "unsupported": unsupported})


if __name__ == "__main__":
    main()
