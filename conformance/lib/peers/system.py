"""The machine under the peers: Debian packages, processes known by pid, loopback ports.

Everything here acts only on what a caller names: a package, a pid together with the command
line it had when it was started, a port on 127.0.0.1. Nothing is ever found or stopped by name,
but for one exception: an epmd that appeared while ensure_packages installed a package, which
that install started.
"""

import errno
import os
import signal
import socket
import ssl
import subprocess
import time

HOST = "127.0.0.1"
SASL_HEADER = b"AMQP\x03\x01\x00\x00"
POLICY_RC_D = "/usr/sbin/policy-rc.d"


class Unavailable(Exception):
    """The peer cannot run on this machine; the message says what is missing and how to get it."""


class PeerError(Exception):
    """A peer did not start, stop or answer as it should."""


# --- Debian packages ---------------------------------------------------------------------------

def package_version(package):
    """The installed version of a Debian package ("3.10.8-1.1+deb12u1"), or None."""
    try:
        out = subprocess.run(["dpkg-query", "-W", "-f=${Status}\t${Version}", package],
                             capture_output=True, text=True, check=False).stdout
    except FileNotFoundError:
        return None
    status, _, version = out.partition("\t")
    return version if status == "install ok installed" else None


def upstream_version(package):
    """The upstream part of a package's version ("3.10.8"), or None when not installed."""
    version = package_version(package)
    if version is None:
        return None
    return version.split(":")[-1].rsplit("-", 1)[0]


def ensure_packages(packages):
    """Installs the packages that are missing with apt-get, or raises Unavailable.

    While apt-get runs, a policy-rc.d that answers 101 keeps maintainer scripts from starting
    system services (rabbitmq-server would otherwise start a broker on every interface); the
    file is removed again whatever happens, unless it was there before."""
    missing = [p for p in packages if package_version(p) is None]
    if not missing:
        return
    if os.geteuid() != 0:
        raise Unavailable("%s not installed, and installing needs root" % " ".join(missing))
    made_policy = False
    epmd_before = _pids_named("epmd")  # an epmd that appears meanwhile is the install's
    try:
        if not os.path.exists(POLICY_RC_D):
            with open(POLICY_RC_D, "w") as f:
                f.write("#!/bin/sh\n# no service starts during this install\nexit 101\n")
            os.chmod(POLICY_RC_D, 0o755)
            made_policy = True
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        install = ["apt-get", "install", "-y", "--no-install-recommends"] + missing
        result = subprocess.run(install, env=env, capture_output=True, text=True)
        if result.returncode != 0:
            # The package lists may be missing or stale (a fresh container): refresh once.
            subprocess.run(["apt-get", "update"], env=env, capture_output=True)
            result = subprocess.run(install, env=env, capture_output=True, text=True)
    finally:
        if made_policy:
            os.remove(POLICY_RC_D)
        for pid in _pids_named("epmd") - epmd_before:
            try:
                os.kill(pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        raise Unavailable("apt-get install %s failed: %s"
                          % (" ".join(missing), lines[-1] if lines else "no output"))


def _pids_named(name):
    """The pids of the processes whose command name is `name`."""
    pids = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/comm" % entry) as f:
                    if f.read().strip() == name:
                        pids.add(int(entry))
            except OSError:
                pass  # ended while listing
    return pids


# --- processes -----------------------------------------------------------------------------------

# The processes this Python process started and has not seen end, by pid. Popen reaps them; an
# entry goes as soon as its process is seen ended, so a reused pid never finds a stale one.
_children = {}


def spawn(argv, log_path, cwd, env=None):
    """Starts argv in its own session (a terminal's ^C does not reach it), output appended to
    log_path, and returns (pid, its command line as /proc shows it: a script's shows its
    interpreter first)."""
    with open(log_path, "ab") as log:
        child = subprocess.Popen(argv, cwd=cwd, env=env, stdin=subprocess.DEVNULL, stdout=log,
                                 stderr=subprocess.STDOUT, start_new_session=True)
    _children[child.pid] = child
    # Just after exec the kernel may show an empty command line for a moment.
    deadline = time.monotonic() + 5
    while True:
        shown = command_line(child.pid)
        if shown or shown is None or time.monotonic() > deadline:
            return child.pid, shown or list(argv)
        time.sleep(0.005)


def _ended(pid):
    """How a process started by spawn() ended ("status N", "signal N"); None when it was not
    started here or is still running."""
    child = _children.get(pid)
    if child is None or child.poll() is None:
        return None
    del _children[pid]
    code = child.returncode
    return "signal %d" % -code if code < 0 else "status %d" % code


def command_line(pid):
    """The command line of a live process as a list, or None when it is gone or a zombie. The
    list is empty for a moment just after exec and while a process exits."""
    if _ended(pid):
        return None
    try:
        with open("/proc/%d/stat" % pid) as f:
            # The state follows the parenthesised name, which may itself hold ") ".
            if f.read().rsplit(")", 1)[1].split()[0] == "Z":
                _ended(pid)  # reaps it if it is ours; another parent reaps its own
                return None
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            raw = f.read()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return None
    return [a.decode(errors="replace") for a in raw.split(b"\0")[:-1]]


def not_running(pid, expected_command_line):
    """None when pid is alive and still runs the command line recorded when it was started, else
    what became of it (a pid may be reused by an unrelated program once the recorded one has
    gone)."""
    how = _ended(pid)
    if how:
        return "exited with " + how
    shown = command_line(pid)
    if not shown:
        return "exited"
    if shown != expected_command_line:
        return "gone (the pid now runs %s)" % " ".join(shown)[:100]
    return None


def is_running(pid, expected_command_line):
    return not_running(pid, expected_command_line) is None


def terminate(pid, expected_command_line, timeout):
    """SIGTERM, then SIGKILL after timeout seconds, to pid if it still runs the expected command
    line. Returns what happened: "not running", "stopped" or "killed"."""
    if not is_running(pid, expected_command_line):
        return "not running"
    try:
        os.kill(pid, signal.SIGTERM)
        if _wait_gone(pid, timeout):
            return "stopped"
        if is_running(pid, expected_command_line):
            os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:  # it ended on its own in the meantime
        return "stopped"
    if not _wait_gone(pid, 5):
        raise PeerError("pid %d survived SIGKILL" % pid)
    return "killed"


def _wait_gone(pid, timeout):
    deadline = time.monotonic() + timeout
    while command_line(pid) is not None:
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- loopback ports ------------------------------------------------------------------------------

def free_ports(count):
    """count distinct ports on 127.0.0.1 that nothing listens on now (the kernel's choice)."""
    sockets = []
    try:
        for _ in range(count):  # all bound at once, so the kernel cannot hand one out twice
            s = socket.socket()
            s.bind((HOST, 0))
            sockets.append(s)
        return [s.getsockname()[1] for s in sockets]
    finally:
        for s in sockets:
            s.close()


def port_in_use(port):
    """Whether a server could not bind 127.0.0.1:port now. SO_REUSEADDR as servers set it, so
    connections of a stopped broker still in TIME_WAIT do not count."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((HOST, port))
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                return True
            raise
    return False


def tls_client_context(ca, cert=None, key=None):
    """Verifies the server against ca and the name "localhost" (see probe_amqp)."""
    context = ssl.create_default_context(cafile=ca)
    if cert:
        context.load_cert_chain(cert, key)
    return context


def probe_amqp(port, tls_context=None, timeout=3.0):
    """Opens a connection (TLS first when tls_context is given), sends the AMQP 1.0 SASL header and
    returns what answered: "AMQP 3.1.0.0", prefixed with the TLS version on a TLS port. Raises
    OSError (ssl.SSLError included) or PeerError when the port does not answer as AMQP 1.0.

    The server certificates name localhost as DNS name and 127.0.0.1 as IP; the name is checked
    because that is what every client of the suite verifies."""
    with socket.create_connection((HOST, port), timeout) as raw:
        sock = tls_context.wrap_socket(raw, server_hostname="localhost") if tls_context else raw
        with sock:
            layers = [sock.version()] if tls_context else []
            sock.sendall(SASL_HEADER)
            answer = b""
            while len(answer) < 8:
                chunk = sock.recv(8 - len(answer))
                if not chunk:
                    break
                answer += chunk
    if len(answer) != 8 or answer[:4] != b"AMQP" or answer[5:] != b"\x01\x00\x00":
        raise PeerError("127.0.0.1:%d answered %r to the AMQP 1.0 SASL header" % (port, answer))
    return ", ".join(layers + ["AMQP %d.%d.%d.%d" % tuple(answer[4:])])
