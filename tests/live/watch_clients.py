#!/usr/bin/env python3
"""pika through `rabbitlab watch` when things break, for tests/live/watch.sh:
it prints its own view as JSON lines, which the test holds against what a
real broker keeps (shared/rabbitmq-facts.md). The Java client
(tests/live/java/WatchClient.java) does the same in the same modes.

    watch_clients.py crash N PORT...    publishes through the first port,
                                     then waits for the end
    watch_clients.py survivors PORT     what the node holds after a restart
    watch_clients.py wait PORT...       consumes until the connections end

crash puts N persistent and N transient messages into a durable classic
queue and as many into a non-durable one, with publisher confirms, through
the first port, prints what was confirmed, then waits (at most 120 s) for
that connection and one idle connection to each other port to end, and
prints the exception pika raised on each: one process shows how the same
end looks through the lab (the watch's port) and without it (the node's). survivors counts the durable queue's
messages by delivery mode, says whether the non-durable queue is still
there (-1: not), and deletes both.
"""
import json
import sys
import time

import pika

DURABLE, NONDURABLE = "watch.pdurable", "watch.pnondurable"


def connect(port, name):
    return pika.BlockingConnection(pika.ConnectionParameters(
        host="127.0.0.1", port=port, heartbeat=0,
        credentials=pika.PlainCredentials("guest", "guest"),
        client_properties={"connection_name": name}))


def say(obj):
    print(json.dumps(obj), flush=True)


def waiter(port):
    """A connection consuming from a queue of its own, so that it reads."""
    conn = connect(port, "pika-watch-wait")
    ch = conn.channel()
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_consume(q, lambda *a: None)
    return conn


def await_end(conns, ports):
    """Prints {"ready": true}, then serves every connection until pika
    raises on each (at most 120 s in all); prints what each raised, one
    line per connection in the order given, with its port."""
    say({"ready": True})
    errors = [None] * len(conns)
    deadline = time.time() + 120
    while None in errors and time.time() < deadline:
        for i, conn in enumerate(conns):
            if errors[i] is not None:
                continue
            try:
                conn.process_data_events(time_limit=0.05)
            except pika.exceptions.AMQPError as e:
                errors[i] = "%s: %s" % (type(e).__name__, e)
    for port, error in zip(ports, errors):
        say({"port": port, "error": error or "none within 120 s"})


def crash(n, ports):
    conn = connect(ports[0], "pika-watch-crash")
    ch = conn.channel()
    ch.queue_declare(DURABLE, durable=True)
    ch.queue_declare(NONDURABLE, durable=False)
    ch.confirm_delivery()
    counts = {"published": 0, "confirmed": 0, "nacked": 0, "returned": 0}
    for i in range(n):
        for q in (DURABLE, NONDURABLE):
            for mode, body in ((2, "p %d" % i), (1, "t %d" % i)):
                counts["published"] += 1
                try:
                    ch.basic_publish("", q, body.encode(),
                                     pika.BasicProperties(delivery_mode=mode),
                                     mandatory=True)
                    counts["confirmed"] += 1
                except pika.exceptions.UnroutableError:
                    counts["returned"] += 1
                except pika.exceptions.NackError:
                    counts["nacked"] += 1
    say(counts)
    await_end([conn] + [waiter(p) for p in ports[1:]], ports)


def survivors(port):
    conn = connect(port, "pika-watch-survivors")
    ch = conn.channel()
    got = {"persistent": 0, "transient": 0}
    while True:
        method, props, _ = ch.basic_get(DURABLE, auto_ack=True)
        if method is None:
            break
        got["persistent" if props.delivery_mode == 2 else "transient"] += 1
    ch.queue_delete(DURABLE)
    try:
        got["nondurable"] = ch.queue_declare(
            NONDURABLE, passive=True).method.message_count
        ch.queue_delete(NONDURABLE)
    except pika.exceptions.ChannelClosedByBroker:
        got["nondurable"] = -1  # 404 NOT_FOUND
    conn.close()
    say(got)


def main():
    if len(sys.argv) < 3:
        sys.exit("usage: watch_clients.py crash N PORT... | survivors PORT | "
                 "wait PORT...")
    mode, args = sys.argv[1], [int(a) for a in sys.argv[2:]]
    if mode == "crash":
        crash(args[0], args[1:])
    elif mode == "survivors":
        survivors(args[0])
    elif mode == "wait":
        await_end([waiter(p) for p in args], args)
    else:
        sys.exit("watch_clients.py: unknown mode " + mode)


main()
