#!/usr/bin/python3
"""The uAMQP and kombu shapes against a real broker, through the example programs:

    brokers.py BUILD_DIR BROKER --io asio|libevent

BROKER is our-broker (this library's example broker) or rabbitmq (RabbitMQ 3.10 with its AMQP
1.0 plugin, RabbitMQ's addressing). The broker is started by conformance/lib/peers on free
127.0.0.1 ports, in a state folder of its own, and stopped at the end. Checked:

- uamqp_style_send: every message's callback says ok;
- kombu_style_producer to a queue (the default exchange), gzip-compressed, then
  kombu_style_consumer from it: every body back, decoded, each acknowledged;
- a consumer of what an exchange routes with a routing key (RabbitMQ: a private queue bound
  to amq.direct), started first, then a producer to that exchange and key: every body arrives;
  a producer to another key: none does.

Exit status 77 (ctest: skipped) when the broker cannot run here, 1 on a failed check.
"""

import argparse
import os
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
sys.path.insert(0, os.path.join(ROOT, "conformance", "lib"))

import peers  # noqa: E402

TIMEOUT = 60


class Failed(Exception):
    pass


def run(program, args, expect):
    """Runs an example; its last line must be `expect`."""
    done = subprocess.run([program] + args, capture_output=True, text=True, timeout=TIMEOUT)
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines or lines[-1] != expect:
        raise Failed("%s %s: exit %d, expected %r last; stdout:\n%s\nstderr:\n%s"
                     % (os.path.basename(program), " ".join(args), done.returncode, expect,
                        done.stdout, done.stderr))
    return lines


def main():
    p = argparse.ArgumentParser()
    p.add_argument("build")
    p.add_argument("broker", choices=["our-broker", "rabbitmq"])
    p.add_argument("--io", choices=["asio", "libevent"], default="asio")
    a = p.parse_args()
    examples = os.path.join(os.path.abspath(a.build), "examples")
    state = tempfile.mkdtemp(prefix="amqp-client-%s-" % a.broker)
    broker = peers.broker(a.broker, os.path.abspath(a.build), state)
    try:
        broker.install()
        broker.start()
    except peers.Unavailable as e:
        print("skipped: %s cannot run here: %s" % (a.broker, e))
        return 77
    try:
        rabbit = a.broker == "rabbitmq"
        url = broker.endpoints["amqp"].url()
        common = ["--io", a.io]
        if broker.plain_user:
            common += ["--user", broker.plain_user[0], "--password", broker.plain_user[1],
                       "--mechs", "PLAIN", "--allow-insecure"]
        addressing = ["--rabbitmq"] if rabbit else []
        tag = "%s-%d" % (a.io, os.getpid())

        queue_address = ("/queue/uamqp-" if rabbit else "uamqp-") + tag
        run(os.path.join(examples, "uamqp_style_send"),
            ["-a", url + "/" + queue_address, "-m", "20"] + common,
            "sent 20: ok=20 error=0 timeout=0 cancelled=0")

        queue = "kombu-" + tag
        target = ("/queue/" if rabbit else "") + queue
        run(os.path.join(examples, "kombu_style_producer"),
            ["-a", url, "-m", "10", "--routing-key", queue, "--compression", "gzip"] + addressing
            + common, "published 10 of 10 to " + target)
        got = run(os.path.join(examples, "kombu_style_consumer"),
                  ["-a", url, "-m", "10", "--queue", queue, "--idle", "10"] + addressing + common,
                  "received 10")
        bodies = ['{"n":%d,"text":"order %d"}' % (i, i) for i in range(1, 11)]
        if got[1:-1] != bodies:
            raise Failed("the consumer printed %s, expected %s" % (got[1:-1], bodies))

        exchange = "amq.direct" if rabbit else "kombu-exchange-" + tag
        key = "key-" + tag
        source = "/exchange/%s/%s" % (exchange, key) if rabbit else exchange
        consumer = subprocess.Popen(
            [os.path.join(examples, "kombu_style_consumer"), "-a", url, "-m", "5", "--exchange",
             exchange, "--routing-key", key, "--idle", "5"] + addressing + common,
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        first = consumer.stdout.readline().strip()
        if first != "consuming from " + source:
            consumer.kill()
            raise Failed("the consumer said %r first, expected 'consuming from %s'; stderr: %s"
                         % (first, source, consumer.communicate()[1]))
        if rabbit:
            # Another key: routed nowhere, the outcome says so and no consumer sees it.
            run(os.path.join(examples, "kombu_style_producer"),
                ["-a", url, "-m", "3", "--exchange", exchange, "--routing-key", key + "-other"]
                + addressing + common,
                "published 3 of 3 to /exchange/%s/%s-other" % (exchange, key))
        run(os.path.join(examples, "kombu_style_producer"),
            ["-a", url, "-m", "5", "--exchange", exchange, "--routing-key", key] + addressing
            + common,
            "published 5 of 5 to " + ("/exchange/%s/%s" % (exchange, key) if rabbit else exchange))
        out, err = consumer.communicate(timeout=TIMEOUT)
        lines = out.strip().splitlines()
        if consumer.returncode != 0 or lines[-1:] != ["received 5"] or lines[:-1] != bodies[:5]:
            raise Failed("the exchange consumer: exit %d, stdout %s, stderr %s"
                         % (consumer.returncode, lines, err))
        print("%s on %s: every check passed" % (a.broker, a.io))
        return 0
    except Failed as e:
        print("FAILED: %s (broker log: %s)" % (e, broker.log_path))
        return 1
    finally:
        broker.stop()


if __name__ == "__main__":
    sys.exit(main())
