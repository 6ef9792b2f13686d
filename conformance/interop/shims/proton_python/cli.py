"""The shims' command line (conformance/interop/README.md) and Proton connection options."""

import argparse
import json
import sys
from urllib.parse import urlsplit

from proton import SSLDomain


def parse_args(role):
    p = argparse.ArgumentParser(description="Qpid Proton Python interop %s" % role)
    p.add_argument("--url", required=True, help="amqp://host:port or amqps://host:port")
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


def connect_options(args):
    """Keyword arguments for Container.connect."""
    url = urlsplit(args.url)
    if url.scheme not in ("amqp", "amqps") or not url.hostname:
        raise ValueError("bad --url %r" % args.url)
    options = {"url": "%s://%s:%d" % (url.scheme, url.hostname, url.port or
                                      (5671 if url.scheme == "amqps" else 5672)),
               "reconnect": False}
    # Left to itself Proton picks EXTERNAL whenever a TLS peer offers it, which needs a
    # client certificate; the README's defaults are ANONYMOUS, or PLAIN with --user.
    options["allowed_mechs"] = args.mechs or ("PLAIN" if args.user else "ANONYMOUS")
    if args.user:
        options["user"] = args.user
        options["password"] = args.password or ""
    if url.scheme == "amqps":
        domain = SSLDomain(SSLDomain.MODE_CLIENT)
        if args.ca:
            domain.set_trusted_ca_db(args.ca)
        # Proton matches the peer name against DNS names only, so the name to verify goes
        # in SNI while the socket still connects to the URL's host.
        domain.set_peer_authentication(SSLDomain.VERIFY_PEER_NAME)
        if args.cert:
            domain.set_credentials(args.cert, args.key, None)
        options["ssl_domain"] = domain
        options["sni"] = args.server_name
    return options


def emit(obj):
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def fail(why):
    emit({"error": why})
    sys.exit(1)
