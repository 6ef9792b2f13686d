"""The conformance peers: install, start, check and stop each broker on 127.0.0.1, and install
the client implementations of the interop matrix. See conformance/peers/README.md.

    import peers
    b = peers.broker("rabbitmq", "build/release")
    b.install(); b.start()            # Unavailable: cannot run here; PeerError: did not start
    b.endpoints["amqp"].url()         # amqp://127.0.0.1:PORT
    b.restart(); b.check(); b.stop()

A broker only ever stops processes it started itself, known by pid and command line. Its files
(configuration, data, log, pids) are in STATE/<name>, STATE being state_dir, else
$AMQP_CONFORMANCE_DIR, else /tmp/amqp-conformance.
"""

import os

from .base import Broker, Endpoint
from .certs import Certs
from .certs import certs as _certs
from .clients import CLIENTS, Client
from .ours import OurBroker
from .qpid import ProtonCppBroker, ProtonPythonBroker, ProtonTestBroker
from .rabbitmq import RabbitMQ
from .system import PeerError, Unavailable

__all__ = ["Broker", "Certs", "Client", "Endpoint", "PeerError", "Unavailable", "broker",
           "brokers", "certs", "client", "clients"]

BROKERS = {b.name: b for b in (RabbitMQ, ProtonPythonBroker, ProtonCppBroker, ProtonTestBroker)}
# Our broker by I/O binding; the cases run against the first, the other is there to try by hand.
OUR_BROKERS = {"our-broker": "asio", "our-broker-libevent": "libevent"}


def _state(state_dir):
    return state_dir or os.environ.get("AMQP_CONFORMANCE_DIR") or "/tmp/amqp-conformance"


def brokers():
    """Every broker's name, in a stable order (our-broker-libevent, accepted by broker(), is not
    listed: the runner plays every case once per listed broker)."""
    return list(BROKERS) + ["our-broker"]


def broker(name, build_dir, state_dir=None):
    if name in BROKERS:
        return BROKERS[name](build_dir, _state(state_dir))
    if name in OUR_BROKERS:
        return OurBroker(build_dir, _state(state_dir), OUR_BROKERS[name])
    raise ValueError("unknown broker %r (known: %s)"
                     % (name, ", ".join(list(BROKERS) + list(OUR_BROKERS))))


def certs(state_dir=None):
    return _certs(_state(state_dir))


def clients():
    return list(CLIENTS)


def client(name, state_dir=None):
    if name not in CLIENTS:
        raise ValueError("unknown client %r (known: %s)" % (name, ", ".join(CLIENTS)))
    return CLIENTS[name](_state(state_dir))
