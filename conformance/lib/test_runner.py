#!/usr/bin/python3
"""The runner's own logic without brokers: expectation files, the table and the JUnit XML.

    /usr/bin/python3 conformance/lib/test_runner.py
"""

import os
import sys
import tempfile
import unittest
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import expectations  # noqa: E402
import report  # noqa: E402
from play import Result  # noqa: E402

RABBITMQ = """
# a comment
[link.drain]
evidence: session ended by the peer: amqp:internal-error
why: classic queues cannot drain

[types.scalars decimal]
evidence: decimal32
clients: rhea
why: rhea has no decimal type

[types.scalars swapped]
evidence: (decimal32)
senders: proton-cpp
receivers: !proton-cpp
why: byte order

[delivery.modified]
evidence: amqp:invalid-field
clients: ours-*
why: modified ends the session
"""


class ExpectationsTest(unittest.TestCase):
    def setUp(self):
        self.folder = tempfile.mkdtemp()
        with open(os.path.join(self.folder, "rabbitmq"), "w") as f:
            f.write(RABBITMQ)
        self.book = expectations.Expectations(self.folder)

    def test_a_failure_with_recorded_evidence_is_a_deviation(self):
        used = self.book.judge("link.drain", "rabbitmq", ("ours-asio",),
                               ["session ended by the peer: amqp:internal-error: function_clause"])
        self.assertEqual(["link.drain"], [e.section for e in used])
        self.assertEqual([], self.book.stale())

    def test_other_evidence_is_a_failure(self):
        self.assertIsNone(self.book.judge("link.drain", "rabbitmq", ("ours-asio",),
                                          ["timed out waiting for the drain"]))

    def test_every_line_must_be_explained(self):
        self.assertIsNone(self.book.judge(
            "types.scalars", "rabbitmq", ("rhea", "ours-asio"),
            ["index 31 decimal32: sent 0x22500000, got null", "index 2 ubyte: sent 1, got 2"]))
        self.assertIsNotNone(self.book.judge(
            "types.scalars", "rabbitmq", ("rhea", "ours-asio"),
            ["index 31 decimal32: sent 0x22500000, got null"]))

    def test_scope_by_client_with_wildcards(self):
        evidence = ["session ended by the peer: amqp:invalid-field: Unrecognised state"]
        self.assertIsNone(self.book.judge("delivery.modified", "rabbitmq", ("proton-python",),
                                          evidence))
        self.assertIsNotNone(self.book.judge("delivery.modified", "rabbitmq", ("ours-libevent",),
                                             evidence))

    def test_interop_sides_with_exclusion(self):
        evidence = ["index 50 (decimal32): body: sent 1, received 2"]
        self.assertIsNotNone(self.book.judge("types.scalars", "rabbitmq",
                                             ("proton-cpp", "rhea"), evidence))
        self.assertIsNone(self.book.judge("types.scalars", "rabbitmq",
                                          ("proton-cpp", "proton-cpp"), evidence))
        self.assertIsNone(self.book.judge("types.scalars", "rabbitmq",
                                          ("ours-asio", "proton-cpp"), evidence))

    def test_a_deviation_that_no_longer_happens_is_stale(self):
        self.book.ran("link.drain", "rabbitmq", ("ours-asio",))
        self.book.ran("link.credit", "rabbitmq", ("ours-asio",))
        self.assertEqual(["link.drain"], [e.section for e in self.book.stale()])

    def test_an_entry_out_of_scope_is_not_stale(self):
        self.book.ran("types.scalars", "rabbitmq", ("ours-asio", "ours-asio"))
        self.assertEqual([], self.book.stale())

    def test_intermittent_entries_are_never_stale(self):
        with open(os.path.join(self.folder, "flaky"), "w") as f:
            f.write("[link.echo]\nevidence: x\nwhy: y\nintermittent: yes\n")
        self.book.ran("link.echo", "flaky", ("ours-asio",))
        self.assertEqual([], self.book.stale())

    def test_an_entry_without_evidence_is_refused(self):
        with open(os.path.join(self.folder, "bad"), "w") as f:
            f.write("[link.echo]\nwhy: y\n")
        with self.assertRaisesRegex(ValueError, "needs evidence and why"):
            self.book.ran("link.echo", "bad", ("ours-asio",))


def results():
    return [
        Result("case", "link.drain", "rabbitmq", ("ours-asio",), "deviation", ["x"]),
        Result("case", "link.drain", "rabbitmq", ("proton-python",), "pass"),
        Result("case", "link.credit", "rabbitmq", ("ours-asio",), "fail", ["got 5, expected 4"],
               1.5, "the log"),
        Result("interop", "types.scalars", "rabbitmq", ("rhea", "ours-asio"), "pass",
               notes=["rhea cannot send decimal32: no decimal type"]),
        Result("script", "script.drain", "rabbitmq", ("amqp-peer",), "n/a", ["no"]),
    ]


class ReportTest(unittest.TestCase):
    def test_table(self):
        text = report.table(results(), [("rabbitmq", "RabbitMQ 3.10.8")], ["a problem"],
                            ["rhea cannot run here: npm"])
        self.assertIn("== rabbitmq: RabbitMQ 3.10.8", text)
        self.assertRegex(text, r"link\.drain\s+dev\s+pass")
        self.assertRegex(text, r"link\.credit\s+FAIL\s+-")
        self.assertRegex(text, r"rhea\s+pass")
        self.assertIn("rabbitmq link.credit [ours-asio] (1.5s):\n    got 5, expected 4", text)
        self.assertIn("rhea cannot send decimal32: no decimal type", text)
        self.assertIn("Not run:\n  rhea cannot run here: npm", text)
        self.assertIn("5 runs: 2 pass, 1 expected deviation, 1 fail, 1 n/a; 1 problem", text)

    def test_junit(self):
        path = os.path.join(tempfile.mkdtemp(), "results.xml")
        report.junit(results(), ["stale expectation"], path)
        root = ET.parse(path).getroot()
        suite = root.find("testsuite[@name='conformance.rabbitmq']")
        self.assertEqual(("5", "1", "2"), (suite.get("tests"), suite.get("failures"),
                                           suite.get("skipped")))
        failure = suite.find("testcase[@name='link.credit [ours-asio]']/failure")
        self.assertEqual("got 5, expected 4", failure.get("message"))
        self.assertIn("the log", failure.text)
        self.assertIsNotNone(root.find("testsuite[@name='conformance.run']/testcase/failure"))


if __name__ == "__main__":
    unittest.main()
