"""The run's summary table on standard output and its JUnit XML."""

import xml.etree.ElementTree as ET

MARK = {"pass": "pass", "deviation": "dev", "fail": "FAIL", "n/a": "n/a"}


def _grid(rows, columns, cell):
    width = max([len(r) for r in rows] + [4])
    widths = [max(len(c), 4) for c in columns]
    out = ["  " + " " * width + "  " + "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    for r in rows:
        out.append("  " + r.ljust(width) + "  " +
                   "  ".join(cell(r, c).ljust(w) for c, w in zip(columns, widths)))
    return out


def table(results, brokers, problems, skipped):
    """The text report: one grid per broker (cases by implementation, the interop matrix,
    the scripts), then the deviations, failures and problems of the run, then the totals."""
    out = []
    for broker, description in brokers:
        mine = [r for r in results if r.broker == broker]
        out.append("")
        out.append("== %s: %s" % (broker, description))
        if not mine:
            continue
        by_key = {(r.name, r.column): r for r in mine}
        cases = [r for r in mine if r.kind == "case"]
        if cases:
            names = list(dict.fromkeys(r.name for r in cases))
            clients = list(dict.fromkeys(r.column for r in cases))
            out += _grid(names, clients, lambda n, c: MARK[by_key[n, c].status]
                         if (n, c) in by_key else "-")
        interop = [r for r in mine if r.kind == "interop"]
        for name in dict.fromkeys(r.name for r in interop):
            senders = list(dict.fromkeys(r.clients[0] for r in interop if r.name == name))
            receivers = list(dict.fromkeys(r.clients[1] for r in interop if r.name == name))
            out.append("  %s: sender (row) -> receiver (column)" % name)
            out += _grid(senders, receivers, lambda s, c: MARK[by_key[name, s + "->" + c].status]
                         if (name, s + "->" + c) in by_key else "-")
        scripts = [r for r in mine if r.kind == "script"]
        if scripts:
            out += _grid([r.name for r in scripts], ["amqp-peer"],
                         lambda n, c: MARK[by_key[n, c].status])
    deviations = [r for r in results if r.status == "deviation"]
    if deviations:
        out += ["", "Expected deviations (conformance/expectations):"]
        for r in deviations:
            text = "; ".join(r.evidence)
            if len(text) > 240:  # a long list of values; the JUnit XML has all of it
                text = text[:200] + " ... " + text[text.rfind(" ("):]
            out.append("  %s %s [%s]: %s" % (r.broker, r.name, r.column, text))
    failures = [r for r in results if r.status == "fail"]
    if failures:
        out += ["", "Failures:"]
        for r in failures:
            out.append("  %s %s [%s] (%.1fs):" % (r.broker, r.name, r.column, r.seconds))
            out += ["    " + line for line in r.evidence]
    notes = sorted({n for r in results for n in r.notes})
    if notes:
        out += ["", "Notes (values an implementation cannot express, runs played again):"]
        out += ["  " + n for n in notes]
    if skipped:
        out += ["", "Not run:"] + ["  " + s for s in skipped]
    if problems:
        out += ["", "Problems:"] + ["  " + p for p in problems]
    counts = {k: sum(1 for r in results if r.status == k) for k in MARK}
    out += ["", "%d runs: %d pass, %d expected deviation, %d fail, %d n/a; %d problem%s"
            % (len(results), counts["pass"], counts["deviation"], counts["fail"], counts["n/a"],
               len(problems), "" if len(problems) == 1 else "s")]
    return "\n".join(out)


def junit(results, problems, path):
    root = ET.Element("testsuites", name="conformance")
    suites = {}
    for r in results:
        suite = suites.get(r.broker)
        if suite is None:
            suite = suites[r.broker] = ET.SubElement(root, "testsuite",
                                                     name="conformance." + r.broker)
        case = ET.SubElement(suite, "testcase", classname="conformance.%s.%s"
                             % (r.broker, r.name.split(".")[0]),
                             name="%s [%s]" % (r.name, r.column), time="%.3f" % r.seconds)
        if r.status == "fail":
            failure = ET.SubElement(case, "failure", message="; ".join(r.evidence)[:500])
            failure.text = "\n".join(r.evidence) + "\n\n" + r.log
        elif r.status == "deviation":
            ET.SubElement(case, "skipped", message="expected deviation: " + "; ".join(r.evidence))
        elif r.status == "n/a":
            ET.SubElement(case, "skipped", message="n/a: " + "; ".join(r.evidence))
    if problems:
        suite = ET.SubElement(root, "testsuite", name="conformance.run")
        for p in problems:
            case = ET.SubElement(suite, "testcase", classname="conformance.run", name=p[:80])
            ET.SubElement(case, "failure", message=p)
    for suite in root:
        cases = list(suite)
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(sum(1 for c in cases if c.find("failure") is not None)))
        suite.set("skipped", str(sum(1 for c in cases if c.find("skipped") is not None)))
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
