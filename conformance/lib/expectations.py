"""Expectation files: every known deviation of a broker or an implementation, with its evidence.

conformance/expectations/NAME holds the deviations of the broker or implementation NAME, one
section each:

    [link.drain]
    evidence: session ended by the peer: amqp:internal-error
    clients: ours-asio ours-libevent proton-python
    why: RabbitMQ 3.10's classic queues cannot drain: ...

The section names the case (shell-style wildcards allowed; text after the first space only tells
two sections apart, as in `[types.scalars decimal]`). `evidence` is text that the failure's
evidence must contain. `brokers` and `clients` narrow where the deviation applies, and for an
interop run `senders` and `receivers` name either side (wildcards allowed, `!NAME` excludes;
default: everywhere the file's own name is involved). `why` says what is known about
it. `intermittent: yes` marks a deviation that does not happen on every run, so that a run
without it is not reported as stale.

A failure's evidence may hold several lines (an interop run lists each value that did not come
back equal). The failure is an expected deviation when every line is matched by an entry whose
scope covers the run; otherwise it is a failure. An entry that matched nothing while its case
ran within its scope is stale, and the run says so: the file must stay true.
"""

import configparser
import fnmatch
import os
from dataclasses import dataclass, field


@dataclass
class Entry:
    file: str
    section: str
    case: str
    evidence: str
    why: str
    brokers: list = field(default_factory=list)
    clients: list = field(default_factory=list)
    senders: list = field(default_factory=list)
    receivers: list = field(default_factory=list)
    intermittent: bool = False
    exercised: bool = False  # its case ran within its scope
    matched: bool = False    # it explained a failure

    def where(self):
        return "%s [%s]" % (os.path.relpath(self.file), self.section)

    def covers(self, case, broker, clients):
        if not fnmatch.fnmatchcase(case, self.case):
            return False
        if self.brokers and not _matches(broker, self.brokers):
            return False
        if self.clients and not any(_matches(c, self.clients) for c in clients):
            return False
        if self.senders and not (len(clients) == 2 and _matches(clients[0], self.senders)):
            return False
        if self.receivers and not (len(clients) == 2 and _matches(clients[1], self.receivers)):
            return False
        return True


def _matches(name, patterns):
    """Whether name matches the list: any pattern, and no `!pattern`."""
    wanted = [p for p in patterns if not p.startswith("!")]
    if any(fnmatch.fnmatchcase(name, p[1:]) for p in patterns if p.startswith("!")):
        return False
    return not wanted or any(fnmatch.fnmatchcase(name, p) for p in wanted)


class Expectations:
    def __init__(self, folder):
        self.folder = folder
        self.by_name = {}

    def _load(self, name):
        if name in self.by_name:
            return self.by_name[name]
        path = os.path.join(self.folder, name)
        entries = []
        if os.path.exists(path):
            parser = configparser.ConfigParser(interpolation=None, delimiters=(":",))
            parser.optionxform = str
            with open(path, encoding="utf-8") as f:
                parser.read_file(f)
            for section in parser.sections():
                s = parser[section]
                if "evidence" not in s or "why" not in s:
                    raise ValueError("%s [%s]: needs evidence and why" % (path, section))
                entries.append(Entry(path, section, section.split()[0], s["evidence"].strip(),
                                     " ".join(s["why"].split()), s.get("brokers", "").split(),
                                     s.get("clients", "").split(), s.get("senders", "").split(),
                                     s.get("receivers", "").split(),
                                     s.getboolean("intermittent", False)))
        self.by_name[name] = entries
        return entries

    def judge(self, case, broker, clients, evidence_lines):
        """For a failed case: the entries explaining every line, or None when a line is not
        explained. `clients` names every implementation involved (one for a case, sender and
        receiver for an interop run). Marks the entries of the scope as exercised."""
        scope = [e for name in [broker] + list(clients) for e in self._load(name)
                 if e.covers(case, broker, clients)]
        for e in scope:
            e.exercised = True
        used = []
        for line in evidence_lines:
            hits = [e for e in scope if e.evidence in line]
            if not hits:
                return None
            used.extend(hits)
        for e in used:
            e.matched = True
        return used

    def ran(self, case, broker, clients):
        """Notes that a case passed in this scope (its entries were exercised, none matched)."""
        for name in [broker] + list(clients):
            for e in self._load(name):
                if e.covers(case, broker, clients):
                    e.exercised = True

    def stale(self):
        return [e for entries in self.by_name.values() for e in entries
                if e.exercised and not e.matched and not e.intermittent]
