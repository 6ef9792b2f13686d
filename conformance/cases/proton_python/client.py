#!/usr/bin/python3
"""Qpid Proton Python's case client for the conformance suites.

    client.py --case SUITE.CASE --params JSON

Plays one case of conformance/lib/cases.py with Qpid Proton's Python binding (Debian's
python3-qpid-proton, run with /usr/bin/python3) and prints JSON lines, the last one the verdict
{"result": "pass" | "fail" | "n/a", "evidence": "..."}. Each suite's cases are in the module of
that name; common.py has what they share.
"""

import argparse
import json
import os
import signal
import sys
import traceback

sys.dont_write_bytecode = True  # keep the source folder clean when run from a checkout
# Proton tells why a TLS handshake failed (a host name that does not match) only in its SSL log
os.environ.setdefault("PN_LOG", "ssl:error")

import common  # noqa: E402
import connection  # noqa: E402
import delivery  # noqa: E402
import link  # noqa: E402
import reconnect  # noqa: E402
import security  # noqa: E402
import session  # noqa: E402
import transactions  # noqa: E402
import transfer  # noqa: E402

SUITES = {m.__name__: m for m in
          (connection, session, link, transfer, delivery, security, transactions, reconnect)}


def emit(line):
    sys.stdout.write(json.dumps(line) + "\n")
    sys.stdout.flush()


def verdict(result, evidence):
    emit({"result": result, "evidence": evidence})


def stuck(signum, frame):
    # the last resort when a step blocks outside the reactor's wait, which checks the deadline
    verdict("fail", "timed out waiting for a step blocked outside the client's event loop")
    os._exit(0)


def redact(evidence, params):
    """The evidence with the run's fresh queue names (a peer may quote them) made stable."""
    for key in ("address2", "address"):
        if params.get(key):
            evidence = evidence.replace(params[key], "<%s>" % key)
    return evidence


def play(case, params):
    """The verdict of one case, as (result, evidence); raises on a fault of the client."""
    run = common.Run(params)
    try:
        return "pass", redact(case(run), params)
    except common.Fail as e:
        return "fail", redact(str(e), params)
    except common.NotApplicable as e:
        return "n/a", redact(str(e), params)
    finally:
        try:
            run.close_all()
        except Exception:  # the verdict is known; a failing close changes nothing
            traceback.print_exc()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", required=True, help="suite.case, as in conformance/lib/cases.py")
    parser.add_argument("--params", required=True, help="the case's parameters, a JSON object")
    args = parser.parse_args()
    try:
        params = json.loads(args.params)
    except ValueError as e:
        verdict("fail", "--params is not JSON: %s" % e)
        return 2
    suite, _, name = args.case.partition(".")
    case = getattr(SUITES.get(suite), "CASES", {}).get(name)
    if case is None:
        verdict("fail", "no such case in this client: " + args.case)
        return 2
    signal.signal(signal.SIGALRM, stuck)
    signal.setitimer(signal.ITIMER_REAL, max(0.5, float(params.get("timeout", 30)) - 0.2))
    try:
        result, evidence = play(case, params)
    except Exception as e:
        traceback.print_exc()
        verdict("fail", "client error: %s: %s" % (type(e).__name__, e))
        return 1
    signal.setitimer(signal.ITIMER_REAL, 0)
    verdict(result, evidence)
    return 0


if __name__ == "__main__":
    sys.exit(main())
