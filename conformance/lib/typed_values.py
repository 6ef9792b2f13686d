"""The typed-value JSON of the interoperability matrix (conformance/interop/README.md): what a
receiver should report for each value sent, and the comparison of a sender's and a receiver's
output with the values file.

    values = load_values("conformance/interop/values/scalars.json")
    problems = compare(values, sender_stdout, receiver_stdout.splitlines())
    # ["index 50 (decimal32): body: sent {...}, received {...}", ...]
"""

import hashlib
import json

# A binary or string longer than this is reported as its length and sha256.
REPORT_LIMIT = 1024

# Types whose "value" is hex digits, whose case does not matter.
_HEX_TYPES = {"float", "double", "decimal32", "decimal64", "decimal128", "uuid", "binary"}
_NOT_PROPERTIES = {"list", "map", "array", "described"}


def load_values(path):
    """The "values" list of a values file."""
    with open(path, encoding="utf-8") as f:
        return json.load(f)["values"]


def _generated(typed):
    """Byte i is (i * 31 + 7) mod 256, character i is 'a' + i mod 26: periods of 256 and 26."""
    n = typed["generate"]
    if typed["type"] == "binary":
        period = bytes((i * 31 + 7) % 256 for i in range(256))
        return (period * (n // 256 + 1))[:n]
    period = "".join(chr(ord("a") + i) for i in range(26))
    return (period * (n // 26 + 1))[:n]


def expected_report(typed):
    """The TYPED a receiver reports for `typed`: generated values made, binaries and strings
    over 1024 bytes as {"type", "length", "sha256"}, at any depth (array elements excepted:
    their "value" has no room for it)."""
    kind = typed["type"]
    if kind in ("binary", "string"):
        if "generate" in typed:
            content = _generated(typed)
            data = content if kind == "binary" else content.encode("utf-8")
        elif "length" in typed:
            return dict(typed)
        else:
            data = (bytes.fromhex(typed["value"]) if kind == "binary"
                    else typed["value"].encode("utf-8"))
        if len(data) > REPORT_LIMIT:
            return {"type": kind, "length": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        return {"type": kind, "value": data.hex() if kind == "binary" else data.decode("utf-8")}
    if kind == "list":
        return {"type": kind, "value": [expected_report(v) for v in typed["value"]]}
    if kind == "map":
        return {"type": kind,
                "value": [[expected_report(k), expected_report(v)] for k, v in typed["value"]]}
    if kind == "described":
        return {"type": kind, "descriptor": expected_report(typed["descriptor"]),
                "value": expected_report(typed["value"])}
    return dict(typed)


def property_allowed(typed):
    """Whether the value also travels as the "value" application property."""
    return typed["type"] not in _NOT_PROPERTIES and "generate" not in typed


def _canonical_scalar(kind, text):
    """The spelling two reports of the same value share: hex digits in lower case (the char's
    in upper case), integers without leading zeros."""
    if not isinstance(text, str):
        return text
    if kind in _HEX_TYPES:
        return text.lower()
    if kind == "char":
        return "U+%04X" % int(text[2:], 16) if text[:2].upper() == "U+" else text
    if kind in ("ubyte", "ushort", "uint", "ulong", "byte", "short", "int", "long", "timestamp"):
        try:
            return str(int(text))
        except ValueError:
            return text
    return text


def _canonical(typed):
    if not isinstance(typed, dict) or "type" not in typed:
        return typed
    kind = typed["type"]
    out = dict(typed)
    if kind == "list" and isinstance(typed.get("value"), list):
        out["value"] = [_canonical(v) for v in typed["value"]]
    elif kind == "map" and isinstance(typed.get("value"), list):
        out["value"] = [[_canonical(p[0]), _canonical(p[1])]
                        if isinstance(p, list) and len(p) == 2 else p for p in typed["value"]]
    elif kind == "described":
        out["descriptor"] = _canonical(typed.get("descriptor"))
        out["value"] = _canonical(typed.get("value"))
    elif kind == "array" and isinstance(typed.get("value"), list):
        element = typed.get("element")
        out["value"] = [_canonical({"type": element, "value": v})["value"]
                        for v in typed["value"]]
    elif "value" in typed:
        out["value"] = _canonical_scalar(kind, typed["value"])
    if "sha256" in out and isinstance(out["sha256"], str):
        out["sha256"] = out["sha256"].lower()
    return out


def _show(typed):
    text = json.dumps(typed, ensure_ascii=False)
    return text if len(text) <= 200 else text[:200] + "..."


def _parse(text_or_object, what):
    if isinstance(text_or_object, (dict, list)):
        return text_or_object, None
    try:
        return json.loads(text_or_object), None
    except (TypeError, ValueError) as e:
        return None, "%s is not JSON (%s): %r" % (what, e, str(text_or_object)[:200])


def compare(sent_values, sender_output_json, receiver_lines):
    """Mismatches between the values file and what the shims printed, one description each
    (index, type, expected and received value); empty when everything round tripped.

    sender_output_json: the sender's line, as text or parsed. receiver_lines: the receiver's
    lines, as text or parsed (blank lines are skipped)."""
    problems = []
    sender, error = _parse(sender_output_json, "the sender's output")
    if error:
        return [error]
    if not isinstance(sender, dict) or "error" in sender:
        return ["the sender failed: %s" % _show(sender)]
    unsupported = {}
    for entry in sender.get("unsupported", []):
        unsupported[entry.get("index")] = entry
    expected_count = len(sent_values) - len(unsupported)
    if sender.get("sent") != expected_count:
        problems.append("the sender says it sent %r of %d values (%d unsupported)"
                        % (sender.get("sent"), len(sent_values), len(unsupported)))

    received = {}
    for line in receiver_lines:
        if isinstance(line, str) and not line.strip():
            continue
        report, error = _parse(line, "a receiver line")
        if error:
            problems.append(error)
            continue
        if not isinstance(report, dict):
            problems.append("a receiver line is not an object: %s" % _show(report))
        elif "error" in report:
            problems.append("the receiver failed: %s" % report["error"])
        elif not isinstance(report.get("index"), int) or isinstance(report.get("index"), bool):
            problems.append("a message without an int index: %s" % _show(report))
        elif report["index"] in received:
            problems.append("index %d received twice" % report["index"])
        else:
            received[report["index"]] = report

    for index, typed in enumerate(sent_values):
        kind = typed["type"]
        if index in unsupported:
            if index in received:
                problems.append("index %d (%s): received, but the sender says it is unsupported"
                                % (index, kind))
            continue
        report = received.pop(index, None)
        if report is None:
            problems.append("index %d (%s): not received" % (index, kind))
            continue
        want = _canonical(expected_report(typed))
        got = report.get("body")
        if _canonical(got) != want:
            problems.append("index %d (%s): body: sent %s, received %s"
                            % (index, kind, _show(want), _show(got)))
        want_property = want if property_allowed(typed) else None
        got = report.get("property")
        if _canonical(got) != want_property:
            problems.append("index %d (%s): property: sent %s, received %s"
                            % (index, kind, _show(want_property), _show(got)))
    for index in sorted(received):
        problems.append("index %d: received, but no such value was sent" % index)
    return problems
