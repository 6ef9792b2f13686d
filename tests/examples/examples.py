#!/usr/bin/python3
"""The example programs, run for real over loopback TCP: against the example broker, against
each other, and with Qpid Proton's example programs and brokers in both directions.

    examples.py BUILD_DIR CASE [--io asio|libevent] [--broker-io asio|libevent]
    examples.py list

--io is the I/O binding of our client programs, --broker-io that of our broker and of our
programs that listen in a broker's place (direct_recv, direct_send); both default to asio.
ctest runs each CASE on each binding, and some across the two.

Each case starts what it needs on free 127.0.0.1 ports, checks what the programs print and how
they exit, and stops everything it started. A case that needs a peer this machine lacks
(Proton's Python binding or example programs) exits with status 77, which ctest reports as
skipped, and says what is missing.
"""

import argparse
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

SKIP = 77
PYTHON = "/usr/bin/python3"
PROTON_PY = "/usr/share/proton/examples/python"
TIMEOUT = 60
HERE = os.path.dirname(os.path.abspath(__file__))


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def skip(why):
    print("skipped: " + why)
    sys.exit(SKIP)


def need_proton_python():
    try:
        subprocess.run([PYTHON, "-c", "import proton"], check=True, capture_output=True)
    except (OSError, subprocess.CalledProcessError):
        skip("Qpid Proton's Python binding is missing (Debian's python3-qpid-proton)")
    if not os.path.isdir(PROTON_PY):
        skip(PROTON_PY + " is missing (Debian's libqpid-proton11-dev-examples)")


class Harness:
    def __init__(self, build, io="asio", broker_io="asio"):
        self.bin = os.path.join(build, "examples")
        self.build = build
        self.io = io
        self.broker_io = broker_io
        self.started = []
        self.work = tempfile.mkdtemp(prefix="amqp-examples-")

    # --- processes ---------------------------------------------------------------------------

    def start(self, argv, name):
        """Starts a long-running program; its output goes to WORK/NAME.out."""
        out = open(os.path.join(self.work, name + ".out"), "w+")
        p = subprocess.Popen(argv, stdout=out, stderr=subprocess.STDOUT, text=True,
                             start_new_session=True)
        p.name, p.out = name, out
        self.started.append(p)
        return p

    def output(self, p):
        p.out.flush()
        with open(p.out.name) as f:
            return f.read()

    def wait_for_line(self, p, pattern, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            m = re.search(pattern, self.output(p))
            if m:
                return m
            if p.poll() is not None:
                raise Failure("%s exited with %s before printing /%s/:\n%s"
                              % (p.name, p.returncode, pattern, self.output(p)))
            time.sleep(0.05)
        raise Failure("%s did not print /%s/ within %ss:\n%s"
                      % (p.name, pattern, timeout, self.output(p)))

    def run(self, argv, expect_status=0, timeout=TIMEOUT):
        """Runs a program to its end; returns its stdout (stderr is shown on failure)."""
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired as e:
            raise Failure("%s did not finish within %ss; it printed:\n%s%s"
                          % (" ".join(argv), timeout, e.stdout or "", e.stderr or ""))
        if r.returncode != expect_status:
            raise Failure("%s exited with %s (expected %s):\n%s%s"
                          % (" ".join(argv), r.returncode, expect_status, r.stdout, r.stderr))
        return r.stdout

    def finish(self, p, timeout=TIMEOUT):
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            raise Failure("%s did not finish within %ss:\n%s" % (p.name, timeout, self.output(p)))
        return self.output(p)

    def stop_all(self):
        for p in self.started:
            if p.poll() is None:
                os.killpg(p.pid, signal.SIGTERM)
                try:
                    p.wait(10)
                except subprocess.TimeoutExpired:
                    os.killpg(p.pid, signal.SIGKILL)
                    p.wait()
        shutil.rmtree(self.work, ignore_errors=True)

    # --- peers -------------------------------------------------------------------------------

    def example(self, name, *args):
        """One of our client programs, on the clients' binding."""
        return [os.path.join(self.bin, name), "--io", self.io] + list(args)

    def listening_example(self, name, *args):
        """One of our programs that listens for the client (direct_recv, direct_send): it takes
        the broker's place, so it runs on the broker's binding."""
        return [os.path.join(self.bin, name), "--io", self.broker_io] + list(args)

    def broker_command(self, port, *args):
        return [os.path.join(self.bin, "broker"), "--io", self.broker_io,
                "-a", "127.0.0.1:%d" % port] + list(args)

    def proton(self, name, *args):
        return [PYTHON, os.path.join(PROTON_PY, name)] + list(args)

    def broker(self, *args, port=0):
        """Our example broker; returns (process, port)."""
        p = self.start(self.broker_command(port, *args), "broker")
        m = self.wait_for_line(p, r"broker listening on [^\s]+:(\d+)")
        return p, int(m.group(1))

    def proton_broker(self):
        """Qpid Proton's Python example broker on a free port."""
        need_proton_python()
        port = free_port()
        p = self.start(self.proton("broker.py", "-a", "127.0.0.1:%d" % port), "proton-broker")
        wait_for_port(port, p, self)
        return p, port


def wait_for_port(port, p, h, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        if p.poll() is not None:
            raise Failure("%s exited with %s:\n%s" % (p.name, p.returncode, h.output(p)))
        time.sleep(0.05)
    raise Failure("nothing listens on port %d after %ss" % (port, timeout))


def expect_lines(text, expected, what):
    # `text` is a program's output, or the lines of it to check.
    lines = [l for l in (text if isinstance(text, list) else text.splitlines()) if l.strip()]
    if lines != expected:
        raise Failure("%s printed:\n%s\nexpected:\n%s" % (what, "\n".join(lines), "\n".join(expected)))


def sequence_lines(n, style="amqp"):
    if style == "python":
        return ["{'sequence': %d}" % i for i in range(1, n + 1)]
    return ['{"sequence": long %d}' % i for i in range(1, n + 1)]


def make_pki(work):
    """A CA, a server certificate for 127.0.0.1 and localhost, and a client certificate
    (CN amqp-client), made with the openssl command; returns their paths."""
    def openssl(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=work)
    openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
            "-keyout", "ca-key.pem", "-out", "ca.pem")
    # Proton checks a peer named by an IP address against the DNS names only, hence
    # DNS:127.0.0.1 beside the IP entry our engine checks.
    for name, cn, ext in (("server", "localhost",
                           "subjectAltName=DNS:localhost,IP:127.0.0.1,DNS:127.0.0.1"),
                          ("client", "amqp-client", "extendedKeyUsage=clientAuth")):
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=" + cn,
                "-keyout", name + "-key.pem", "-out", name + ".csr")
        with open(os.path.join(work, name + ".ext"), "w") as f:
            f.write(ext + "\n")
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca-key.pem",
                "-CAcreateserial", "-days", "2", "-extfile", name + ".ext", "-out", name + ".pem")
    return {k: os.path.join(work, k + ".pem") for k in
            ("ca", "server", "server-key", "client", "client-key")}


CASES = {}


def case(fn):
    CASES[fn.__name__] = fn
    return fn


# --- our programs through our broker ---------------------------------------------------------

@case
def helloworld(h):
    _, port = h.broker()
    expect_lines(h.run(h.example("helloworld", "-a", "127.0.0.1:%d/examples" % port)),
                 ["Hello World!"], "helloworld")


@case
def send_recv(h):
    _, port = h.broker()
    url = "127.0.0.1:%d/examples" % port
    expect_lines(h.run(h.example("send", "-a", url, "-m", "1000")), ["all messages confirmed"], "send")
    expect_lines(h.run(h.example("recv", "-a", url, "-m", "1000")), sequence_lines(1000), "recv")


@case
def send_recv_at_most_once(h):
    _, port = h.broker()
    url = "127.0.0.1:%d/examples" % port
    # The receiver first, so that nothing sent settled can be dropped for want of a consumer.
    r = h.start(h.example("recv", "-a", url, "-m", "100", "--at-most-once"), "recv")
    time.sleep(0.5)
    expect_lines(h.run(h.example("send", "-a", url, "-m", "100", "--at-most-once")),
                 ["all messages confirmed"], "send")
    expect_lines(h.finish(r), sequence_lines(100), "recv")


@case
def client_server(h):
    _, port = h.broker()
    url = "127.0.0.1:%d/examples" % port
    s = h.start(h.example("server", "-a", url), "server")
    h.wait_for_line(s, "server connected")
    out = h.run(h.example("client", "-a", url))
    expect_lines(out, [
        "Twas brillig, and the slithy toves => TWAS BRILLIG, AND THE SLITHY TOVES",
        "Did gire and gymble in the wabe. => DID GIRE AND GYMBLE IN THE WABE.",
        "All mimsy were the borogroves, => ALL MIMSY WERE THE BOROGROVES,",
        "And the mome raths outgrabe. => AND THE MOME RATHS OUTGRABE.",
    ], "client")


@case
def selected_recv(h):
    _, port = h.broker()
    url = "127.0.0.1:%d/colours" % port
    expect_lines(h.run(h.example("colour_send", "-a", url, "-m", "10")),
                 ["all messages confirmed"], "colour_send")
    expect_lines(h.run(h.example("selected_recv", "-a", url, "-m", "5")),
                 ["green %d" % i for i in (2, 4, 6, 8, 10)], "selected_recv")


@case
def direct(h):
    port = free_port()
    url = "127.0.0.1:%d/examples" % port
    r = h.start(h.listening_example("direct_recv", "-a", url, "-m", "100"), "direct_recv")
    h.wait_for_line(r, "listening on")
    expect_lines(h.run(h.example("send", "-a", url, "-m", "100")), ["all messages confirmed"], "send")
    out = h.finish(r)
    expect_lines(out.splitlines()[1:], sequence_lines(100), "direct_recv")

    port = free_port()
    url = "127.0.0.1:%d/examples" % port
    s = h.start(h.listening_example("direct_send", "-a", url, "-m", "100"), "direct_send")
    h.wait_for_line(s, "listening on")
    expect_lines(h.run(h.example("recv", "-a", url, "-m", "100")), sequence_lines(100), "recv")
    if "all messages confirmed" not in h.finish(s):
        raise Failure("direct_send did not confirm every message:\n" + h.output(s))


@case
def reliable_send_across_restart(h):
    """The receiving peer is killed in the middle of a reliable send and started again on the
    same port: the sender reconnects, resends what was in doubt, and every message arrives
    at least once (the receivers' outputs together hold every sequence number)."""
    port = free_port()
    url = "127.0.0.1:%d/examples" % port
    total = 100000
    first = h.start(h.listening_example("direct_recv", "-a", url, "-m", "0"), "direct_recv-1")
    h.wait_for_line(first, "listening on")
    sender = h.start(h.example("send", "-a", url, "-m", str(total)), "send")
    # Kill the receiver once a part of the messages went through.
    h.wait_for_line(first, r'"sequence": long 2000\b', timeout=30)
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    time.sleep(0.3)  # the sender sees the loss and backs off
    second = h.start(h.listening_example("direct_recv", "-a", url, "-m", "0"), "direct_recv-2")
    h.wait_for_line(second, "listening on")
    out = h.finish(sender, timeout=90)
    if "all messages confirmed" not in out:
        raise Failure("send did not confirm every message:\n" + out)
    if "reconnecting" not in out:
        raise Failure("send never saw the connection drop:\n" + out)
    seen = set()
    for p in (first, second):
        for m in re.finditer(r'"sequence": long (\d+)', h.output(p)):
            seen.add(int(m.group(1)))
    missing = sorted(set(range(1, total + 1)) - seen)
    if missing:
        raise Failure("%d messages never arrived, the first %s" % (len(missing), missing[:10]))


@case
def reliable_send_across_broker_restart(h):
    """The broker, holding every message unsettled until its consumer accepts it
    (--confirm-on-consume), is killed in the middle of a reliable send and started again on the
    same port: the sender and the receiver both reconnect, the sender resends what was in
    doubt, and every message reaches the receiver (which drops duplicates by id)."""
    port = free_port()
    url = "127.0.0.1:%d/examples" % port
    total = 100000
    h.broker("--confirm-on-consume", port=port)
    receiver = h.start(h.example("recv", "-a", url, "-m", "0"), "recv")
    sender = h.start(h.example("send", "-a", url, "-m", str(total)), "send")
    h.wait_for_line(receiver, r'"sequence": long 2000\b', timeout=30)
    first = h.started[0]
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
    time.sleep(0.3)  # both clients see the loss and back off
    second = h.start(h.broker_command(port, "--confirm-on-consume"), "broker-2")
    h.wait_for_line(second, "broker listening on")
    out = h.finish(sender, timeout=90)
    if "all messages confirmed" not in out:
        raise Failure("send did not confirm every message:\n" + out)
    if "reconnecting" not in out:
        raise Failure("send never saw the connection drop:\n" + out)
    # Confirmed means consumed: everything is in the receiver's output by now.
    got = h.output(receiver)
    if "reconnecting" not in got:
        raise Failure("recv never saw the connection drop:\n" + got[-2000:])
    seen = set(int(m.group(1)) for m in re.finditer(r'"sequence": long (\d+)', got))
    missing = sorted(set(range(1, total + 1)) - seen)
    if missing:
        raise Failure("%d messages never arrived, the first %s" % (len(missing), missing[:10]))
    lines = len(re.findall(r'"sequence": long \d+', got))
    if lines != total:
        raise Failure("recv printed %d messages for %d sent: a duplicate got through"
                      % (lines, total))


def committed_sequences(tx_send_output, total):
    """The sequence numbers tx_send committed: all it sent but the ranges it rolled back."""
    rolled_back = set()
    for m in re.finditer(r"rolled back sequences (\d+)-(\d+)", tx_send_output):
        rolled_back.update(range(int(m.group(1)), int(m.group(2)) + 1))
    committed = set()
    n = 1
    while len(committed) < total:
        if n not in rolled_back:
            committed.add(n)
        n += 1
    return committed, rolled_back


def sequences_in(text):
    return [int(m.group(1)) for m in re.finditer(r'"sequence": long (\d+)', text)]


@case
def tx_send_recv(h):
    """Transactions through our broker: tx_send rolls back every third batch and commits the
    others; tx_recv rolls back every fourth batch it consumed and commits the others. Every
    committed message arrives exactly once, no rolled-back send ever arrives, the messages of a
    rolled-back consume come again, and nothing is left in the queue."""
    _, port = h.broker()
    url = "127.0.0.1:%d/examples" % port
    total = 100
    sent = h.run(h.example("tx_send", "-a", url, "-m", str(total), "-b", "10",
                           "--abort-every", "3"))
    if "all messages committed" not in sent:
        raise Failure("tx_send did not commit everything:\n" + sent)
    committed, rolled_back = committed_sequences(sent, total)
    if not rolled_back:
        raise Failure("tx_send rolled nothing back:\n" + sent)
    got = sequences_in(h.run(h.example("tx_recv", "-a", url, "-m", str(total), "-b", "10",
                                       "--abort-every", "4")))
    if len(got) != total or set(got) != committed:
        raise Failure("tx_recv printed %d messages; missing %s, unexpected %s, rolled back %s"
                      % (len(got), sorted(committed - set(got))[:10],
                         sorted(set(got) - committed)[:10], sorted(set(got) & rolled_back)[:10]))
    rest = h.start(h.example("recv", "-a", url, "-m", "1"), "recv-rest")
    time.sleep(1.0)
    if rest.poll() is not None or h.output(rest).strip():
        raise Failure("a message came again after its consume was committed:\n" + h.output(rest))


@case
def tx_send_recv_via_proton_test_broker(h):
    """Our transactional examples against the transactional test broker written on Qpid Proton's
    Python API (conformance/peers): Proton's engine as the coordinator."""
    need_proton_python()
    script = os.path.join(HERE, "..", "..", "conformance", "peers", "proton_test_broker.py")
    p = h.start([PYTHON, script, "-a", "127.0.0.1:0"], "proton-test-broker")
    port = int(h.wait_for_line(p, r"proton-test-broker listening on [^\s]+:(\d+)").group(1))
    url = "127.0.0.1:%d/examples" % port
    sent = h.run(h.example("tx_send", "-a", url, "-m", "50", "-b", "5", "--abort-every", "4"))
    if "all messages committed" not in sent:
        raise Failure("tx_send did not commit everything:\n" + sent)
    committed, _ = committed_sequences(sent, 50)
    got = sequences_in(h.run(h.example("tx_recv", "-a", url, "-m", "50", "-b", "5",
                                       "--abort-every", "3")))
    if len(got) != 50 or set(got) != committed:
        raise Failure("tx_recv printed %d messages; missing %s, unexpected %s"
                      % (len(got), sorted(committed - set(got))[:10],
                         sorted(set(got) - committed)[:10]))


# --- Qpid Proton's Python examples against our broker ----------------------------------------

@case
def proton_simple_send_recv_via_our_broker(h):
    need_proton_python()
    _, port = h.broker()
    url = "127.0.0.1:%d/examples" % port
    expect_lines(h.run(h.proton("simple_send.py", "-a", url, "-m", "100")),
                 ["all messages confirmed"], "simple_send.py")
    expect_lines(h.run(h.proton("simple_recv.py", "-a", url, "-m", "100")),
                 sequence_lines(100, "python"), "simple_recv.py")


@case
def proton_client_server_via_our_broker(h):
    need_proton_python()
    _, port = h.broker()
    url = "127.0.0.1:%d/examples" % port
    s = h.start(h.proton("server.py", "-a", url), "server.py")
    time.sleep(1.0)  # server.py prints nothing when ready
    out = h.run(h.proton("client.py", "-a", url))
    expect_lines(out, [
        "Twas brillig, and the slithy toves => TWAS BRILLIG, AND THE SLITHY TOVES",
        "Did gire and gymble in the wabe. => DID GIRE AND GYMBLE IN THE WABE.",
        "All mimsy were the borogroves, => ALL MIMSY WERE THE BOROGROVES,",
        "And the mome raths outgrabe. => AND THE MOME RATHS OUTGRABE.",
    ], "client.py")
    if s.poll() is not None:
        raise Failure("server.py ended early:\n" + h.output(s))


@case
def proton_selected_recv_via_our_broker(h):
    need_proton_python()
    _, port = h.broker()
    url = "127.0.0.1:%d/colours" % port
    expect_lines(h.run(h.proton("colour_send.py", "-a", url, "-m", "10")),
                 ["all messages confirmed"], "colour_send.py")
    out = h.run(h.proton("selected_recv.py", "-a", url, "-m", "5"))
    # colour_send.py makes its odd-numbered messages green ("green 1", "red 2", ...).
    expect_lines(out, ["green %d" % i for i in (1, 3, 5, 7, 9)], "selected_recv.py")


@case
def proton_helloworld_via_our_broker(h):
    # helloworld.py always connects to localhost:5672.
    need_proton_python()
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 5672)) == 0:
            skip("port 5672 is in use, and helloworld.py knows no other")
    h.broker(port=5672)
    expect_lines(h.run(h.proton("helloworld.py")), ["Hello World!"], "helloworld.py")


@case
def proton_tx_send_recv_via_our_broker(h):
    """Proton's transactional examples through our broker's coordinator: tx_send.py commits
    batches of sends, tx_recv.py accepts batches inside transactions and commits them; every
    message arrives exactly once, and none is left behind."""
    need_proton_python()
    _, port = h.broker()
    url = "127.0.0.1:%d/examples" % port
    expect_lines(h.run(h.proton("tx_send.py", "-a", url, "-m", "100")),
                 ["all messages committed"], "tx_send.py")
    expect_lines(h.run(h.proton("tx_recv.py", "-a", url, "-m", "100")),
                 sequence_lines(100, "python"), "tx_recv.py")
    # The accepts were committed: nothing comes again.
    rest = h.start(h.example("recv", "-a", url, "-m", "1"), "recv-rest")
    time.sleep(1.0)
    if rest.poll() is not None or h.output(rest).strip():
        raise Failure("a message committed as consumed came again:\n" + h.output(rest))


@case
def proton_server_tx_via_our_broker(h):
    """Proton's server_tx.py answers each request inside a transaction (the reply sent and the
    request accepted in it, then committed); client.py gets every answer."""
    need_proton_python()
    with socket.socket() as s:
        if s.connect_ex(("127.0.0.1", 5672)) == 0:
            skip("port 5672 is in use, and server_tx.py knows no other")
    h.broker(port=5672)
    server = h.start(h.proton("server_tx.py"), "server_tx.py")
    time.sleep(1.0)  # server_tx.py prints nothing when ready
    out = h.run(h.proton("client.py", "-a", "127.0.0.1:5672/examples"))
    expect_lines(out, [
        "Twas brillig, and the slithy toves => TWAS BRILLIG, AND THE SLITHY TOVES",
        "Did gire and gymble in the wabe. => DID GIRE AND GYMBLE IN THE WABE.",
        "All mimsy were the borogroves, => ALL MIMSY WERE THE BOROGROVES,",
        "And the mome raths outgrabe. => AND THE MOME RATHS OUTGRABE.",
    ], "client.py")
    if server.poll() is not None:
        raise Failure("server_tx.py ended early:\n" + h.output(server))


# --- our programs against Qpid Proton's brokers and programs ----------------------------------

@case
def our_programs_via_proton_python_broker(h):
    _, port = h.proton_broker()
    url = "127.0.0.1:%d/examples" % port
    expect_lines(h.run(h.example("send", "-a", url, "-m", "500")), ["all messages confirmed"], "send")
    expect_lines(h.run(h.example("recv", "-a", url, "-m", "500")), sequence_lines(500), "recv")
    s = h.start(h.example("server", "-a", url), "server")
    h.wait_for_line(s, "server connected")
    out = h.run(h.example("client", "-a", url))
    if len(out.splitlines()) != 4 or "=> TWAS BRILLIG" not in out:
        raise Failure("client printed:\n" + out)
    # Not on the server's address: the server, still consuming there, would take the message.
    hello = "127.0.0.1:%d/hello" % port
    expect_lines(h.run(h.example("helloworld", "-a", hello)), ["Hello World!"], "helloworld")


@case
def our_programs_via_proton_cpp_broker(h):
    broker = os.path.join(h.build, "tests", "proton-cpp-broker")
    if not os.path.exists(broker):
        skip("Qpid Proton's C++ example broker was not built (needs libqpid-proton-cpp12-dev "
             "and libqpid-proton11-dev-examples)")
    port = free_port()
    p = h.start([broker, "-a", "127.0.0.1:%d" % port], "proton-cpp-broker")
    wait_for_port(port, p, h)
    url = "127.0.0.1:%d/examples" % port
    expect_lines(h.run(h.example("send", "-a", url, "-m", "500")), ["all messages confirmed"], "send")
    expect_lines(h.run(h.example("recv", "-a", url, "-m", "500")), sequence_lines(500), "recv")
    s = h.start(h.example("server", "-a", url), "server")
    h.wait_for_line(s, "server connected")
    out = h.run(h.example("client", "-a", url))
    if len(out.splitlines()) != 4 or "=> TWAS BRILLIG" not in out:
        raise Failure("client printed:\n" + out)


@case
def direct_with_proton(h):
    need_proton_python()
    port = free_port()
    url = "127.0.0.1:%d/examples" % port
    r = h.start(h.listening_example("direct_recv", "-a", url, "-m", "100"), "direct_recv")
    h.wait_for_line(r, "listening on")
    expect_lines(h.run(h.proton("simple_send.py", "-a", url, "-m", "100")),
                 ["all messages confirmed"], "simple_send.py")
    expect_lines(h.finish(r).splitlines()[1:], sequence_lines(100), "direct_recv")

    port = free_port()
    url = "127.0.0.1:%d/examples" % port
    s = h.start(h.listening_example("direct_send", "-a", url, "-m", "100"), "direct_send")
    h.wait_for_line(s, "listening on")
    expect_lines(h.run(h.proton("simple_recv.py", "-a", url, "-m", "100")),
                 sequence_lines(100, "python"), "simple_recv.py")
    if "all messages confirmed" not in h.finish(s):
        raise Failure("direct_send did not confirm every message:\n" + h.output(s))


# --- TLS and SASL with Qpid Proton ------------------------------------------------------------

@case
def tls_external_with_proton_peer(h):
    """Our send and recv over TLS to a Proton peer that requires a client certificate: SASL
    EXTERNAL authenticates with it."""
    need_proton_python()
    pki = make_pki(h.work)
    port = free_port()
    peer = h.start([PYTHON, os.path.join(HERE, "proton_tls_peer.py"), "serve", str(port),
                    pki["server"], pki["server-key"], pki["ca"]], "proton-tls-peer")
    h.wait_for_line(peer, "listening")
    url = "amqps://127.0.0.1:%d/examples" % port
    tls = ["--ca", pki["ca"], "--cert", pki["client"], "--key", pki["client-key"],
           "--mechs", "EXTERNAL"]
    expect_lines(h.run(h.example("send", "-a", url, "-m", "100", *tls)),
                 ["all messages confirmed"], "send")
    expect_lines(h.run(h.example("recv", "-a", url, "-m", "100", *tls)), sequence_lines(100),
                 "recv")
    # Without a certificate the peer refuses the handshake, and the error says so.
    # (It keeps trying, as a reliable sender does; the first attempts' errors are what count.)
    p = h.start(h.example("send", "-a", url, "-m", "1", "--ca", pki["ca"]), "send-no-cert")
    h.wait_for_line(p, r"TLS.*client certificate")
    os.killpg(p.pid, signal.SIGTERM)


@case
def tls_plain_proton_client_to_our_broker(h):
    """A Proton client over TLS with SASL PLAIN against our broker checking a user file; our
    recv takes the messages with SCRAM; a wrong password is refused."""
    need_proton_python()
    pki = make_pki(h.work)
    users = os.path.join(h.work, "users")
    with open(users, "w") as f:
        f.write("alice:secret\n")
    _, port = h.broker("--cert", pki["server"], "--key", pki["server-key"], "--users", users)
    url = "amqps://127.0.0.1:%d/examples" % port
    out = h.run([PYTHON, os.path.join(HERE, "proton_tls_peer.py"), "send", url, pki["ca"],
                 "alice", "secret", "50"])
    expect_lines(out, ["all messages confirmed"], "proton_tls_peer.py send")
    expect_lines(h.run(h.example("recv", "-a", url, "-m", "50", "--ca", pki["ca"],
                                 "--user", "alice", "--password", "secret",
                                 "--mechs", "SCRAM-SHA-256")),
                 sequence_lines(50), "recv")
    r = subprocess.run([PYTHON, os.path.join(HERE, "proton_tls_peer.py"), "send", url, pki["ca"],
                        "alice", "wrong", "1"], capture_output=True, text=True, timeout=30)
    if r.returncode == 0 or "auth" not in (r.stdout + r.stderr).lower():
        raise Failure("a wrong password was not refused:\n" + r.stdout + r.stderr)


BINDINGS = ("asio", "libevent")


def main():
    if sys.argv[1:] == ["list"]:
        print("\n".join(CASES))
        return 0
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("build", metavar="BUILD_DIR")
    parser.add_argument("case", metavar="CASE")
    parser.add_argument("--io", choices=BINDINGS, default="asio")
    parser.add_argument("--broker-io", choices=BINDINGS, default="asio")
    args = parser.parse_args()
    if args.case not in CASES:
        parser.error("no case %r (`examples.py list` names them)" % args.case)
    h = Harness(args.build, args.io, args.broker_io)
    try:
        CASES[args.case](h)
    except Failure as e:
        print("FAILED: %s" % e, file=sys.stderr)
        return 1
    finally:
        h.stop_all()
    print("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
