"""The project's example broker (examples/broker), on either I/O binding.

It listens once, and with --cert/--key takes TLS and plain TCP on the same port (it tells them
apart by how a client begins), so "amqp" and "amqps" are one port. With --ca it asks TLS clients
for a certificate without requiring one and offers EXTERNAL to those that present one signed by
that CA. A user file (user guest, password guest, its SCRAM-SHA-256 keys made by the broker's
--hash-user) serves PLAIN and SCRAM beside ANONYMOUS and EXTERNAL. --confirm-on-consume would hold every producer until a consumer settles, which
the cases that send before they receive cannot live with, so it is not used either.
"""

import os
import subprocess

from .base import Broker, Endpoint
from .system import HOST

BINDINGS = ("asio", "libevent")


class OurBroker(Broker):
    features = frozenset({"tls", "sasl-anonymous", "sasl-plain", "sasl-scram", "sasl-external",
                          "transactions", "dynamic", "anonymous-relay", "selectors"})
    plain_user = scram_user = ("guest", "guest")
    bad_password_user = ("guest", "wrong")
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

    def _users_file(self):
        path = os.path.join(self.dir, "users")
        if not os.path.exists(path):
            line = subprocess.run([self.program, "--hash-user", "%s:%s" % self.scram_user],
                                  check=True, capture_output=True, text=True).stdout
            with open(path, "w") as f:
                f.write(line)
        return path

    def _launch(self, ports):
        c = self.certs
        self._spawn("broker", [self.program, "-a", "%s:%d" % (HOST, ports["amqp"]),
                               "--io", self.io, "--cert", c.server_cert, "--key", c.server_key,
                               "--ca", c.ca, "--users", self._users_file(), "--allow-insecure",
                               "--mechs", "ANONYMOUS PLAIN SCRAM-SHA-256 EXTERNAL", "-v"])
