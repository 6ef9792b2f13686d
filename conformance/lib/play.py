"""Plays one conformance run: a case client on one case, an interop sender and receiver pair, or
an amqp-peer script, against a started broker; each gives a Result."""

import json
import os
import queue
import re
import signal
import subprocess
import threading
import time
import uuid
from dataclasses import dataclass, field

import typed_values
from cases import CLIENT_CERT, PLAIN, TLS

GRACE = 15  # seconds a program gets beyond its own timeout before it is killed


@dataclass
class Result:
    kind: str            # case | types | interop | script
    name: str            # the case name as the expectation files know it
    broker: str
    clients: tuple       # the implementations involved
    status: str          # pass | fail | deviation | n/a
    evidence: list = field(default_factory=list)  # lines; for deviation, what matched
    seconds: float = 0.0
    log: str = ""        # what the programs printed, kept for failures
    notes: list = field(default_factory=list)
    behind_proton: bool = False

    @property
    def column(self):
        return "->".join(self.clients)


class NotApplicable(Exception):
    """The case cannot be tried against this broker (no such endpoint, user or mechanism)."""


def fresh_address(broker, case_name):
    tag = re.sub(r"[^a-z0-9]+", "-", case_name.lower())
    return broker.address("conf-%s-%s" % (tag, uuid.uuid4().hex[:8]))


def connection_params(broker, certs, endpoint, auth):
    """The connection part of a case's parameters (see cases.py), or NotApplicable."""
    ep = broker.endpoints.get(endpoint)
    if ep is None and endpoint == CLIENT_CERT:
        ep = broker.endpoints.get(TLS)
    if ep is None:
        raise NotApplicable("the broker has no %s endpoint" % endpoint)
    p = {"url": ep.url(), "ca": certs.ca if ep.tls else "", "server_name": "localhost",
         "cert": "", "key": "", "user": "", "password": "", "mechs": "ANONYMOUS",
         "sasl": True}
    if auth == "plain" or auth == "bad-password":
        user = broker.plain_user if auth == "plain" else broker.bad_password_user
        if not user:
            raise NotApplicable("the broker has no PLAIN user")
        p.update(user=user[0], password=user[1], mechs="PLAIN")
    elif auth == "scram":
        if not broker.scram_user:
            raise NotApplicable("the broker has no SCRAM user")
        p.update(user=broker.scram_user[0], password=broker.scram_user[1],
                 mechs="SCRAM-SHA-256")
    elif auth == "external":
        p.update(cert=certs.client_cert, key=certs.client_key, mechs="EXTERNAL")
    elif auth == "none":
        p.update(sasl=False, mechs="")
    return p


def case_params(case, broker, certs, full):
    missing = sorted(case.needs - broker.features)
    if missing:
        raise NotApplicable("the broker does not offer " + ", ".join(missing))
    p = connection_params(broker, certs, case.endpoint, case.auth)
    if case.name == "security.tls_wrong_ca":
        p["ca"] = certs.other_ca
    elif case.name == "security.tls_wrong_name":
        p["server_name"] = "wrong.invalid"
    p.update(address=fresh_address(broker, case.name),
             address2=fresh_address(broker, case.name + "-2"), timeout=case.timeout)
    p.update(case.full_params if full and case.full_params else case.params)
    return p


def _pump(stream, lines):
    for line in stream:
        lines.put(line)
    lines.put(None)


def _run_lines(argv, env, timeout, on_line=None):
    """Runs a program to its end; returns (status, stdout lines, stderr text, timed_out).
    on_line sees each line of standard output as it comes (a reader thread feeds it, since a
    line may wait in a pipe buffer that select() no longer reports)."""
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=dict(os.environ, **env), start_new_session=True)
    incoming = queue.Queue()
    stderr = []
    threading.Thread(target=_pump, args=(proc.stdout, incoming), daemon=True).start()
    err_reader = threading.Thread(target=lambda: stderr.append(proc.stderr.read()), daemon=True)
    err_reader.start()
    deadline = time.monotonic() + timeout
    lines, timed_out = [], False
    while True:
        try:
            line = incoming.get(timeout=max(0.0, deadline - time.monotonic()))
        except queue.Empty:
            timed_out = True
            os.killpg(proc.pid, signal.SIGKILL)
            break
        if line is None:
            break
        lines.append(line.rstrip("\n"))
        if on_line:
            on_line(lines[-1])
    try:
        proc.wait(timeout=GRACE)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    err_reader.join(GRACE)
    return proc.returncode, lines, "".join(stderr), timed_out


def _tail(text, n=40):
    return "\n".join(text.splitlines()[-n:])


def play_case(impl, case, broker, certs, full):
    start = time.monotonic()
    result = Result("case", case.name, broker.name, (impl.name,), "fail")
    try:
        params = case_params(case, broker, certs, full)
    except NotApplicable as e:
        result.status, result.evidence = "n/a", [str(e)]
        return result
    restarted = []

    def on_line(line):
        # reconnect.broker_restart: the broker goes down in the middle of the send.
        if "restart_after" not in params or restarted:
            return
        try:
            progress = json.loads(line)
        except ValueError:
            return
        if progress.get("progress") == "sent" and progress.get("count", 0) >= \
                params["restart_after"]:
            restarted.append(True)
            broker.restart()

    argv = impl.case_client + ["--case", case.name, "--params", json.dumps(params)]
    status, lines, err, timed_out = _run_lines(argv, impl.env, case.timeout + GRACE, on_line)
    result.seconds = time.monotonic() - start
    result.log = "\n".join(lines[-40:]) + ("\n" + _tail(err) if err else "")
    verdict = None
    for line in reversed(lines):
        try:
            verdict = json.loads(line)
        except ValueError:
            continue
        if "result" in verdict:
            break
        verdict = None
    if timed_out:
        result.evidence = ["the client did not finish within %ss" % (case.timeout + GRACE)]
    elif verdict is None or status != 0:
        result.evidence = ["the client exited with %s and no verdict: %s"
                           % (status, (_tail(err, 3) or "no output").replace("\n", " | "))]
    else:
        result.status = {"pass": "pass", "n/a": "n/a"}.get(verdict["result"], "fail")
        result.evidence = [verdict.get("evidence", "")] if verdict.get("evidence") else []
        if case.name.startswith("reconnect.") and not restarted and result.status == "pass":
            result.status = "fail"
            result.evidence = ["the client never reported %s sent messages, so the broker "
                               "was not restarted" % params["restart_after"]]
    return result


def shim_options(broker, certs, impl):
    ep = broker.endpoints.get(TLS) if impl.tls_only else broker.endpoints.get(PLAIN)
    if ep is None:
        raise NotApplicable("%s needs TLS and the broker has none" % impl.name)
    opts = ["--url", ep.url(), "--mechs", "ANONYMOUS"]
    if ep.tls:
        opts += ["--ca", certs.ca, "--server-name", "localhost"]
    return opts


def play_interop(kind, name, sender, receiver, broker, certs, values_path, timeout=120):
    """Sends the values of values_path with sender's shim and reads them back with receiver's."""
    start = time.monotonic()
    result = Result(kind, name, broker.name, (sender.name, receiver.name), "fail")
    try:
        send_opts = shim_options(broker, certs, sender)
        receive_opts = shim_options(broker, certs, receiver)
    except NotApplicable as e:
        result.status, result.evidence = "n/a", [str(e)]
        return result
    address = fresh_address(broker, "interop")
    status, lines, err, timed_out = _run_lines(
        sender.sender + send_opts + ["--address", address, "--values", values_path],
        sender.env, timeout)
    log = ["sender: " + line for line in lines] + ([_tail(err)] if err else [])
    report = None
    for line in lines:
        try:
            report = json.loads(line)
        except ValueError:
            pass
    if timed_out or status != 0 or not report or "sent" not in report:
        why = (report or {}).get("error") or _tail(err, 3).replace("\n", " | ") or \
            "no report"
        result.evidence = ["sender %s failed: %s" % (sender.name, why)]
        result.log, result.seconds = "\n".join(log), time.monotonic() - start
        return result
    status, lines, err, timed_out = _run_lines(
        receiver.receiver + receive_opts + ["--address", address, "--count",
                                            str(report["sent"]), "--timeout", str(timeout)],
        receiver.env, timeout + GRACE)
    log += ["receiver: " + line[:300] for line in lines] + ([_tail(err)] if err else [])
    result.log, result.seconds = "\n".join(log[-60:]), time.monotonic() - start
    received, error = [], None
    for line in lines:
        try:
            item = json.loads(line)
        except ValueError:
            continue
        if "error" in item:
            error = item["error"]
        else:
            received.append(item)
    values = typed_values.load_values(values_path)
    mismatches = typed_values.compare(values, report, received)
    if error or status != 0:
        mismatches.append("receiver %s failed: %s" % (
            receiver.name, error or _tail(err, 3).replace("\n", " | ") or "exit %s" % status))
    result.notes = ["%s cannot send %s: %s" % (sender.name, u.get("type"), u.get("why"))
                    for u in report.get("unsupported", [])]
    result.status = "fail" if mismatches else "pass"
    result.evidence = mismatches
    return result


STEP_FAILED = re.compile(r"^amqp-peer: (\S+?):(\d+): (.*)$")


def play_script(peer_program, script, broker, timeout=60):
    start = time.monotonic()
    name = "script." + os.path.splitext(os.path.basename(script))[0]
    result = Result("script", name, broker.name, ("amqp-peer",), "fail")
    ep = broker.endpoints[PLAIN]
    argv = [peer_program, "--connect", "%s:%d" % (ep.host, ep.port), "--var",
            "ADDRESS=" + fresh_address(broker, name), "--trace", script]
    status, lines, err, timed_out = _run_lines(argv, {}, timeout)
    result.seconds, result.log = time.monotonic() - start, _tail(err, 60)
    if status == 0:
        result.status = "pass"
        return result
    # The report: "amqp-peer: FILE:LINE: STEP", then "  why: ..." or "  got nothing within ...".
    where, why = None, None
    for line in err.splitlines():
        m = STEP_FAILED.match(line)
        if m:
            where = "%s:%s: %s" % (os.path.basename(m.group(1)), m.group(2), m.group(3)[:100])
        elif where and (line.startswith("  why: ") or line.startswith("  got nothing")):
            why = line.strip()
            break
    if timed_out:
        result.evidence = ["amqp-peer did not finish within %ss" % timeout]
    elif where:
        result.evidence = ["%s: %s" % (where, why) if why else where]
    else:
        result.evidence = ["amqp-peer exited with %s: %s" % (status,
                                                             _tail(err, 3).replace("\n", " | "))]
    return result
