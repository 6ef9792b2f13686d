"""Part 2.5 sessions: begin and end, the incoming window, many sessions on one connection."""

import re

from proton import Message

from common import Fail, describe, opened_by_peer, pattern

FIELD = re.compile(r"([a-z-]+)=(0x[0-9a-f]+|\d+)")


def begin_end(run):
    conn = run.connect()
    ssn = run.session(conn)
    run.wait(lambda: opened_by_peer(ssn), "the peer's begin")
    run.close(ssn, "the peer's end")
    if ssn.remote_condition:
        raise Fail("the peer's end carries an error: " + describe(ssn.remote_condition))
    if run.roundtrip(conn, "after end", "the message sent on the new session") != "after end":
        raise Fail("the message sent on the new session came back different")
    return "the peer answered begin and end without error; a new session then sent and " \
        "received a message"


class WindowWatch:
    """Follows one session's incoming window on the wire (Proton's frame trace): the begin and
    flows we send set the limit next-incoming-id + incoming-window, each transfer from the
    peer uses one transfer-id (2.5.6). Proton's API shows neither the window it announces
    nor the transfer-ids."""

    def __init__(self):
        self.armed = False        # the next begin we send is the watched session's
        self.channel = None       # our channel of the watched session
        self.peer_channel = None  # the peer's channel for it
        self.next_id = None       # transfer-id of the peer's next transfer
        self.limit = None         # first transfer-id beyond the window
        self.window = None
        self.announced = None     # the incoming-window of our begin
        self.transfers = 0
        self.violation = None

    def __call__(self, transport, line):
        frame = re.search(r"FRAME: (\d+) (->|<-) @([a-z-]+)\(\d+\) \[(.*)\]", line)
        if not frame:
            return
        channel, direction, performative, body = frame.groups()
        fields = {k: int(v, 0) for k, v in FIELD.findall(body)}
        if self.armed and direction == "->" and performative == "begin":
            self.armed, self.channel = False, channel
        if self.channel is None:
            return
        if direction == "->" and channel == self.channel and performative in ("begin", "flow"):
            if performative == "begin":
                self.announced = fields.get("incoming-window")
            self.window = fields.get("incoming-window", self.window)
            start = fields.get("next-incoming-id", self.next_id)
            if start is not None and self.window is not None:
                self.limit = start + self.window
        elif direction == "<-" and performative == "begin" and \
                fields.get("remote-channel") == int(self.channel):
            self.peer_channel = channel
            self.next_id = fields["next-outgoing-id"]
            self.limit = self.next_id + self.window
        elif direction == "<-" and performative == "transfer" and channel == self.peer_channel:
            self.transfers += 1
            if self.violation is None and self.next_id >= self.limit:
                self.violation = "the peer sent transfer %d beyond the incoming-window %d " \
                    "announced (2.5.6)" % (self.transfers, self.window)
            self.next_id += 1


def incoming_window(run):
    count = int(run.p.get("count", 20))
    address = run.p["address"]
    watch = WindowWatch()
    # Proton's incoming window is the session's incoming capacity over the max-frame-size
    conn = run.connect(max_frame_size=4096, frame_tracer=watch)
    snd = run.sender(run.session(conn), address)
    run.send_accepted(snd, [Message(id=i, body=pattern(1000)) for i in range(count)])
    watch.armed = True
    rcv_ssn = run.session(conn, incoming_capacity=2 * 4096)
    rcv = run.receiver(rcv_ssn, address, credit=count)
    run.wait(lambda: len(rcv.inbox) >= count or watch.violation,
             lambda: "message %d of %d" % (len(rcv.inbox) + 1, count))
    if watch.violation:
        raise Fail(watch.violation)
    if watch.announced != 2:
        raise Fail("Proton's begin announced an incoming-window of %s, not 2" % watch.announced)
    ids = [m.message.id for m in rcv.inbox]
    if ids != list(range(count)):
        raise Fail("the messages arrived out of order: %s" % ids)
    for m in rcv.inbox:
        m.settle()
    return "all %d messages arrived in order and the peer kept within the incoming-window of " \
        "2 transfers" % count


def many(run):
    count = int(run.p.get("count", 16))
    conn = run.connect()
    ends = []
    for n in range(count):
        ssn = run.session(conn)
        address = "%s-%d" % (run.p["address"], n)
        ends.append((run.sender(ssn, address, wait_attach=False),
                     run.receiver(ssn, address, wait_attach=False)))
    for snd, rcv in ends:
        run.attached(snd)
        run.attached(rcv)
        rcv.flow(1)
    sent = [snd.send(Message(body="session %d" % n)) for n, (snd, _) in enumerate(ends)]
    for n, dlv in enumerate(sent):
        run.wait(lambda: hasattr(dlv, "outcome"), "the outcome of the message on session %d" % n)
    for n, (_, rcv) in enumerate(ends):
        got = run.receive(rcv, 1, "the message on session %d" % n)[0]
        if got.body != "session %d" % n:
            raise Fail("the receiver on session %d got %r" % (n, got.body))
        got.settle()
    return "each of %d sessions received its own message" % count


CASES = {
    "begin_end": begin_end,
    "incoming_window": incoming_window,
    "many": many,
}
