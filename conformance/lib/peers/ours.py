"""The project's example broker (examples/broker), on either I/O binding.

It listens once, and with --cert/--key takes TLS and plain TCP on the same port (it tells them
apart by how a client begins), so "amqp" and "amqps" are one port. With --ca it asks TLS clients
for a certificate without requiring one and offers EXTERNAL to those that present one signed by
that CA. Its --users file (PLAIN and SCRAM) would replace ANONYMOUS, which the cases use to connect,
so it is not used; --confirm-on-consume would hold every producer until a consumer settles, which
the cases that send before they receive cannot live with, so it is not used either.
"""

import os

from .base import Broker, Endpoint
from .system import HOST

BINDINGS = ("asio", "libevent")


class OurBroker(Broker):
    features = frozenset({"tls", "sasl-anonymous", "sasl-external", "transactions", "dynamic",
                          "anonymous-relay", "selectors"})
    packages = ("openssl",)

    def __init__(self, build_dir, state_dir, io="asio"):
        if io not in BINDINGS:
            raise ValueError("unknown I/O binding %r (%s)" % (io, ", ".join(BINDINGS)))
        self.io = io
        self.name = "our-broker" if io == "asio" else "our-broker-" + io
        super().__init__(build_dir, state_dir)

    @property
    def program(self):
        return os.path.join(self.build_dir, "examples", "broker")

    @property
    def description(self):
        return "this library's example broker (examples/broker, %s binding)" % self.io

    def _missing(self):
        if not os.access(self.program, os.X_OK):
            return ("%s is not built (cmake --preset release && cmake --build --preset release "
                    "--target broker)" % self.program)
        return None

    def _endpoints(self, ports):
        return {"amqp": Endpoint(HOST, ports["amqp"]),
                "amqps": Endpoint(HOST, ports["amqp"], tls=True)}

    def _launch(self, ports):
        c = self.certs
        self._spawn("broker", [self.program, "-a", "%s:%d" % (HOST, ports["amqp"]),
                               "--io", self.io, "--cert", c.server_cert, "--key", c.server_key,
                               "--ca", c.ca, "--mechs", "ANONYMOUS EXTERNAL", "-v"])
