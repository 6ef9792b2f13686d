#!/usr/bin/python3
"""The amqp-inspect command line: exit statuses, the one-line error, files and standard input.

usage: inspect_cli_test.py PATH/TO/amqp-inspect
"""
import os
import random
import re
import subprocess
import sys
import tempfile

INSPECT = sys.argv[1]
ERROR_LINE = re.compile(r"^amqp-inspect: [^\n]+: [^\n]+ at offset \d+\n$")
failures = []


def run(args, data=b"", timeout=60):
    return subprocess.run([INSPECT] + args, input=data, capture_output=True, timeout=timeout)


def check(name, condition, detail=""):
    if not condition:
        failures.append(f"{name}: {detail}")


def check_status(name, r, status):
    check(name, r.returncode == status,
          f"exit status {r.returncode}, expected {status}; stderr {r.stderr!r}")


# A uint, a string and a list, back to back.
VALUES = bytes.fromhex("52 01 a1 02 68 69 c0 03 01 50 07")

r = run(["--value"], VALUES)
check_status("values", r, 0)
check("values text", r.stdout == b'uint 1\n"hi"\n[ubyte 7]\n', repr(r.stdout))
check("values stderr", r.stderr == b"", repr(r.stderr))

r = run(["--hex"], b" 52 01\n A1 02 68 69\n")
check_status("hex", r, 0)
check("hex text", r.stdout == b'uint 1\n"hi"\n', repr(r.stdout))

r = run(["--reencode", "--value"], bytes.fromhex("7000000007b1000000026869"))
check_status("reencode", r, 0)
check("reencode bytes", r.stdout == bytes.fromhex("5207a1026869"), r.stdout.hex())

with tempfile.TemporaryDirectory() as d:
    path = os.path.join(d, "values.bin")
    with open(path, "wb") as f:
        f.write(VALUES)
    from_file = run([path])
    from_stdin = run(["-"], VALUES)
    check_status("file", from_file, 0)
    check("file equals stdin", from_file.stdout == from_stdin.stdout,
          f"{from_file.stdout!r} vs {from_stdin.stdout!r}")

    bad = os.path.join(d, "bad.bin")
    with open(bad, "wb") as f:
        f.write(b"\x52\x01\xff")
    r = run([bad])
    check_status("malformed file", r, 1)
    check("malformed names the file", r.stderr.decode() ==
          f"amqp-inspect: {bad}: unknown format code at offset 2\n", repr(r.stderr))
    check("output before the error", r.stdout == b"uint 1\n", repr(r.stdout))

    missing = os.path.join(d, "missing.bin")
    r = run([missing])
    check_status("missing file", r, 2)
    check("missing file message", r.stderr.decode() ==
          f"amqp-inspect: {missing}: No such file or directory\n", repr(r.stderr))

r = run([], b"")
check_status("empty", r, 1)
check("empty message", r.stderr == b"amqp-inspect: <stdin>: empty input at offset 0\n",
      repr(r.stderr))

r = run(["--frames"], b"AMQP\x00\x01\x00\x00\x00\x00\x00\x10\x02\x00")
check_status("truncated frame", r, 1)
check("truncated frame message",
      r.stderr == b"amqp-inspect: <stdin>: input ends inside a frame at offset 8\n", repr(r.stderr))
check("header printed", r.stdout == b"[0] AMQP 1.0.0\n", repr(r.stdout))

for args, status in [(["--help"], 0), (["-h"], 0), (["--bogus"], 2), (["--value", "--frames"], 2),
                     (["a", "b"], 2), (["--width"], 2), (["--width", "x"], 2)]:
    r = run(args)
    check_status(f"arguments {args}", r, status)
    if status == 0:
        check(f"help {args}", r.stdout.startswith(b"usage: amqp-inspect"), repr(r.stdout[:40]))
    else:
        check(f"usage error {args} is one line",
              r.stderr.count(b"\n") == 1 and r.stderr.startswith(b"amqp-inspect: "),
              repr(r.stderr))

# Random input in every mode: exit 0, or 1 with exactly one error line; never a crash or hang.
rng = random.Random(20261123)
for i in range(24):
    data = bytes(rng.getrandbits(8) for _ in range(rng.choice([1, 7, 64, 4096])))
    if i % 3 == 1:
        data = b"AMQP\x00\x01\x00\x00" + data
    for mode in ([], ["--value"], ["--message"], ["--frames"], ["--reencode"]):
        r = run(mode, data)
        ok = (r.returncode == 0 and r.stderr == b"") or (
            r.returncode == 1 and ERROR_LINE.match(r.stderr.decode("utf-8", "replace")))
        check(f"random input {i} {mode}", ok, f"status {r.returncode}, stderr {r.stderr!r}")

if failures:
    print("\n".join(failures), file=sys.stderr)
    sys.exit(1)
print("amqp-inspect command line: all checks passed")
