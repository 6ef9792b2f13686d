"""Part 4 transactions: transactional sends and acceptances, committed and rolled back, with
Proton's Container.declare_transaction."""

from proton import Delivery, Message
from proton.handlers import TransactionHandler

from common import Fail, Recorder, reason, state_name

TRANSACTIONAL_STATE = 0x34


class Coordinator(Recorder, TransactionHandler):
    """Proton's transaction events; the coordinator link's other events (its refusal, say) are
    the run's as for any link."""

    def on_transaction_declared(self, event):
        event.transaction.outcome = "declared"

    def on_transaction_declare_failed(self, event):
        # Proton calls any answer without a txn-id a failed declare
        event.transaction.outcome = "coordinator answered the declare with %s%s, not declared" % (
            state_name(event.delivery.remote_state), reason(event.delivery))

    def on_transaction_committed(self, event):
        event.transaction.outcome = "committed"

    def on_transaction_aborted(self, event):
        event.transaction.outcome = "rolled back"

    def on_transaction_commit_failed(self, event):
        event.transaction.outcome = "commit answered %s%s" % (
            state_name(event.delivery.remote_state), reason(event.delivery))


def declare(run, conn):
    """A declared transaction and the session of its controller, where its work goes."""
    # settled at once, a transactional acceptance can only be undone by the peer's rollback
    # (left unsettled, Proton would release it itself when the transaction rolls back)
    txn = run.container.declare_transaction(conn, handler=Coordinator(run),
                                            settle_before_discharge=True)
    run.wait(lambda: hasattr(txn, "outcome"), "the peer's answer to the declare")
    if txn.outcome != "declared":
        raise Fail("the " + txn.outcome)
    return txn, txn.txn_ctrl.session


def discharge(run, txn, commit):
    del txn.outcome
    if commit:
        txn.commit()
    else:
        txn.abort()
    expected = "committed" if commit else "rolled back"
    run.wait(lambda: hasattr(txn, "outcome"), "the peer's answer to the discharge")
    if txn.outcome != expected:
        raise Fail("the discharge was answered %s, expected %s" % (txn.outcome, expected))


def send_in(run, txn, ssn, bodies):
    """Send in the transaction and wait for the peer's answer to each transfer."""
    snd = run.sender(ssn, run.p["address"])
    dlvs = [txn.send(snd, Message(body=b)) for b in bodies]
    for i, dlv in enumerate(dlvs):
        run.wait(lambda: dlv.remote_state, "the peer's answer to transactional send %d" % (i + 1))
        if dlv.remote_state != TRANSACTIONAL_STATE:
            raise Fail("transactional send %d was answered %s%s" % (
                i + 1, state_name(dlv.remote_state), reason(dlv)))


def accept_in(run, txn, ssn, count):
    """Receive `count` messages and accept them in the transaction; the receiver."""
    rcv = run.receiver(ssn, run.p["address"], credit=count)
    for m in run.receive(rcv, count):
        txn.accept(m.delivery)
    return rcv


def bodies_within(run, conn, seconds, expected):
    """The bodies a new receiver on the address gets: `expected` of them, or what came within
    `seconds` after them."""
    rcv = run.receiver(run.session(conn), run.p["address"], credit=10)
    if expected:
        run.receive(rcv, expected)
    run.within(seconds)
    for m in rcv.inbox:
        m.settle(Delivery.ACCEPTED)
    return [m.body for m in rcv.inbox]


def transacted(run, commit, work, queued=()):
    """Connect, queue `queued` on the address, do `work(txn, ssn)` in a declared transaction and
    commit or roll it back; the connection and what `work` returned."""
    conn = run.connect()
    if queued:
        run.put(conn, run.p["address"], list(queued))
    txn, ssn = declare(run, conn)
    done = work(txn, ssn)
    discharge(run, txn, commit)
    return conn, done


def commit_send(run):
    conn, _ = transacted(run, True, lambda txn, ssn: send_in(run, txn, ssn, ["t1", "t2"]))
    got = bodies_within(run, conn, 0.2, 2)
    if sorted(got) != ["t1", "t2"]:
        raise Fail("after the commit a receiver got %s, expected t1 and t2" % got)
    return "both messages sent in the committed transaction reached a receiver"


def rollback_send(run):
    conn, _ = transacted(run, False, lambda txn, ssn: send_in(run, txn, ssn, ["t1", "t2"]))
    run.put(conn, run.p["address"], ["outside"])
    got = bodies_within(run, conn, 1.0, 1)
    if got != ["outside"]:
        raise Fail("after the rollback a receiver got %s, expected only the message sent "
                   "outside the transaction" % got)
    return "of the rolled-back sends nothing arrived; the message sent outside did"


def commit_accept(run):
    conn, rcv = transacted(run, True, lambda txn, ssn: accept_in(run, txn, ssn, 2),
                           queued=["m1", "m2"])
    run.close(rcv, "the peer's detach of the receiver")
    got = bodies_within(run, conn, 1.0, 0)
    if got:
        raise Fail("after the committed acceptances a new receiver got %s" % got)
    return "after the acceptances were committed a new receiver got nothing within 1 s"


def rollback_accept(run):
    conn, rcv = transacted(run, False, lambda txn, ssn: accept_in(run, txn, ssn, 2),
                           queued=["m1", "m2"])
    run.close(rcv, "the peer's detach of the receiver")
    got = bodies_within(run, conn, 0.2, 2)
    if sorted(got) != ["m1", "m2"]:
        raise Fail("after the rolled-back acceptances a new receiver got %s, expected m1 and m2"
                   % got)
    return "after the acceptances were rolled back a new receiver got both messages again"


CASES = {
    "commit_send": commit_send,
    "rollback_send": rollback_send,
    "commit_accept": commit_accept,
    "rollback_accept": rollback_accept,
}
