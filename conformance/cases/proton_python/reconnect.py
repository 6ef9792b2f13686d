"""Reconnect: durable messages sent at least once across a broker restart, with Proton's own
reconnect (Container.connect(reconnect=Backoff(...)))."""

import collections

from proton import Delivery, Message, Terminus
from proton.reactor import Backoff

from common import Fail, opened_by_peer

# after the message that makes the runner restart the broker, messages go out this far apart,
# so that sending still goes on while the broker stops and comes back
PACE_AFTER_RESTART = 0.05


def durable_node(link):
    # durable messages outlive a restart only on a durable node: RabbitMQ makes the queue
    # durable for a durable terminus, and then refuses non-durable ones to it
    terminus = link.target if link.is_sender else link.source
    terminus.durability = Terminus.CONFIGURATION


def back_up(run, conn, snd):
    """Wait until Proton has reconnected and re-attached the sender, with credit."""
    run.wait(lambda: opened_by_peer(conn) and opened_by_peer(snd) and snd.credit > 0,
             lambda: "the reconnect (%d disconnects so far)" % run.disconnects)


def send_all(run, conn, snd, count, restart_after):
    """Send m-0..m-(count-1), one at a time, each until accepted, resending it when the
    connection drops before its outcome (at least once)."""
    for n in range(count):
        while True:
            back_up(run, conn, snd)
            epoch = run.disconnects
            dlv = snd.send(Message(id="m-%d" % n, durable=True, body="message %d" % n))
            run.wait(lambda: hasattr(dlv, "outcome") or run.disconnects > epoch,
                     "the outcome of m-%d" % n)
            if not hasattr(dlv, "outcome"):
                dlv.settle()  # in doubt: given up, to be sent again on the new connection
                continue
            if dlv.outcome == Delivery.ACCEPTED:
                break
            if dlv.outcome == Delivery.REJECTED:
                raise Fail("m-%d was rejected" % n)
            # released or modified: the broker did not take it; send it again
        run.progress(n + 1)
        if n + 1 >= restart_after:
            run.within(PACE_AFTER_RESTART)


def receive_all(run, rcv, count):
    """Receive until every id m-0..m-(count-1) came back; how often each came."""
    seen = collections.Counter()
    rcv.flow(count)
    while len(seen) < count:
        run.wait(lambda: rcv.inbox, lambda: "the %d of %d messages that never came back (%d "
                 "duplicates among the others)" % (count - len(seen), count,
                                                   sum(seen.values()) - len(seen)))
        for m in rcv.inbox:
            seen[m.message.id] += 1
            m.settle()
        del rcv.inbox[:]
        if rcv.credit < count // 2:
            rcv.flow(count)
    return seen


def broker_restart(run):
    count = int(run.p.get("count", 200))
    restart_after = int(run.p.get("restart_after", 50))
    # disconnects and the peer's closes while the broker goes down are what the case is about;
    # Proton reconnects (first retry at once, then 0.1 s doubling up to 1 s) and re-attaches
    run.tolerate_disconnect = True
    conn = run.connect(reconnect=Backoff(initial=0.1, max_delay=1.0))
    ssn = run.session(conn)
    snd = run.sender(ssn, run.p["address"], configure=durable_node)
    send_all(run, conn, snd, count, restart_after)
    rcv = run.receiver(ssn, run.p["address"], configure=durable_node, wait_attach=False)
    back_up(run, conn, snd)
    seen = receive_all(run, rcv, count)
    duplicates = sum(seen.values()) - count
    stray = sorted(set(seen) - {"m-%d" % n for n in range(count)})
    if stray:
        raise Fail("messages with unexpected ids came back: %s" % ", ".join(map(str, stray)))
    return "every id m-0..m-%d came back; reconnects: %d, duplicates: %d" % (
        count - 1, run.opens - 1, duplicates)


CASES = {
    "broker_restart": broker_restart,
}
