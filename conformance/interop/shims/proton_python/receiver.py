#!/usr/bin/python3
"""Interop receiver on Qpid Proton's Python binding: prints each message's body and property."""

from proton.handlers import MessagingHandler
from proton.reactor import Container

import cli
import typed


class Receiver(MessagingHandler):
    def __init__(self, args):
        # Accept by hand, before the last message closes the connection.
        super().__init__(auto_accept=False)
        self.args = args
        self.received = 0
        self.error = None
        self.timer = None

    def on_start(self, event):
        conn = event.container.connect(**cli.connect_options(self.args))
        if self.args.count > 0:
            event.container.create_receiver(conn, self.args.address)
            self.timer = event.container.schedule(self.args.timeout, self)
        else:
            conn.close()

    def on_message(self, event):
        if self.received == self.args.count:
            return  # prefetched beyond --count: left unsettled, so the broker keeps it
        props = event.message.properties or {}
        index = props.get("index")
        cli.emit({"index": index if isinstance(index, int) else None,
                  "body": typed.from_proton(event.message.body),
                  "property": typed.from_proton(props["value"]) if "value" in props else None})
        self.accept(event.delivery)
        self.received += 1
        if self.received == self.args.count:
            self.timer.cancel()
            event.connection.close()

    def on_timer_task(self, event):
        self._stop(event, "timeout after %gs: %d of %d messages" % (
            self.args.timeout, self.received, self.args.count))

    def _stop(self, event, why):
        if self.error is None:
            self.error = why
        if self.timer:
            self.timer.cancel()
        event.container.stop()

    def on_transport_error(self, event):
        self._stop(event, "transport: %s" % event.transport.condition)

    def on_connection_error(self, event):
        self._stop(event, "connection: %s" % event.connection.remote_condition)

    def on_session_error(self, event):
        self._stop(event, "session: %s" % event.session.remote_condition)

    def on_link_error(self, event):
        self._stop(event, "link: %s" % event.link.remote_condition)


def main():
    args = cli.parse_args("receiver")
    receiver = Receiver(args)
    try:
        Container(receiver).run()
    except Exception as e:  # any failure is reported in the README's error form
        # e.g. a map key Python cannot hash (a list) makes Proton's message decoding raise
        cli.fail("%s: %s (after %d messages)" % (type(e).__name__, e, receiver.received))
    if receiver.error is None and receiver.received < args.count:
        receiver.error = "connection ended after %d of %d messages" % (
            receiver.received, args.count)
    if receiver.error:
        cli.fail(receiver.error)


if __name__ == "__main__":
    main()
