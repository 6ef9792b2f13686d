"""The command line every Python shim shares (conformance/interop/README.md) and its output
lines. Each shim's cli.py adds what its binding needs to connect."""

import argparse
import json
import sys


def parse_args(role, description, url_help):
    """The README's options for a "sender" or a "receiver"."""
    p = argparse.ArgumentParser(description="%s interop %s" % (description, role))
    p.add_argument("--url", required=True, help=url_help)
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


def emit(obj):
    """One JSON line on stdout, flushed at once: the runner reads lines as they come."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()
