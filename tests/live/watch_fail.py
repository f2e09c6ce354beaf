#!/usr/bin/env python3
"""pika through `rabbitlab watch` when things break, for tests/live/watch.sh:
it prints its own view as JSON lines, which the test holds against what a
real broker keeps (shared/rabbitmq-facts.md). The Java client
(tests/live/java/WatchClient.java) does the same in the same modes.

    watch_fail.py crash PORT N     publishes, then waits for the end
    watch_fail.py survivors PORT   what the node holds after a restart
    watch_fail.py wait PORT        consumes until the connection ends

crash puts N persistent and N transient messages into a durable classic
queue and as many into a non-durable one, with publisher confirms, prints
what was confirmed, then waits (at most 120 s) for the connection to end
and prints the exception pika raised. survivors counts the durable queue's
messages by delivery mode, says whether the non-durable queue is still
there (-1: not), and deletes both.
"""
import json
import sys

import pika

DURABLE, NONDURABLE = "watch.pdurable", "watch.pnondurable"


def connect(port, name):
    return pika.BlockingConnection(pika.ConnectionParameters(
        host="127.0.0.1", port=port, heartbeat=0,
        credentials=pika.PlainCredentials("guest", "guest"),
        client_properties={"connection_name": name}))


def say(obj):
    print(json.dumps(obj), flush=True)


def await_end(conn, ch):
    """Consumes from a queue of its own until pika raises; prints that."""
    q = ch.queue_declare("", exclusive=True).method.queue
    ch.basic_consume(q, lambda *a: None)
    say({"ready": True})
    try:
        conn.process_data_events(time_limit=120)
        say({"error": "none within 120 s"})
    except pika.exceptions.AMQPError as e:
        say({"error": "%s: %s" % (type(e).__name__, e)})


def crash(port, n):
    conn = connect(port, "pika-watch-crash")
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
    await_end(conn, ch)


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
        sys.exit("usage: watch_fail.py crash|survivors|wait PORT [N]")
    mode, port = sys.argv[1], int(sys.argv[2])
    if mode == "crash":
        crash(port, int(sys.argv[3]))
    elif mode == "survivors":
        survivors(port)
    elif mode == "wait":
        conn = connect(port, "pika-watch-wait")
        await_end(conn, conn.channel())
    else:
        sys.exit("watch_fail.py: unknown mode " + mode)


main()
