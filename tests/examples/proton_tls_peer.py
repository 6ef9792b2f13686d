#!/usr/bin/python3
"""A Qpid Proton peer over TLS, for the examples' interop cases.

    proton_tls_peer.py serve PORT CERT KEY CA      a queue per address, TLS required; clients
                                                    with a certificate from CA authenticate
                                                    with SASL EXTERNAL (others: ANONYMOUS)
    proton_tls_peer.py send URL CA USER PASSWORD N  sends N messages over TLS, SASL PLAIN,
                                                    trusting CA; prints "all messages confirmed"

Written on Proton's Python API (Debian's python3-qpid-proton), which has no Cyrus SASL here:
as a server it offers ANONYMOUS and EXTERNAL only, as a client it speaks PLAIN.
"""

import collections
import sys

from proton import Message, SSLDomain
from proton.handlers import MessagingHandler
from proton.reactor import Container


class Queues(MessagingHandler):
    def __init__(self, url, domain):
        super().__init__()
        self.url, self.domain = url, domain
        self.queues = collections.defaultdict(collections.deque)
        self.consumers = collections.defaultdict(list)

    def on_start(self, event):
        event.container.listen(self.url, ssl_domain=self.domain)
        print("listening", flush=True)

    def on_link_opening(self, event):
        if event.link.is_sender:
            address = event.link.remote_source.address
            event.link.source.address = address
            self.consumers[address].append(event.link)
        else:
            event.link.target.address = event.link.remote_target.address

    def on_link_closing(self, event):
        if event.link.is_sender:
            self.consumers[event.link.source.address].remove(event.link)

    def on_message(self, event):
        address = event.link.target.address
        self.queues[address].append(event.message)
        self.dispatch(address)

    def on_sendable(self, event):
        self.dispatch(event.link.source.address)

    def dispatch(self, address):
        queue = self.queues[address]
        for link in self.consumers[address]:
            while queue and link.credit > 0:
                link.send(queue.popleft())


class Send(MessagingHandler):
    def __init__(self, url, domain, user, password, total):
        super().__init__()
        self.url, self.domain, self.total = url, domain, total
        self.user, self.password = user, password
        self.sent = self.confirmed = 0

    def on_start(self, event):
        conn = event.container.connect(self.url, ssl_domain=self.domain, user=self.user,
                                       password=self.password, allowed_mechs="PLAIN")
        event.container.create_sender(conn, self.url.split("/", 3)[-1])

    def on_sendable(self, event):
        while event.sender.credit and self.sent < self.total:
            self.sent += 1
            event.sender.send(Message(id=self.sent, body={"sequence": self.sent}))

    def on_accepted(self, event):
        self.confirmed += 1
        if self.confirmed == self.total:
            print("all messages confirmed", flush=True)
            event.connection.close()

    def on_transport_error(self, event):
        print("transport error: %s" % event.transport.condition, file=sys.stderr, flush=True)
        sys.exit(1)


def main():
    if sys.argv[1] == "serve":
        port, cert, key, ca = sys.argv[2:6]
        domain = SSLDomain(SSLDomain.MODE_SERVER)
        domain.set_credentials(cert, key, None)
        domain.set_trusted_ca_db(ca)
        domain.set_peer_authentication(SSLDomain.ANONYMOUS_PEER)
        domain.set_peer_authentication(SSLDomain.VERIFY_PEER, ca)
        Container(Queues("amqps://127.0.0.1:%s" % port, domain)).run()
    elif sys.argv[1] == "send":
        url, ca, user, password, total = sys.argv[2:7]
        domain = SSLDomain(SSLDomain.MODE_CLIENT)
        domain.set_trusted_ca_db(ca)
        domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME)
        Container(Send(url, domain, user, password, int(total))).run()
    else:
        print(__doc__, file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
