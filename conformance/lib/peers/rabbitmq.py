"""RabbitMQ (Debian's rabbitmq-server) with its AMQP 1.0 plugin, everything private to
STATE/rabbitmq.

The node runs as root straight from /usr/lib/rabbitmq/bin/rabbitmq-server (the /usr/sbin wrapper
would switch to the rabbitmq user and /var/lib/rabbitmq). Its configuration, Mnesia database,
enabled-plugins file and HOME (which holds the Erlang cookie) are in STATE/rabbitmq, and it finds
itself through an epmd of its own on a free port: a system epmd on 4369 and any other RabbitMQ
node on this machine are left alone whatever their names and ports.
"""

import base64
import glob
import hashlib
import json
import os
import shutil
import time

from .base import Broker, Endpoint
from .system import HOST, PeerError, command_line, port_in_use, upstream_version

LAUNCHER = "/usr/lib/rabbitmq/bin/rabbitmq-server"
NODE = "amqpconf@localhost"
USER, PASSWORD = "guest", "guest"
CERTIFICATE_USER = "amqp-client"  # the client certificate's CN, for SASL EXTERNAL


def _epmd():
    found = sorted(glob.glob("/usr/lib/erlang/erts-*/bin/epmd"))
    return found[-1] if found else shutil.which("epmd")


def _password_hash(password):
    """rabbit_password_hashing_sha256: base64(salt + sha256(salt + password)), 4-byte salt."""
    salt = os.urandom(4)
    return base64.b64encode(salt + hashlib.sha256(salt + password.encode()).digest()).decode()


class RabbitMQ(Broker):
    name = "rabbitmq"
    # ANONYMOUS and a connection without SASL log in as amqp1_0.default_user (guest).
    features = frozenset({"tls", "sasl-anonymous", "sasl-plain", "sasl-external", "no-sasl",
                          "durable"})
    plain_user = (USER, PASSWORD)
    bad_password_user = (USER, "not-the-password")
    packages = ("rabbitmq-server", "openssl")
    port_roles = ("amqp", "amqps", "epmd", "dist")
    start_timeout = 90.0

    @property
    def description(self):
        version = upstream_version("rabbitmq-server")
        if version is None:
            return "RabbitMQ (rabbitmq-server is not installed)"
        return "RabbitMQ %s with rabbitmq_amqp1_0" % version

    def _missing(self):
        if not os.access(LAUNCHER, os.X_OK):
            return "%s is missing (reinstall rabbitmq-server)" % LAUNCHER
        if _epmd() is None:
            return "epmd is missing (reinstall erlang-base)"
        return None

    def _endpoints(self, ports):
        # fail_if_no_peer_cert is false: the TLS port takes clients with or without a
        # certificate, so there is no port that requires one.
        return {"amqp": Endpoint(HOST, ports["amqp"]),
                "amqps": Endpoint(HOST, ports["amqps"], tls=True)}

    def _prepare(self, ports, fresh):
        if fresh:  # a start begins empty; a restart keeps the durable queues and their messages
            shutil.rmtree(self._path("mnesia"), ignore_errors=True)
            shutil.rmtree(self._path("log"), ignore_errors=True)
        for folder in ("mnesia", "log"):
            os.makedirs(self._path(folder), exist_ok=True)
        c = self.certs
        files = {
            "rabbitmq-env.conf": "",  # replaces /etc/rabbitmq/rabbitmq-env.conf
            "enabled_plugins": "[rabbitmq_amqp1_0,rabbitmq_auth_mechanism_ssl].\n",
            "definitions.json": json.dumps(self._definitions(), indent=1),
            "rabbitmq.conf": "\n".join([
                "listeners.tcp.1 = %s:%d" % (HOST, ports["amqp"]),
                "listeners.ssl.1 = %s:%d" % (HOST, ports["amqps"]),
                "ssl_options.cacertfile = " + c.ca,
                "ssl_options.certfile = " + c.server_cert,
                "ssl_options.keyfile = " + c.server_key,
                # Ask for a client certificate (EXTERNAL needs one) without requiring it.
                "ssl_options.verify = verify_peer",
                "ssl_options.fail_if_no_peer_cert = false",
                "ssl_cert_login_from = common_name",
                "auth_mechanisms.1 = PLAIN",
                "auth_mechanisms.2 = AMQPLAIN",
                "auth_mechanisms.3 = EXTERNAL",
                "load_definitions = " + self._path("definitions.json"),
                "amqp1_0.default_user = " + USER,
                # Everything to standard output, which is broker.log.
                "log.console = true",
                "log.console.level = info",
                "log.console.use_colors = off",
                "log.file = false",
                ""]),
        }
        for name, text in files.items():
            with open(self._path(name), "w") as f:
                f.write(text)

    @staticmethod
    def _definitions():
        everything = {"vhost": "/", "configure": ".*", "write": ".*", "read": ".*"}
        return {
            "vhosts": [{"name": "/"}],
            "users": [
                {"name": USER, "password_hash": _password_hash(PASSWORD),
                 "hashing_algorithm": "rabbit_password_hashing_sha256",
                 "tags": ["administrator"]},
                # No password: this user logs in only with its certificate.
                {"name": CERTIFICATE_USER, "password_hash": "",
                 "hashing_algorithm": "rabbit_password_hashing_sha256", "tags": []},
            ],
            "permissions": [dict(everything, user=USER),
                            dict(everything, user=CERTIFICATE_USER)],
        }

    def _environment(self, ports):
        # Nothing of the caller's RabbitMQ or Erlang settings may leak in.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("RABBITMQ_", "ERL_"))}
        env.update({
            "HOME": self.dir,
            "RABBITMQ_NODENAME": NODE,
            "RABBITMQ_CONF_ENV_FILE": self._path("rabbitmq-env.conf"),
            "RABBITMQ_CONFIG_FILE": self._path("rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": self._path("advanced.config"),  # none
            "RABBITMQ_ENABLED_PLUGINS_FILE": self._path("enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": self._path("mnesia"),
            "RABBITMQ_LOG_BASE": self._path("log"),
            "RABBITMQ_PID_FILE": self._path("node.pid"),
            "RABBITMQ_DIST_PORT": str(ports["dist"]),
            "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
            "ERL_EPMD_PORT": str(ports["epmd"]),
            "ERL_EPMD_ADDRESS": HOST,
        })
        return env

    def _launch(self, ports):
        env = self._environment(ports)
        epmd = self._spawn("epmd", [_epmd(), "-address", HOST, "-port", str(ports["epmd"])], env)
        deadline = time.monotonic() + 10
        # Waiting for its port to be taken, not connecting: epmd logs every probe.
        while not port_in_use(ports["epmd"]):
            if time.monotonic() > deadline or epmd not in self.pids.values():
                raise PeerError("rabbitmq: epmd did not listen on %s:%d%s"
                                % (HOST, ports["epmd"], self.log_tail()))
            time.sleep(0.05)
        self._spawn("rabbitmq-server", [LAUNCHER], env)

    def _after_ready(self):
        # The Erlang VM is the launcher's child; it is recorded too, so that it is stopped even
        # if the launcher is gone.
        try:
            with open(self._path("node.pid")) as f:
                pid = int(f.read().strip())
        except (OSError, ValueError) as e:
            raise PeerError("rabbitmq answers but its pid file is unreadable: %s" % e)
        shown = command_line(pid)
        if not shown:
            raise PeerError("rabbitmq answers but its node (pid %d) is gone" % pid)
        self._record("node", pid, shown)

    def _stop_order(self, recorded):
        # SIGTERM to the launcher first: it passes it on to the node and waits for the node's
        # clean shutdown. Then the node (should it outlive the launcher) and epmd.
        order = {"rabbitmq-server": 0, "node": 1, "epmd": 2}
        return sorted(recorded, key=lambda p: order[p["role"]])
