"""Part 2.4 connections: open and close, the peer's open, frame size, heartbeats."""

from proton import Condition

from common import Fail, NotApplicable, describe, pattern, symbols


def open_close(run):
    conn = run.connect()
    run.close(conn, "the peer's close")
    if conn.remote_condition:
        raise Fail("the peer's close carries an error: " + describe(conn.remote_condition))
    return "the peer answered open and close, its close without error"


def peer_open_fields(run):
    conn = run.connect()
    if not conn.remote_container:
        raise Fail("the peer's open has an empty container-id")
    max_frame = conn.transport.remote_max_frame_size
    if max_frame < 512:
        raise Fail("the peer's open has max-frame-size %d, below 512" % max_frame)
    caps = conn.remote_offered_capabilities
    if symbols(caps) is None:
        raise Fail("the peer's offered-capabilities are not all symbols: %r" % (caps,))
    return "container-id set, max-frame-size %d, offered-capabilities [%s]" % (
        max_frame, " ".join(symbols(caps)))


def max_frame_size(run):
    size = int(run.p.get("size", 20000))
    conn = run.connect(max_frame_size=512)
    body = pattern(size)
    got = run.roundtrip(conn, body, "the %d-byte message back" % size)
    if got != body:
        raise Fail("the %d-byte body came back different (%s)" % (size, difference(got, body)))
    return "the %d-byte body came back equal over 512-byte frames" % size


def difference(got, body):
    if not isinstance(got, bytes):
        return "a %s, not binary" % type(got).__name__
    if len(got) != len(body):
        return "%d bytes" % len(got)
    return "first difference at byte %d" % next(i for i, (a, b) in enumerate(zip(got, body))
                                                 if a != b)


def heartbeats_received(run):
    idle = float(run.p.get("idle_seconds", 3.5))
    # Proton announces half its heartbeat setting as idle-time-out, and closes the connection
    # itself when the peer sends nothing for the whole setting
    conn = run.connect(heartbeat=2.0)
    run.within(idle)
    if run.roundtrip(conn, "after idle", "the message sent after %g s idle" % idle) \
            != "after idle":
        raise Fail("the message sent after the idle time came back different")
    return "the connection stayed open through %g s idle with idle-time-out 1000 ms, and a " \
        "message then came back" % idle


def heartbeats_sent(run):
    conn = run.connect()
    peer_timeout = conn.transport.remote_idle_timeout
    if not peer_timeout:
        raise NotApplicable("the peer's open announces no idle-time-out")
    idle = peer_timeout * 1.5 + 1.0
    # Proton sends empty frames on its own to keep within the peer's idle-time-out
    run.within(idle)
    if run.roundtrip(conn, "after idle", "the message sent after %g s idle" % idle) \
            != "after idle":
        raise Fail("the message sent after the idle time came back different")
    return "the connection stayed open through 1.5 times the peer's idle-time-out plus 1 s, " \
        "and a message then came back"


def close_with_error(run):
    conn = run.connect()
    conn.condition = Condition("amqp:internal-error", "conformance close")
    run.close(conn, "the peer's close")
    return "the peer answered the close with error by its close (%s)" % \
        describe(conn.remote_condition)


CASES = {
    "open_close": open_close,
    "peer_open_fields": peer_open_fields,
    "max_frame_size": max_frame_size,
    "heartbeats_received": heartbeats_received,
    "heartbeats_sent": heartbeats_sent,
    "close_with_error": close_with_error,
}
