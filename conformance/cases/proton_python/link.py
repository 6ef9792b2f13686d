"""Part 2.6 links: attach and detach, credit, drain, echo, dynamic and anonymous termini,
selectors, durable termini."""

from proton import Described, Message, Terminus, symbol, ulong
from proton.reactor import Selector

from common import Fail, NotApplicable, symbols

SELECTOR_NAME = symbol("apache.org:selector-filter:string")
SELECTOR_CODE = ulong(0x0000468C00000004)


def attach_detach(run):
    address = run.p["address"]
    ssn = run.session(run.connect())
    snd = run.sender(ssn, address)
    rcv = run.receiver(ssn, address)
    if snd.remote_target.address != address:
        raise Fail("the peer's attach of the sender names the target %r"
                   % snd.remote_target.address)
    if rcv.remote_source.address != address:
        raise Fail("the peer's attach of the receiver names the source %r"
                   % rcv.remote_source.address)
    for link, kind in ((snd, "sender"), (rcv, "receiver")):
        answer = run.close(link, "the peer's detach of the " + kind)
        if answer != "closed=true, no error":
            raise Fail("the peer answered the %s's detach (closed=true) with %s" % (kind, answer))
    return "the peer's attaches named the address, its detaches came without error"


def credit(run):
    conn = run.connect()
    run.put(conn, run.p["address"], ["m%d" % i for i in range(10)])
    rcv = run.receiver(run.session(conn), run.p["address"])
    rcv.flow(4)
    run.receive(rcv, 4)
    run.within(1.0)
    if len(rcv.inbox) != 4:
        raise Fail("received %d messages on a credit of 4" % len(rcv.inbox))
    rcv.flow(6)
    run.receive(rcv, 10)
    bodies = [m.body for m in rcv.inbox]
    if bodies != ["m%d" % i for i in range(10)]:
        raise Fail("received %s, expected m0..m9 in order" % " ".join(map(str, bodies)))
    for m in rcv.inbox:
        m.settle()
    return "credit 4 brought exactly 4 messages, 6 more the other 6, in order"


def drain(run):
    conn = run.connect()
    run.put(conn, run.p["address"], ["m0", "m1", "m2"])
    rcv = run.receiver(run.session(conn), run.p["address"])
    rcv.drained_total = 0
    rcv.drain(10)
    # the drain ends with the peer's flow advancing delivery-count past the credit; Proton
    # counts the credit that flow took back in Link.drained() (see common.Recorder)
    run.wait(lambda: len(rcv.inbox) + rcv.drained_total >= 10 and not rcv.draining(),
             lambda: "the peer's flow ending the drain (%d messages, %d credit drained so far)"
             % (len(rcv.inbox), rcv.drained_total))
    if len(rcv.inbox) != 3:
        raise Fail("received %d messages during the drain, expected 3" % len(rcv.inbox))
    if rcv.credit != 0 or len(rcv.inbox) + rcv.drained_total != 10:
        raise Fail("the drain ended with link credit %d and delivery-count advanced by %d"
                   % (rcv.credit, len(rcv.inbox) + rcv.drained_total))
    for m in rcv.inbox:
        m.settle()
    return "3 messages arrived, then the peer's flow left credit 0 with delivery-count " \
        "advanced by 10"


def echo(run):
    raise NotApplicable("Qpid Proton's Python API has no control to send a flow with echo=true")


def dynamic_source(run):
    conn = run.connect()
    ssn = run.session(conn)
    rcv = run.receiver(ssn, None, configure=lambda r: setattr(r.source, "dynamic", True))
    address = rcv.remote_source.address
    if not address:
        raise Fail("the peer's attach gives the dynamic source no address")
    rcv.flow(1)
    run.send_accepted(run.sender(ssn, address), [Message(body="to the dynamic node")])
    got = run.receive(rcv, 1, "the message sent to the dynamic node")[0]
    got.settle()
    return "the peer named the dynamic source and a message sent there came back through it"


def anonymous_relay(run):
    conn = run.connect()
    offered = symbols(conn.remote_offered_capabilities) or []
    if "ANONYMOUS-RELAY" not in offered:
        raise Fail("the peer's open does not offer ANONYMOUS-RELAY (offered: %s)"
                   % (" ".join(offered) or "none"))
    ssn = run.session(conn)
    rcv = run.receiver(ssn, run.p["address"], credit=1)
    snd = run.sender(ssn, None)
    run.send_accepted(snd, [Message(address=run.p["address"], body="relayed")])
    got = run.receive(rcv, 1, "the relayed message")[0]
    got.settle()
    return "ANONYMOUS-RELAY offered; a message sent on a link with a null target address " \
        "reached its `to`"


def echoed_selector(source):
    """The selector expression in the peer's source filter, or None."""
    data = source.filter
    data.rewind()
    filters = data.get_object() if data.next() else {}
    for value in filters.values():
        if isinstance(value, Described) and value.descriptor in (SELECTOR_NAME, SELECTOR_CODE):
            return value.value
    return None


def selector(run):
    expression = "colour = 'red'"
    conn = run.connect()
    colours = ["red", "blue", "red", "green"]
    ssn = run.session(conn)
    snd = run.sender(ssn, run.p["address"])
    run.send_accepted(snd, [Message(body="m%d" % i, properties={"colour": c})
                            for i, c in enumerate(colours)])
    rcv = run.receiver(ssn, run.p["address"], configure=Selector(expression).apply)
    rcv.flow(10)
    run.receive(rcv, 2, lambda: "message %d of the 2 red ones" % (len(rcv.inbox) + 1))
    run.within(1.0)
    seen = [m.message.properties.get("colour") for m in rcv.inbox]
    if seen != ["red", "red"]:
        raise Fail("received %d messages through the selector (%s), expected the 2 red ones"
                   % (len(seen), " ".join(map(str, seen))))
    echoed = echoed_selector(rcv.remote_source)
    if echoed != expression:
        raise Fail("the peer's attach does not echo the selector filter (%r)" % (echoed,))
    for m in rcv.inbox:
        m.settle()
    return "exactly the 2 red messages arrived and the peer's attach echoed the filter"


def durable_terminus(run):
    address = run.p["address"]

    def durable(rcv):
        rcv.source.durability = Terminus.DELIVERIES
        rcv.source.expiry_policy = Terminus.EXPIRE_NEVER

    conn = run.connect()
    rcv = run.receiver(run.session(conn), address, name=address, configure=durable)
    durability = rcv.remote_source.durability
    if durability != Terminus.DELIVERIES:
        raise Fail("the peer's source has durability %s, not unsettled-state" % {
            Terminus.NONDURABLE: "none", Terminus.CONFIGURATION: "configuration"}.get(
                durability, durability))
    answer = run.detach(rcv, "the peer's detach of the durable receiver")
    # freed, the detached link is no longer the one Proton finds by name for the peer's answer
    # to the new attach
    rcv.free()
    ssn = run.session(conn)

    def durable_target(snd):
        # the same durability as the source: a broker may refuse to see one queue both ways
        snd.target.durability = Terminus.DELIVERIES
        snd.target.expiry_policy = Terminus.EXPIRE_NEVER

    run.send_accepted(run.sender(ssn, address, configure=durable_target),
                      [Message(body="while detached")])
    again = run.receiver(ssn, address, name=address, configure=durable, credit=1)
    got = run.receive(again, 1, "the message through the re-attached link")[0]
    got.settle()
    return "the peer kept the durable source (its detach answer: %s); the message sent " \
        "while detached came through the re-attached link" % answer


CASES = {
    "attach_detach": attach_detach,
    "credit": credit,
    "drain": drain,
    "echo": echo,
    "dynamic_source": dynamic_source,
    "anonymous_relay": anonymous_relay,
    "selector": selector,
    "durable_terminus": durable_terminus,
}
