"""What every broker shares: ports chosen at start and kept by restart, processes known by pid
and command line, readiness judged on the wire, and its files in STATE/<name>/:

    endpoints.json  {"ports": {role: port}, "endpoints": {key: {host, port, tls, ...}}}
    pids.json       [{"role", "pid", "command_line"}, ...] in start order
    broker.log      what its processes print (a restart appends, a start begins it anew)
"""

import json
import os
import time
from typing import NamedTuple

from . import certs as pki
from .system import (HOST, PeerError, Unavailable, ensure_packages, free_ports, is_running,
                     not_running, package_version, port_in_use, probe_amqp, spawn, terminate,
                     tls_client_context)

ENDPOINTS = "endpoints.json"
PIDS = "pids.json"


class Endpoint(NamedTuple):
    host: str
    port: int
    tls: bool = False
    client_cert_required: bool = False

    def url(self):
        return "%s://%s:%d" % ("amqps" if self.tls else "amqp", self.host, self.port)


class Broker:
    """One broker on 127.0.0.1. Subclasses say what to run; this class runs it.

    features lists what the broker is configured to offer (see peers/README.md), not what is
    known to work: the conformance cases find the deviations."""

    name = ""
    features = frozenset()
    plain_user = None          # (user, password) for SASL PLAIN
    bad_password_user = None   # an existing user with a wrong password
    scram_user = None          # (user, password) for SASL SCRAM-SHA-256
    packages = ()              # the Debian packages it runs on
    port_roles = ("amqp",)     # the ports chosen at start and kept by restart
    start_timeout = 30.0
    # How many runs it takes side by side; None: as many as the runner's --jobs.
    concurrent_runs = None
    stop_timeout = 30.0

    def __init__(self, build_dir, state_dir):
        self.build_dir = os.path.abspath(build_dir)
        self.state_dir = state_dir
        self.dir = os.path.join(state_dir, self.name)
        self.log_path = os.path.join(self.dir, "broker.log")

    # --- what a broker defines --------------------------------------------------------------

    @property
    def description(self):
        """What runs, with its real version; must not fail when the broker is unavailable."""
        raise NotImplementedError

    def _missing(self):
        """Why the broker cannot run although its packages are installed, or None."""
        return None

    def _endpoints(self, ports):
        """The AMQP endpoints, by key ("amqp", "amqps", "amqps-client-cert"), on these ports."""
        raise NotImplementedError

    def _prepare(self, ports, fresh):
        """Writes configuration before the launch; fresh is False on a restart."""

    def _launch(self, ports):
        """Starts the broker's processes with _spawn."""
        raise NotImplementedError

    def _after_ready(self):
        """Records processes that are known only once the broker answers."""

    def _stop_order(self, recorded):
        """The recorded processes in the order stop() ends them: the last started first."""
        return list(reversed(recorded))

    # --- the API ---------------------------------------------------------------------------

    def available(self):
        """None when the broker can run here, else why not."""
        missing = [p for p in self.packages if package_version(p) is None]
        if missing:
            return "Debian package(s) not installed: %s (peer %s install)" % (
                " ".join(missing), self.name)
        return self._missing()

    def install(self):
        ensure_packages(self.packages)
        why = self.available()
        if why:
            raise Unavailable(why)

    @property
    def certs(self):
        return pki.certs(self.state_dir)

    @property
    def endpoints(self):
        """The endpoints of the running (or last started) broker; empty before any start."""
        recorded = self._read(ENDPOINTS, {}).get("endpoints", {})
        return {key: Endpoint(**fields) for key, fields in recorded.items()}

    @property
    def pids(self):
        """The recorded processes that are alive, by role."""
        return {p["role"]: p["pid"] for p in self._read(PIDS, [])
                if is_running(p["pid"], p["command_line"])}

    def address(self, queue):
        return queue

    def running(self):
        recorded = self._read(PIDS, [])
        return bool(recorded) and all(is_running(p["pid"], p["command_line"]) for p in recorded)

    def start(self):
        """Starts the broker on free ports unless it runs; returns once every endpoint answers."""
        if self.running():
            return
        self.stop()  # whatever is left of a broker that died half-way
        ports = dict(zip(self.port_roles, free_ports(len(self.port_roles))))
        self._bring_up(ports, fresh=True)

    def restart(self):
        """Stops and starts the broker on the ports it had (free ones if it never ran)."""
        ports = self._read(ENDPOINTS, {}).get("ports")
        self.stop()
        if ports:
            self._bring_up(ports, fresh=False)
        else:
            self.start()

    def stop(self):
        """SIGTERM to each recorded process still running its recorded command line, SIGKILL
        after stop_timeout; a pid now used by another program is left alone."""
        for p in self._stop_order(self._read(PIDS, [])):
            if terminate(p["pid"], p["command_line"], self.stop_timeout) == "killed":
                with open(self.log_path, "a") as log:
                    log.write("--- %s (pid %d) ignored SIGTERM for %.0f s: killed\n"
                              % (p["role"], p["pid"], self.stop_timeout))
        self._remove(PIDS)

    def check(self):
        """Probes every endpoint now; one line that describes them, or PeerError."""
        if not self.running():
            raise PeerError("%s is not running" % self.name)
        return "; ".join(self._probe_all())

    # --- how ---------------------------------------------------------------------------------

    def _bring_up(self, ports, fresh):
        why = self.available()
        if why:
            raise Unavailable(why)
        busy = ["%s:%d (%s)" % (HOST, port, role) for role, port in ports.items()
                if port_in_use(port)]
        if busy:
            raise PeerError("%s cannot start: %s already in use by another process"
                            % (self.name, ", ".join(busy)))
        os.makedirs(self.dir, exist_ok=True)
        with open(self.log_path, "w" if fresh else "a") as log:
            log.write("=== %s %s on %s\n" % ("start" if fresh else "restart",
                                            time.strftime("%Y-%m-%d %H:%M:%S"), ports))
        endpoints = self._endpoints(ports)
        self._write(ENDPOINTS, {"ports": ports,
                                "endpoints": {k: e._asdict() for k, e in endpoints.items()}})
        self._write(PIDS, [])
        self._prepare(ports, fresh)
        started = time.monotonic()
        try:
            self._launch(ports)
            self._wait_ready(started + self.start_timeout)
            self._after_ready()
        except BaseException:
            self.stop()
            raise

    def _spawn(self, role, argv, env=None):
        pid, command_line = spawn(argv, self.log_path, self.dir, env)
        self._record(role, pid, command_line)
        return pid

    def _record(self, role, pid, command_line):
        self._write(PIDS, self._read(PIDS, []) + [
            {"role": role, "pid": pid, "command_line": command_line}])

    def _wait_ready(self, deadline):
        while True:
            for p in self._read(PIDS, []):
                what = not_running(p["pid"], p["command_line"])
                if what:
                    raise PeerError("%s: %s (pid %d) %s during start%s"
                                    % (self.name, p["role"], p["pid"], what, self.log_tail()))
            try:
                self._probe_all()
                return
            except (OSError, PeerError) as e:
                not_yet = e
            if time.monotonic() > deadline:
                raise PeerError("%s did not answer within %.0f s (%s)%s"
                                % (self.name, self.start_timeout, not_yet, self.log_tail()))
            time.sleep(0.2)

    def _probe_all(self):
        seen = []
        for key, endpoint in self.endpoints.items():
            context = None
            if endpoint.tls:
                c = self.certs
                identity = (c.client_cert, c.client_key) if endpoint.client_cert_required else ()
                context = tls_client_context(c.ca, *identity)
            seen.append("%s %s: %s" % (key, endpoint.url(), probe_amqp(endpoint.port, context)))
        return seen

    def log_tail(self, lines=20):
        """The last start's first error lines and last lines, to append to an error message (a
        broker that fails at boot may print a long report after the one line that says why)."""
        try:
            with open(self.log_path, errors="replace") as f:
                run = f.read().rsplit("\n=== ", 1)[-1].splitlines()
        except FileNotFoundError:
            return ""
        errors = [line for line in run[:-lines] if "error" in line.lower()][:8]
        shown = errors + (["..."] if errors else []) + run[-lines:]
        return "\n--- from %s:\n%s" % (self.log_path, "\n".join(shown))

    def _path(self, name):
        return os.path.join(self.dir, name)

    def _read(self, name, default):
        try:
            with open(self._path(name)) as f:
                return json.load(f)
        except FileNotFoundError:
            return default

    def _write(self, name, value):
        os.makedirs(self.dir, exist_ok=True)
        temporary = self._path(name + ".new")
        with open(temporary, "w") as f:
            json.dump(value, f, indent=1)
        os.replace(temporary, self._path(name))

    def _remove(self, name):
        try:
            os.remove(self._path(name))
        except FileNotFoundError:
            pass
