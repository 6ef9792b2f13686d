"""The shims' command line (conformance/interop/README.md) and Proton connection options."""

import os
import sys
from urllib.parse import urlsplit

# The command line shared with the other Python shims lives in ../common.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "common"))
import shim_cli  # noqa: E402  (found through the path above)

from proton import SSLDomain


def parse_args(role):
    return shim_cli.parse_args(role, "Qpid Proton Python",
                               "amqp://host:port or amqps://host:port")


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


emit = shim_cli.emit


def fail(why):
    emit({"error": why})
    sys.exit(1)
