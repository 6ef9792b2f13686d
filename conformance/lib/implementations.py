"""The AMQP 1.0 implementations under test and how to run their programs.

Each implementation may have a case client (it plays the suites of cases.py) and interop shims
(a sender and a receiver, conformance/interop/README.md). Our library runs on each of its two
bindings; Qpid Proton's Python binding plays the cases beside it, so that every case Proton
passes against a broker can be asked of ours too.
"""

import os
import shutil
from dataclasses import dataclass, field

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
PYTHON = "/usr/bin/python3"


@dataclass
class Implementation:
    name: str
    description: str
    case_client: list = None    # argv prefix, or None
    sender: list = None
    receiver: list = None
    tls_only: bool = False      # its API cannot connect without TLS
    env: dict = field(default_factory=dict)
    needs: list = field(default_factory=list)  # files that must exist (built programs)
    client: str = None          # the peers.Client that installs what it needs

    def case_client_missing(self):
        """Why the case client cannot run (its program or script is not there), else None."""
        if self.case_client:
            program = self.case_client[1] if self.case_client[0] == PYTHON else \
                self.case_client[0]
            if not os.path.exists(program):
                return program + " is missing"
        return None

    def unavailable(self, peers, state_dir):
        """None when it can run here, else why not (after installing what it needs)."""
        for path in self.needs:
            if not os.path.exists(path):
                return "%s is not built (cmake --build --preset release)" % path
        if self.client:
            c = peers.client(self.client, state_dir)
            try:
                c.install()
            except peers.Unavailable as e:
                return str(e)
            why = c.available()
            if why:
                return why
            self.env.update(c.env)
        return None


def implementations(build):
    conf = os.path.join(build, "conformance")
    ours_client = os.path.join(conf, "amqp-conformance-client")
    ours_sender = os.path.join(conf, "amqp-interop-sender")
    ours_receiver = os.path.join(conf, "amqp-interop-receiver")
    shims = os.path.join(ROOT, "conformance", "interop", "shims")
    result = []
    for io in ("asio", "libevent"):
        result.append(Implementation(
            "ours-" + io, "this library on its %s binding" % io,
            case_client=[ours_client, "--io", io], sender=[ours_sender, "--io", io],
            receiver=[ours_receiver, "--io", io],
            needs=[ours_sender, ours_receiver]))
    result.append(Implementation(
        "proton-python", "Qpid Proton's Python binding (proton-c)",
        case_client=[PYTHON, os.path.join(ROOT, "conformance", "cases", "proton_python",
                                          "client.py")],
        sender=[PYTHON, os.path.join(shims, "proton_python", "sender.py")],
        receiver=[PYTHON, os.path.join(shims, "proton_python", "receiver.py")],
        client="proton-python"))
    result.append(Implementation(
        "proton-cpp", "Qpid Proton's C++ binding (proton-c)",
        sender=[os.path.join(conf, "proton-cpp-interop-sender")],
        receiver=[os.path.join(conf, "proton-cpp-interop-receiver")],
        needs=[os.path.join(conf, "proton-cpp-interop-sender")], client="proton-cpp"))
    result.append(Implementation(
        "uamqp", "Azure uAMQP-C through python3-uamqp (always TLS)",
        sender=[PYTHON, os.path.join(shims, "uamqp", "sender.py")],
        receiver=[PYTHON, os.path.join(shims, "uamqp", "receiver.py")],
        tls_only=True, client="uamqp"))
    node = shutil.which("node") or "/usr/bin/node"
    result.append(Implementation(
        "rhea", "rhea, the JavaScript implementation (npm)",
        sender=[node, os.path.join(shims, "rhea", "sender.js")],
        receiver=[node, os.path.join(shims, "rhea", "receiver.js")], client="rhea"))
    return result
