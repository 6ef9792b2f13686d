#!/usr/bin/python3
"""Tests of the conformance peers (conformance/lib/peers).

Every broker that can run here is started, checked, used for a real AMQP round trip with Qpid
Proton's Python client (on each endpoint, TLS verified against the test CA as "localhost"; with
PLAIN and EXTERNAL where offered), restarted on the same ports (a durable message survives on a
broker that offers "durable") and stopped. A broker whose package or build is missing is
skipped: nothing is installed.

    /usr/bin/python3 conformance/lib/test_peers.py [-v]

AMQP_CONFORMANCE_DIR: the state folder (default: a temporary one, removed at the end).
AMQP_CONFORMANCE_BUILD: the build folder (default build/release).
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, HERE)

import peers  # noqa: E402

try:
    from proton import ConnectionException, Message, SSLDomain, Terminus
    from proton.utils import BlockingConnection
except ImportError:  # the brokers are still started, checked and stopped
    BlockingConnection = None

BUILD = os.environ.get("AMQP_CONFORMANCE_BUILD") or os.path.join(ROOT, "build", "release")
PEER = os.path.join(ROOT, "conformance", "peers", "peer")
STATE = None  # set up once for all tests
TIMINGS = []  # (broker, start seconds, restart seconds), reported at the end


def setUpModule():
    global STATE
    STATE = os.environ.get("AMQP_CONFORMANCE_DIR") or tempfile.mkdtemp(
        prefix="amqp-conformance-test-")


def tearDownModule():
    if not os.environ.get("AMQP_CONFORMANCE_DIR"):
        shutil.rmtree(STATE, ignore_errors=True)
    for name, start, restart in TIMINGS:
        sys.stderr.write("%-22s start %5.2f s  restart %5.2f s\n" % (name, start, restart))


class DurableTerminus:
    """A link option (Proton's LinkOption interface) that asks for a durable node: RabbitMQ
    declares a durable queue only for a durable terminus."""

    def test(self, link):
        return True

    def apply(self, link):
        link.source.durability = Terminus.DELIVERIES
        link.target.durability = Terminus.DELIVERIES


def connect(broker, key="amqp", mechs="ANONYMOUS", user=None, client_cert=False):
    """A Proton connection to one endpoint. TLS verifies the broker as "localhost" while
    connecting to 127.0.0.1: Proton matches DNS names only, not IP addresses."""
    endpoint = broker.endpoints[key]
    options = {"timeout": 15, "allowed_mechs": mechs, "allow_insecure_mechs": True}
    if user:
        options.update(user=user[0], password=user[1])
    if endpoint.tls:
        c = broker.certs
        domain = SSLDomain(SSLDomain.MODE_CLIENT)
        domain.set_trusted_ca_db(c.ca)
        domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME, c.ca)
        if client_cert:
            domain.set_credentials(c.client_cert, c.client_key, None)
        options.update(ssl_domain=domain, sni="localhost")
    return BlockingConnection(endpoint.url(), **options)


def send(connection, address, body, durable=False):
    options = DurableTerminus() if durable else None
    connection.create_sender(address, options=options).send(Message(body=body, durable=durable))


def receive(connection, address, durable=False):
    receiver = connection.create_receiver(address, options=DurableTerminus() if durable else None)
    message = receiver.receive(timeout=10)
    receiver.accept()
    return message.body


def roundtrip(broker, address, **how):
    """Sends one message to address and receives it back on the same connection."""
    connection = connect(broker, **how)
    try:
        send(connection, address, "hello " + address)
        return receive(connection, address)
    finally:
        connection.close()


def accepts_connections(port):
    try:
        socket.create_connection((peers.system.HOST, port), 1).close()
        return True
    except OSError:
        return False


class BrokerLifecycle:
    """start, check, round trips, start again, restart, stop: one broker, in that order."""

    name = None

    def setUp(self):
        self.broker = peers.broker(self.name, BUILD, STATE)
        why = self.broker.available()
        if why:
            self.skipTest(why)

    def tearDown(self):
        self.broker.stop()

    def test_lifecycle(self):
        b = self.broker
        began = time.monotonic()
        b.start()
        start_seconds = time.monotonic() - began
        endpoints, first_pids = b.endpoints, b.pids
        self.assertTrue(b.running())
        self.assertIn("amqp", endpoints)
        self.assertEqual("tls" in b.features, "amqps" in endpoints)
        line = b.check()
        for endpoint in endpoints.values():
            self.assertEqual(endpoint.host, "127.0.0.1")
            self.assertIn(endpoint.url(), line)

        b.start()  # running already: nothing happens
        self.assertEqual(b.pids, first_pids)

        if BlockingConnection:
            self.roundtrips(b, endpoints)
            if "durable" in b.features:
                connection = connect(b)
                send(connection, "peers-test-durable", "kept", durable=True)
                connection.close()

        began = time.monotonic()
        b.restart()
        restart_seconds = time.monotonic() - began
        self.assertEqual(b.endpoints, endpoints)
        second_pids = b.pids
        self.assertEqual(set(second_pids), set(first_pids))
        self.assertFalse(set(second_pids.values()) & set(first_pids.values()))
        b.check()
        if BlockingConnection:
            if "durable" in b.features:
                connection = connect(b)
                self.assertEqual(receive(connection, "peers-test-durable", durable=True), "kept")
                connection.close()
            self.assertEqual(roundtrip(b, "peers-test-after-restart"),
                             "hello peers-test-after-restart")

        b.stop()
        self.assertFalse(b.running())
        self.assertEqual(b.pids, {})
        for pid in list(first_pids.values()) + list(second_pids.values()):
            self.assertFalse(os.path.exists("/proc/%d" % pid), "pid %d still there" % pid)
        for endpoint in endpoints.values():
            self.assertFalse(accepts_connections(endpoint.port), endpoint.url())
        b.stop()  # stopped already: nothing happens
        with self.assertRaises(peers.PeerError):
            b.check()
        TIMINGS.append((b.name, start_seconds, restart_seconds))

    def roundtrips(self, b, endpoints):
        for key in endpoints:
            with self.subTest(endpoint=key):
                address = "peers-test-" + key
                self.assertEqual(roundtrip(b, address, key=key), "hello " + address)
        if "sasl-plain" in b.features:
            with self.subTest(sasl="PLAIN"):
                self.assertEqual(roundtrip(b, "peers-test-plain", mechs="PLAIN",
                                           user=b.plain_user), "hello peers-test-plain")
            with self.subTest(sasl="PLAIN, wrong password"):
                with self.assertRaises(ConnectionException):
                    connect(b, mechs="PLAIN", user=b.bad_password_user).close()
        if "sasl-external" in b.features:
            key = "amqps-client-cert" if "amqps-client-cert" in endpoints else "amqps"
            with self.subTest(sasl="EXTERNAL"):
                self.assertEqual(roundtrip(b, "peers-test-external", key=key, mechs="EXTERNAL",
                                           client_cert=True), "hello peers-test-external")


class RabbitMQ(BrokerLifecycle, unittest.TestCase):
    name = "rabbitmq"


class ProtonPythonBroker(BrokerLifecycle, unittest.TestCase):
    name = "proton-python-broker"


class ProtonCppBroker(BrokerLifecycle, unittest.TestCase):
    name = "proton-cpp-broker"


class ProtonTestBroker(BrokerLifecycle, unittest.TestCase):
    name = "proton-test-broker"


class OurBroker(BrokerLifecycle, unittest.TestCase):
    name = "our-broker"


class OurBrokerLibevent(BrokerLifecycle, unittest.TestCase):
    name = "our-broker-libevent"


def first_runnable_broker(state):
    """A broker that starts fast, for the tests that only need some broker."""
    for name in ("proton-test-broker", "our-broker", "proton-python-broker"):
        b = peers.broker(name, BUILD, state)
        if b.available() is None:
            return b
    raise unittest.SkipTest("no broker that starts fast can run here")


class Processes(unittest.TestCase):
    def setUp(self):
        self.state = tempfile.mkdtemp(prefix="processes.", dir=STATE)
        self.broker = peers.broker("proton-python-broker", BUILD, self.state)
        self.sleeper = subprocess.Popen(["sleep", "60"])

    def tearDown(self):
        self.sleeper.kill()
        self.sleeper.wait()
        self.broker.stop()
        shutil.rmtree(self.state)

    def record(self, command_line):
        os.makedirs(self.broker.dir)
        with open(os.path.join(self.broker.dir, "pids.json"), "w") as f:
            json.dump([{"role": "broker", "pid": self.sleeper.pid,
                        "command_line": command_line}], f)

    def test_stop_spares_a_pid_that_runs_another_program(self):
        self.record(["/usr/bin/python3", "broker.py", "-a", "127.0.0.1:5672"])
        self.assertFalse(self.broker.running())
        self.broker.stop()
        self.assertIsNone(self.sleeper.poll())
        self.assertFalse(os.path.exists(os.path.join(self.broker.dir, "pids.json")))

    def test_stop_ends_the_recorded_program(self):
        self.record(["sleep", "60"])
        self.assertTrue(self.broker.running())
        self.broker.stop()
        self.assertEqual(self.sleeper.wait(5), -15)  # SIGTERM


class Ports(unittest.TestCase):
    def test_a_port_in_use_is_refused_clearly(self):
        state = tempfile.mkdtemp(prefix="ports.", dir=STATE)
        b = first_runnable_broker(state)
        try:
            b.start()
            port = b.endpoints["amqp"].port
            b.stop()
            with socket.socket() as squatter:
                squatter.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                squatter.bind(("127.0.0.1", port))
                squatter.listen()
                with self.assertRaises(peers.PeerError) as raised:
                    b.restart()  # restart keeps the ports, so it wants this one
            self.assertIn("127.0.0.1:%d (amqp) already in use" % port, str(raised.exception))
            self.assertFalse(b.running())
            b.restart()  # free again
            self.assertEqual(b.endpoints["amqp"].port, port)
        finally:
            b.stop()
            shutil.rmtree(state)


class Certificates(unittest.TestCase):
    def openssl(self, *args):
        return subprocess.run(["openssl"] + list(args), capture_output=True, text=True)

    def test_the_test_pki(self):
        c = peers.certs(STATE)
        for path in (c.ca, c.server_cert, c.server_key, c.client_cert, c.client_key, c.other_ca):
            self.assertTrue(os.path.getsize(path) > 0, path)
        self.assertEqual(peers.certs(STATE), c)
        for cert in (c.server_cert, c.client_cert):
            self.assertEqual(self.openssl("verify", "-CAfile", c.ca, cert).returncode, 0)
            self.assertNotEqual(self.openssl("verify", "-CAfile", c.other_ca, cert).returncode, 0)
        server = self.openssl("x509", "-in", c.server_cert, "-noout", "-subject", "-ext",
                              "subjectAltName").stdout
        self.assertIn("CN = localhost", server)
        self.assertIn("DNS:localhost", server)
        self.assertIn("IP Address:127.0.0.1", server)
        client = self.openssl("x509", "-in", c.client_cert, "-noout", "-subject").stdout
        self.assertIn("CN = amqp-client", client)


class Api(unittest.TestCase):
    def test_names(self):
        self.assertEqual(peers.brokers(), ["rabbitmq", "proton-python-broker",
                                           "proton-cpp-broker", "proton-test-broker",
                                           "our-broker"])
        self.assertEqual(peers.clients(), ["proton-python", "proton-cpp", "uamqp", "rhea"])
        for name in peers.brokers():
            b = peers.broker(name, BUILD, STATE)
            self.assertEqual(b.name, name)
            self.assertTrue(b.description)
            self.assertEqual(b.address("q"), "q")
        with self.assertRaises(ValueError):
            peers.broker("activemq", BUILD, STATE)
        for name in peers.clients():
            why = peers.client(name, STATE).available()
            self.assertTrue(why is None or why, name)
        self.assertEqual(peers.client("rhea", STATE).env["NODE_PATH"],
                         os.path.join(STATE, "rhea", "node_modules"))

    def test_endpoint_urls(self):
        self.assertEqual(peers.Endpoint("127.0.0.1", 5672).url(), "amqp://127.0.0.1:5672")
        self.assertEqual(peers.Endpoint("127.0.0.1", 5671, tls=True).url(),
                         "amqps://127.0.0.1:5671")


class Cli(unittest.TestCase):
    def peer(self, *args):
        return subprocess.run([PEER] + list(args) + ["--state", STATE, "--build", BUILD],
                              capture_output=True, text=True)

    def test_status_and_errors(self):
        self.assertEqual(self.peer("proton-python-broker", "status").returncode, 3)
        unknown = self.peer("activemq", "start")
        self.assertEqual(unknown.returncode, 2)
        self.assertEqual(len(unknown.stderr.strip().splitlines()), 1)
        self.assertEqual(self.peer("rhea", "start").returncode, 2)

    def test_env(self):
        out = self.peer("rabbitmq", "env").stdout
        self.assertIn("PEER=rabbitmq\n", out)
        self.assertIn("PLAIN_USER=guest\n", out)
        self.assertIn("FEATURES='durable no-sasl sasl-anonymous sasl-external sasl-plain tls'",
                      out)

    def test_start_and_stop(self):
        b = first_runnable_broker(STATE)
        started = self.peer(b.name, "start")
        try:
            self.assertEqual(started.returncode, 0, started.stderr)
            self.assertIn(b.endpoints["amqp"].url(), started.stdout)
            self.assertEqual(self.peer(b.name, "status").returncode, 0)
            self.assertEqual(self.peer(b.name, "check").returncode, 0)
            env = self.peer(b.name, "env").stdout
            self.assertIn("AMQP_PORT=%d\n" % b.endpoints["amqp"].port, env)
        finally:
            self.assertEqual(self.peer(b.name, "stop").returncode, 0)
        self.assertFalse(b.running())


if __name__ == "__main__":
    unittest.main()
