#!/usr/bin/python3
"""amqp-peer run for real over loopback TCP against itself (tests/peer/scripts), for what the
tool itself does; the conformance scripts (conformance/scripts) run against every broker in
conformance/run.py.

    peer_scripts.py BUILD_DIR CASE     (ctest runs one CASE per test)
    peer_scripts.py BUILD_DIR list     (names every case)
"""

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SELF_SCRIPTS = os.path.join(HERE, "scripts")
TIMEOUT = 60


class Failure(Exception):
    pass


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Harness:
    def __init__(self, build):
        self.peer = os.path.join(build, "tools", "amqp-peer")
        self.started = []
        self.work = tempfile.mkdtemp(prefix="amqp-peer-")

    def start(self, argv, name):
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
        raise Failure("%s did not print /%s/ within %ss" % (p.name, pattern, timeout))

    def run_peer(self, *args):
        """Runs amqp-peer to its end: (status, stdout, stderr)."""
        argv = [self.peer] + list(args)
        try:
            r = subprocess.run(argv, capture_output=True, text=True, timeout=TIMEOUT)
        except subprocess.TimeoutExpired as e:
            raise Failure("%s did not finish within %ss:\n%s%s"
                          % (" ".join(argv), TIMEOUT, e.stdout or "", e.stderr or ""))
        return r.returncode, r.stdout, r.stderr

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


def pair(h, name):
    """Runs tests/peer/scripts/NAME_server.amqp listening and NAME_client.amqp connecting;
    returns the client's (status, stdout, stderr) once the server has finished too."""
    server = h.start([h.peer, "--listen", "127.0.0.1:0", "--trace",
                      os.path.join(SELF_SCRIPTS, name + "_server.amqp")], name + "-server")
    port = int(h.wait_for_line(server, r"^listening on 127\.0\.0\.1:(\d+)$").group(1))
    result = h.run_peer("--connect", "127.0.0.1:%d" % port, "--trace",
                        os.path.join(SELF_SCRIPTS, name + "_client.amqp"))
    server.wait(TIMEOUT)
    return result, server.returncode, h.output(server)


def expect_in(text, pieces, what):
    for piece in pieces:
        if piece not in text:
            raise Failure("%s lacks %r:\n%s" % (what, piece, text))


SELF_CASES = {}


def self_case(fn):
    SELF_CASES[fn.__name__] = fn
    return fn


@self_case
def split_frames(h):
    (status, out, err), server_status, server_out = pair(h, "split_frames")
    if status != 0 or server_status != 0:
        raise Failure("client %s:\n%s%s\nserver %s:\n%s" % (status, out, err, server_status, server_out))
    expect_in(err, ['<- [8] ch 0 @open(0x10) {container-id: "listener"}'], "the client's trace")
    expect_in(server_out, ["-> [8] bytes 00 00 00", "-> [11] bytes 18 02 00 00",
                           "<- [8] ch 0 @open(0x10) {container-id: \"splitter\"}"], "the server's trace")


@self_case
def faults(h):
    (status, out, err), server_status, server_out = pair(h, "faults")
    if status != 0 or server_status != 0:
        raise Failure("client %s:\n%s%s\nserver %s:\n%s" % (status, out, err, server_status, server_out))
    expect_in(err, ["-> fault shutdown-write", '<- [8] ch 0 @open(0x10) {container-id: "after-half-close"}',
                    "-> fault reset"], "the client's trace")
    expect_in(server_out, ["<- end of stream"], "the server's trace")


@self_case
def failure_report(h):
    server = h.start([h.peer, "--listen", "127.0.0.1:0",
                      os.path.join(SELF_SCRIPTS, "report_server.amqp")], "report-server")
    port = int(h.wait_for_line(server, r"listening on 127\.0\.0\.1:(\d+)").group(1))
    path = os.path.join(SELF_SCRIPTS, "report_client.amqp")
    status, out, err = h.run_peer("--connect", "127.0.0.1:%d" % port, path)
    if status != 1:
        raise Failure("a failing script exited with %s:\n%s%s" % (status, out, err))
    expect_in(err, [
        "amqp-peer: %s:4: expect ch 0 @open {container-id: \"server\", max-frame-size: uint < 1000}\n" % path,
        "  got: [8] ch 0 @open(0x10) {container-id: \"server\", max-frame-size: uint 1024}\n",
        "  why: max-frame-size: expected uint < 1000, got uint 1024\n",
        "  last received:\n    <- [0] AMQP 1.0.0\n",
    ], "the report")


@self_case
def usage_and_syntax_errors(h):
    status, out, err = h.run_peer()
    if status != 2 or "give --connect HOST:PORT or --listen HOST:PORT" not in err:
        raise Failure("no arguments: %s %s" % (status, err))
    status, out, err = h.run_peer("--help")
    if status != 0 or "usage: amqp-peer" not in out:
        raise Failure("--help: %s %s" % (status, out))
    bad = os.path.join(h.work, "bad.amqp")
    with open(bad, "w") as f:
        f.write("send header amqp\nexpect ch 0 @open {container-id: }\n")
    status, out, err = h.run_peer("--connect", "127.0.0.1:1", bad)
    if status != 2 or err != "amqp-peer: %s:2:34: expected a value, found '}'\n" % bad:
        raise Failure("a syntax error: %s %r" % (status, err))
    status, out, err = h.run_peer("--connect", "127.0.0.1:1", "--var", "1=x", bad)
    if status != 2:
        raise Failure("a bad --var: %s %r" % (status, err))
    status, out, err = h.run_peer("--connect", "127.0.0.1:%d" % free_port(), "--timeout", "1",
                                  os.path.join(SELF_SCRIPTS, "report_client.amqp"))
    if status != 1 or "Connection refused" not in err:
        raise Failure("nobody listening: %s %r" % (status, err))


def cases():
    return ["self." + n for n in SELF_CASES]


def main():
    if len(sys.argv) < 3:
        print(__doc__)
        return 2
    build, case = sys.argv[1], sys.argv[2]
    if case == "list":
        print("\n".join(cases()))
        return 0
    h = Harness(build)
    try:
        SELF_CASES[case[5:]](h)
        print("passed")
        return 0
    except Failure as e:
        print("FAILED: %s" % e)
        for p in h.started:
            print("--- %s:\n%s" % (p.name, h.output(p)))
        return 1
    finally:
        h.stop_all()


if __name__ == "__main__":
    sys.exit(main())
