#!/usr/bin/python3
"""The conformance run: every case, interop pair and amqp-peer script against every broker.

    ./run.sh conformance [--broker NAME]... [--peer NAME]... [--suite NAME]... [--case GLOB]...
    conformance/run.py [--build DIR] [--ci] [--jobs N] [--junit FILE] [--list] [same options]

--broker picks brokers (rabbitmq, proton-python-broker, proton-cpp-broker, proton-test-broker,
our-broker), --peer picks implementations (ours-asio, ours-libevent, ours = both, proton-python,
proton-cpp, uamqp, rhea, amqp-peer for the scripts), --suite a suite (connection, session, link,
transfer, delivery, security, transactions, reconnect, types, scripts), --case cases by name.
--ci makes the run that `./run.sh test` makes: the cases marked for it, smaller transfers, an
interop matrix of every implementation with ours-asio both ways (the full matrix crosses every
sender with every receiver), and every broker but Qpid Proton's C++ example broker, which dies
now and then under several connections at once (the full run restarts it and says so).

Each broker is installed when missing, started on free 127.0.0.1 ports, and stopped when its
runs are done. The verdicts are judged against conformance/expectations/ (see
lib/expectations.py), printed as one table per broker and written as JUnit XML (--junit,
default BUILD/conformance/results.xml). Exit status 1 when anything failed outside its
expectations, a recorded deviation no longer happens, our library fails a case that Qpid
Proton passes against the same broker, or a broker did not start.
"""

import argparse
import concurrent.futures
import fnmatch
import glob
import os
import sys
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lib"))

import cases  # noqa: E402
import expectations  # noqa: E402
import implementations  # noqa: E402
import peers  # noqa: E402
import play  # noqa: E402
import report  # noqa: E402

VALUES = os.path.join(HERE, "interop", "values")
SCRIPTS = os.path.join(HERE, "scripts")
REFERENCE = "proton-python"  # our library must pass what this one passes
CI_LEAVES_OUT = {"proton-cpp-broker"}


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--build", default=os.path.join(os.path.dirname(HERE), "build", "release"))
    p.add_argument("--broker", action="append", default=[])
    p.add_argument("--peer", action="append", default=[])
    p.add_argument("--suite", action="append", default=[])
    p.add_argument("--case", action="append", default=[])
    p.add_argument("--ci", action="store_true")
    p.add_argument("--jobs", type=int, default=3)
    p.add_argument("--junit")
    p.add_argument("--state", default=None, help="where peers keep their files")
    p.add_argument("--list", action="store_true", help="list what would run, run nothing")
    return p.parse_args()


class Plan:
    """What this run plays, from the options."""

    def __init__(self, args):
        self.args = args
        self.full = not args.ci
        wanted = set(args.peer)
        if "ours" in wanted:
            wanted |= {"ours-asio", "ours-libevent"}
        self.impls = [i for i in implementations.implementations(args.build)
                      if not wanted or i.name in wanted]
        self.scripts_wanted = not wanted or "amqp-peer" in wanted
        self.brokers = args.broker or [b for b in peers.brokers()
                                       if self.full or b not in CI_LEAVES_OUT]

    def suite_wanted(self, suite):
        return not self.args.suite or suite in self.args.suite

    def case_wanted(self, name):
        return not self.args.case or any(fnmatch.fnmatchcase(name, g) for g in self.args.case)

    def cases(self):
        return [c for c in cases.CASES if self.suite_wanted(c.suite) and self.case_wanted(c.name)
                and (self.full or c.ci)]

    def interop_pairs(self, usable):
        shims = [i for i in usable if i.sender]
        if self.full:
            return [(s, r) for s in shims for r in shims]
        anchor = next((i for i in shims if i.name == "ours-asio"), None)
        pairs = [(i, i) for i in shims]
        if anchor:
            pairs += [(anchor, i) for i in shims if i is not anchor]
            pairs += [(i, anchor) for i in shims if i is not anchor]
        return pairs

    def values(self):
        files = [("types.scalars", "scalars.json"), ("types.composites", "composites.json"),
                 ("types.large", "large-full.json" if self.full else "large.json")]
        return [(n, os.path.join(VALUES, f)) for n, f in files if self.case_wanted(n)]

    def scripts(self):
        if not self.scripts_wanted or not self.suite_wanted("scripts"):
            return []
        paths = sorted(glob.glob(os.path.join(SCRIPTS, "*.amqp")))
        return [p for p in paths if self.case_wanted(
            "script." + os.path.splitext(os.path.basename(p))[0])]


def runs_for_broker(plan, broker, certs, usable):
    """The broker's runs in three lists: those that may run side by side (cases and interop
    pairs), those that must run alone (they restart the broker), and the scripts, which run
    one by one so that a broker dying under one is seen at that one."""
    shared, alone, scripts = [], [], []
    for impl in usable:
        if not impl.case_client:
            continue
        for case in plan.cases():
            run = lambda i=impl, c=case: play.play_case(i, c, broker, certs, plan.full)
            (alone if case.alone else shared).append(run)
    if plan.suite_wanted("types"):
        for name, path in plan.values():
            for sender, receiver in plan.interop_pairs(usable):
                shared.append(lambda s=sender, r=receiver, n=name, v=path:
                              play.play_interop("interop", n, s, r, broker, certs, v))
    peer_program = os.path.join(plan.args.build, "tools", "amqp-peer")
    if os.path.exists(peer_program):
        for script in plan.scripts():
            scripts.append(lambda s=script: play.play_script(peer_program, s, broker))
    return shared, alone, scripts


class RestartGuard:
    """Runs with a broker that may die under them (Qpid Proton's C++ example broker dies at the
    connection after a multi-frame transfer or an oversize message, and now and then with
    several connections at once): which run took it down cannot always be told, so it is
    started again, each run that failed meanwhile is played again once, and the report says
    how often it happened."""

    def __init__(self, broker, skipped):
        self.broker, self.skipped = broker, skipped
        self.lock = threading.Lock()
        self.epoch = 0

    def run(self, play_one):
        epoch = self.epoch
        result = play_one()
        if result.status == "pass" or (epoch == self.epoch and self.broker.running()):
            return result
        with self.lock:
            if not self.broker.running():
                self.broker.start()
                self.epoch += 1
                self.skipped.append("%s died during its runs and was started "
                                    "again (log %s)" % (self.broker.name, self.broker.log_path))
        again = play_one()
        again.notes.append("%s %s [%s]: played again, the broker had died meanwhile"
                           % (again.broker, again.name, again.column))
        return again


def run_broker(plan, name, certs, usable, book, problems, skipped):
    broker = peers.broker(name, plan.args.build, plan.args.state)
    try:
        broker.install()
        started = time.monotonic()
        broker.start()
        print("%s started in %.1fs: %s" % (name, time.monotonic() - started, broker.check()),
              flush=True)
    except peers.Unavailable as e:
        skipped.append("%s cannot run here: %s" % (name, e))
        return broker, []
    except Exception as e:  # a broker that does not start is the run's failure, not a crash
        problems.append("%s did not start: %s" % (name, e))
        broker.stop()
        return broker, []
    results = []
    try:
        shared, alone, scripts = runs_for_broker(plan, broker, certs, usable)
        guard = RestartGuard(broker, skipped)
        jobs = min(plan.args.jobs, broker.concurrent_runs or plan.args.jobs)
        with concurrent.futures.ThreadPoolExecutor(jobs) as pool:
            for result in pool.map(guard.run, shared):
                results.append(progress(result, book))
        for run in alone + scripts:
            result = run()
            if not broker.running():
                # Whatever this run sent took the broker down: that is its result.
                result.status = "fail"
                result.evidence = ["; ".join(result.evidence + ["the broker exited"])]
                broker.start()
            results.append(progress(result, book))
    finally:
        broker.stop()
    return broker, results


def progress(result, book):
    """Judges a result against the expectations as it comes, and prints it if it fails."""
    if result.status == "fail":
        used = book.judge(result.name, result.broker, result.clients, result.evidence)
        if used is not None:
            result.status = "deviation"
            result.evidence = ["%s (%s)" % ("; ".join(result.evidence), used[0].where())]
        else:
            print("  FAIL %s %s [%s]: %s" % (result.broker, result.name, result.column,
                                             "; ".join(result.evidence)[:300]), flush=True)
    elif result.status == "pass":
        book.ran(result.name, result.broker, result.clients)
    return result


def behind_reference(results):
    """Cases that Qpid Proton passes against a broker and our library does not."""
    passed = {(r.name, r.broker) for r in results
              if r.kind == "case" and r.clients == (REFERENCE,) and r.status == "pass"}
    behind = []
    for r in results:
        if r.kind == "case" and r.clients[0].startswith("ours-") and \
                (r.name, r.broker) in passed and r.status != "pass":
            behind.append("%s %s [%s]: Qpid Proton passes, ours is %s: %s"
                          % (r.broker, r.name, r.column, r.status, "; ".join(r.evidence)))
    return behind


def main():
    args = parse_args()
    plan = Plan(args)
    problems, skipped = [], []  # problems fail the run; what cannot run here is only reported
    state = args.state
    usable = []
    for impl in plan.impls:
        why = impl.unavailable(peers, state)
        if why:
            skipped.append("%s cannot run here: %s" % (impl.name, why))
        else:
            usable.append(impl)
            missing = impl.case_client_missing()
            if missing:
                skipped.append("%s plays no cases: %s" % (impl.name, missing))
                impl.case_client = None
    if args.list:
        for name in plan.brokers:
            print(name)
        for impl in usable:
            print("  " + impl.name)
        for why in skipped:
            print("  not run: " + why)
        for case in plan.cases():
            print("    " + case.name)
        return 0
    certs = peers.certs(state)
    results, brokers = [], []
    book = expectations.Expectations(os.path.join(HERE, "expectations"))
    for name in plan.brokers:
        broker, mine = run_broker(plan, name, certs, usable, book, problems, skipped)
        brokers.append((name, broker.description))
        results += mine
    problems += behind_reference(results)
    problems += ["stale expectation %s: no longer seen (%s)" % (e.where(), e.evidence)
                 for e in book.stale()]
    print(report.table(results, brokers, problems, skipped))
    junit = args.junit or os.path.join(args.build, "conformance", "results.xml")
    os.makedirs(os.path.dirname(junit), exist_ok=True)
    report.junit(results, problems, junit)
    print("JUnit XML: " + junit)
    failed = any(r.status == "fail" for r in results) or problems
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
