"""Brokers on Qpid Proton: the example brokers Debian ships (Python, and C++ as the project's
CMake builds it) and proton-test-broker, the project's full-featured broker on Proton's Python
API (conformance/peers/proton_test_broker.py)."""

import os

from .base import Broker, Endpoint
from .system import HOST, upstream_version

PYTHON = "/usr/bin/python3"  # Debian's interpreter: the one with the proton module
PYTHON_EXAMPLE = "/usr/share/proton/examples/python/broker.py"
TEST_BROKER = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))), "peers", "proton_test_broker.py")

# The example brokers offer what Proton does by default: ANONYMOUS, or no SASL layer at all,
# and dynamic sources; no ANONYMOUS-RELAY, selectors or transactions.
EXAMPLE_FEATURES = frozenset({"sasl-anonymous", "no-sasl", "dynamic"})


def _unbuffered():
    """Python buffers a redirected stdout; the log should show what happened up to a crash."""
    return dict(os.environ, PYTHONUNBUFFERED="1")


def _proton(package):
    version = upstream_version(package)
    return "Qpid Proton %s" % version if version else "Qpid Proton (%s is not installed)" % package


class ProtonPythonBroker(Broker):
    name = "proton-python-broker"
    features = EXAMPLE_FEATURES
    packages = ("python3-qpid-proton", "libqpid-proton11-dev-examples")

    @property
    def description(self):
        return "%s Python example broker (broker.py)" % _proton("python3-qpid-proton")

    def _endpoints(self, ports):
        return {"amqp": Endpoint(HOST, ports["amqp"])}

    def _launch(self, ports):
        self._spawn("broker", [PYTHON, PYTHON_EXAMPLE, "-a", "%s:%d" % (HOST, ports["amqp"])],
                    _unbuffered())


class ProtonCppBroker(Broker):
    name = "proton-cpp-broker"
    features = EXAMPLE_FEATURES
    # What the build needs: the library, and the example's source.
    packages = ("libqpid-proton-cpp12-dev", "libqpid-proton11-dev-examples")
    # It dies now and then when several connections come and go at once: one run at a time
    # spares it that. It still dies on an aborted transfer (a case that runs alone), and at
    # the connection after a multi-frame transfer or an oversize message, which the runner's
    # RestartGuard plays again.
    concurrent_runs = 1

    @property
    def program(self):
        return os.path.join(self.build_dir, "tests", "proton-cpp-broker")

    @property
    def description(self):
        return "%s C++ example broker (broker.cpp)" % _proton("libqpid-proton-cpp12")

    def _missing(self):
        if not os.access(self.program, os.X_OK):
            return ("%s is not built (cmake --preset release && cmake --build --preset release "
                    "--target proton-cpp-broker)" % self.program)
        return None

    def _endpoints(self, ports):
        return {"amqp": Endpoint(HOST, ports["amqp"])}

    def _launch(self, ports):
        self._spawn("broker", [self.program, "-a", "%s:%d" % (HOST, ports["amqp"])])


class ProtonTestBroker(Broker):
    name = "proton-test-broker"
    features = frozenset({"tls", "sasl-anonymous", "no-sasl", "transactions", "dynamic",
                          "anonymous-relay", "selectors"})
    packages = ("python3-qpid-proton", "openssl")
    port_roles = ("amqp", "amqps")

    @property
    def description(self):
        return "proton-test-broker (conformance/peers) on %s Python" % _proton(
            "python3-qpid-proton")

    def _endpoints(self, ports):
        # It takes no CA for client certificates: no EXTERNAL, no port that requires one.
        return {"amqp": Endpoint(HOST, ports["amqp"]),
                "amqps": Endpoint(HOST, ports["amqps"], tls=True)}

    def _launch(self, ports):
        c = self.certs
        self._spawn("broker", [PYTHON, TEST_BROKER, "-a", "%s:%d" % (HOST, ports["amqp"]),
                               "--cert", c.server_cert, "--key", c.server_key,
                               "--tls-address", "%s:%d" % (HOST, ports["amqps"]), "-v"],
                    _unbuffered())
