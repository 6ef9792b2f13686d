"""The shims' command line (conformance/interop/README.md) and the uAMQP connection."""

import argparse
import collections
import json
import logging
import sys
from urllib.parse import urlsplit

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
    p = argparse.ArgumentParser(description="Azure uAMQP (python3-uamqp) interop %s" % role)
    p.add_argument("--url", required=True,
                   help="amqps://host:port (uAMQP's Python API is TLS only)")
    p.add_argument("--address", required=True)
    if role == "sender":
        p.add_argument("--values", required=True, help="values JSON file")
    else:
        p.add_argument("--count", required=True, type=int)
        p.add_argument("--timeout", required=True, type=float,
                       help="seconds for the whole run")
    p.add_argument("--ca")
    p.add_argument("--cert")
    p.add_argument("--key")
    p.add_argument("--server-name", default="localhost")
    p.add_argument("--user")
    p.add_argument("--password")
    p.add_argument("--mechs", help='space-separated SASL mechanisms, e.g. "PLAIN ANONYMOUS"')
    return p.parse_args()


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


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def error(why):
    """The README's error line, with what uamqp logged."""
    log = " | ".join(_recent.lines)
    return {"error": "%s (uamqp log: %s)" % (why, log) if log else why}
