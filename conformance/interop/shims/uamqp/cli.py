"""The shims' command line (conformance/interop/README.md) and the uAMQP connection."""

import collections
import logging
import os
import sys
from urllib.parse import urlsplit

# The command line shared with the other Python shims lives in ../common.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import shim_cli  # noqa: E402  (found through the path above)

import uamqp
from uamqp import authentication

# uAMQP's default (1 MiB) would refuse the large values; the broker still applies its own limit.
MAX_MESSAGE_SIZE = 1 << 30
# uamqp.Session's default windows are one frame, which costs a round trip per transfer.
SESSION_WINDOW = 1 << 16


class _RecentLog(logging.Handler):
    """Keeps uamqp's last log lines (uAMQP-C reports decode and protocol errors only there)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.lines = collections.deque(maxlen=8)

    def emit(self, record):
        if record.name == "uamqp.c_uamqp" or record.levelno >= logging.WARNING:
            # uAMQP-C's lines end with its source location: "b'text' (b'file':b'function':line)"
            self.lines.append(record.getMessage().split(" (b'")[0])


_recent = _RecentLog()
_uamqp_log = logging.getLogger("uamqp")
_uamqp_log.setLevel(logging.INFO)
_uamqp_log.addHandler(_recent)
_uamqp_log.propagate = False


def parse_args(role):
    return shim_cli.parse_args(role, "Azure uAMQP (python3-uamqp)",
                               "amqps://host:port (uAMQP's Python API is TLS only)")


def connect(args):
    """An opening uamqp.Connection for the command line; raises ValueError for what uAMQP's
    Python API cannot do."""
    url = urlsplit(args.url)
    if url.scheme != "amqps":
        raise ValueError("uAMQP's Python API always runs TLS (its only transports are TLS and "
                         "websocket over TLS): %s needs amqps://" % args.url)
    if args.cert or args.key:
        # XIO.set_option passes the Python object's address, not the bytes, to C.
        raise ValueError("uAMQP's Python API cannot present a client certificate")
    mech = "PLAIN" if args.user else "ANONYMOUS"
    if args.mechs and mech not in args.mechs.split():
        raise ValueError("uAMQP's Python API has SASL ANONYMOUS and PLAIN only (with --user: "
                         "PLAIN), not %s" % args.mechs)
    # uAMQP's TLS layer connects to the name it verifies: the connection goes to --server-name
    # at the URL's port, not to the URL's host.
    port = url.port or 5671
    if args.user:
        auth = authentication.SASLPlain(args.server_name, args.user, args.password or "",
                                        port=port, verify=args.ca)
    else:
        auth = authentication.SASLAnonymous(args.server_name, port=port, verify=args.ca)
    return uamqp.Connection(args.server_name, auth)


emit = shim_cli.emit


def error(why):
    """The README's error line, with what uamqp logged."""
    log = " | ".join(_recent.lines)
    return {"error": "%s (uamqp log: %s)" % (why, log) if log else why}
