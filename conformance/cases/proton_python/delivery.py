"""Part 3.4 delivery states and 2.6.12/2.8 settlement: outcomes, pre-settled transfers,
rcv-settle-mode second, unsettled messages returned when a connection closes."""

from proton import Condition, Delivery, Link, Message

from common import Fail, state_name


def fresh_receiver(run, ssn, credit):
    return run.receiver(ssn, run.p["address"], credit=credit)


def take_one(run, conn, what):
    """A receiver on the case's address and the one message it got (not settled)."""
    rcv = fresh_receiver(run, run.session(conn), 1)
    return rcv, run.receive(rcv, 1, what)[0]


def accepted(run):
    conn = run.connect()
    snd = run.sender(run.session(conn), run.p["address"])
    run.send_accepted(snd, [Message(body="m%d" % i) for i in range(5)])
    return "each of the 5 messages got the outcome accepted and was settled by the peer"


def rejected(run):
    conn = run.connect()
    run.put(conn, run.p["address"], ["A", "B"])
    ssn = run.session(conn)
    rcv = fresh_receiver(run, ssn, 2)
    a, b = run.receive(rcv, 2)
    if (a.body, b.body) != ("A", "B"):
        raise Fail("received %r and %r, expected A then B" % (a.body, b.body))
    a.settle(Delivery.REJECTED,
             condition=Condition("amqp:internal-error", "conformance reject"))
    b.settle(Delivery.ACCEPTED)
    run.close(rcv, "the peer's detach of the receiver")
    again = fresh_receiver(run, ssn, 10)
    if run.within(1.0, lambda: again.inbox):
        raise Fail("a new receiver got %r after A was rejected and B accepted"
                   % again.inbox[0].body)
    return "after rejecting A and accepting B, a new receiver got nothing within 1 s"


def released(run):
    conn = run.connect()
    run.put(conn, run.p["address"], ["A"])
    rcv, a = take_one(run, conn, "message A")
    a.settle(Delivery.RELEASED)
    run.close(rcv, "the peer's detach of the receiver")
    _, again = take_one(run, conn, "message A again after its release")
    if again.body != "A":
        raise Fail("a new receiver got %r, expected A" % again.body)
    again.settle()
    return "A, released, came again to a new receiver"


def modified(run):
    conn = run.connect()
    run.put(conn, run.p["address"], ["A"])
    rcv, a = take_one(run, conn, "message A")
    a.settle(Delivery.MODIFIED, failed=True)
    run.close(rcv, "the peer's detach of the receiver")
    _, again = take_one(run, conn, "message A again after modified")
    if again.body != "A":
        raise Fail("a new receiver got %r, expected A" % again.body)
    count = again.message.delivery_count
    again.settle()
    if count != 1:
        raise Fail("A came again with header delivery-count %d, expected 1" % count)
    return "A, modified with delivery-failed, came again with delivery-count 1"


def presettled_send(run):
    conn = run.connect()
    ssn = run.session(conn)
    snd = run.sender(ssn, run.p["address"],
                     configure=lambda s: setattr(s, "snd_settle_mode", Link.SND_SETTLED))
    for i in range(5):
        snd.send(Message(body="m%d" % i)).settle()
    rcv = fresh_receiver(run, ssn, 5)
    got = run.receive(rcv, 5)
    bodies = [m.body for m in got]
    if bodies != ["m%d" % i for i in range(5)]:
        raise Fail("the receiver got %s, expected m0..m4" % " ".join(map(str, bodies)))
    for m in got:
        m.settle()
    return "the 5 messages sent settled all arrived"


def presettled_receive(run):
    conn = run.connect()
    run.put(conn, run.p["address"], ["m%d" % i for i in range(5)])
    rcv = run.receiver(run.session(conn), run.p["address"],
                       configure=lambda r: setattr(r, "snd_settle_mode", Link.SND_SETTLED))
    if rcv.remote_snd_settle_mode != Link.SND_SETTLED:
        raise Fail("the peer's attach answered snd-settle-mode %s, not settled"
                   % settle_mode(rcv.remote_snd_settle_mode))
    rcv.flow(5)
    got = run.receive(rcv, 5)
    for i, m in enumerate(got):
        if not m.settled_on_arrival:
            raise Fail("message %d of 5 arrived unsettled" % (i + 1))
        m.delivery.settle()
    return "the peer's attach confirmed snd-settle-mode settled and all 5 arrived settled"


def settle_mode(mode):
    return {Link.SND_UNSETTLED: "unsettled", Link.SND_SETTLED: "settled",
            Link.SND_MIXED: "mixed"}.get(mode, mode)


def rcv_settle_second(run):
    conn = run.connect()
    run.put(conn, run.p["address"], ["A"])
    rcv = run.receiver(run.session(conn), run.p["address"], credit=1,
                       configure=lambda r: setattr(r, "rcv_settle_mode", Link.RCV_SECOND))
    mode = rcv.remote_rcv_settle_mode
    a = run.receive(rcv, 1, "message A")[0]
    if mode != Link.RCV_SECOND:
        a.settle()
        return "the peer's attach answered rcv-settle-mode first; A was accepted and settled " \
            "as usual"
    if a.settled_on_arrival:
        raise Fail("under rcv-settle-mode second, A arrived already settled")
    a.delivery.update(Delivery.ACCEPTED)
    run.wait(lambda: a.delivery.settled, "the peer to settle A after our accepted")
    # settling, the peer may restate the outcome or leave the state out
    if a.delivery.remote_state not in (0, Delivery.ACCEPTED):
        raise Fail("the peer settled A as %s, after our accepted"
                   % state_name(a.delivery.remote_state))
    a.delivery.settle()
    return "rcv-settle-mode second confirmed; the peer settled A after our accepted, we " \
        "settled last"


def unsettled_returned_on_close(run):
    conn = run.connect()
    run.put(conn, run.p["address"], ["A"])
    take_one(run, conn, "message A")
    run.close(conn, "the peer's close")
    _, again = take_one(run, run.connect(), "message A on the new connection")
    if again.body != "A":
        raise Fail("a receiver on the new connection got %r, expected A" % again.body)
    again.settle()
    return "A, left unsettled when the connection closed, came to a receiver on a new connection"


CASES = {
    "accepted": accepted,
    "rejected": rejected,
    "released": released,
    "modified": modified,
    "presettled_send": presettled_send,
    "presettled_receive": presettled_receive,
    "rcv_settle_second": rcv_settle_second,
    "unsettled_returned_on_close": unsettled_returned_on_close,
}
