#!/usr/bin/env python3
"""A client the lab did not write, for tests/live/watch.sh: pika publishes
through `rabbitlab watch` with publisher confirms and mandatory, consumes
with manual acks, and prints its own counts as one JSON line.

    watch_pika.py PORT N

Every fifth message goes to a routing key no queue is bound to (it comes
back as basic.return); even messages carry a message-id, odd ones do not
(the lab matches those by digest). Of those delivered, the bodies that
end in 0 are nacked with requeue once, then acked when they come back;
those that end in 3 are rejected without requeue, into the queue's
dead-letter exchange; the rest are acked.
"""
import json
import sys
import time

import pika

port, n = int(sys.argv[1]), int(sys.argv[2])
params = pika.ConnectionParameters(
    host="127.0.0.1", port=port,
    credentials=pika.PlainCredentials("guest", "guest"),
    client_properties={"connection_name": "pika-watch-test"},
    blocked_connection_timeout=30)
conn = pika.BlockingConnection(params)
ch = conn.channel()
ch.exchange_declare("watch.x", "direct", auto_delete=True)
ch.exchange_declare("watch.dlx", "fanout", auto_delete=True)
ch.queue_declare("watch.dead", auto_delete=True)
ch.queue_bind("watch.dead", "watch.dlx", "")
q = ch.queue_declare("watch.q", auto_delete=True,
                     arguments={"x-dead-letter-exchange": "watch.dlx"})
ch.queue_bind("watch.q", "watch.x", "ok")
ch.confirm_delivery()

counts = {"published": 0, "broker_acked": 0, "returned": 0, "nacked": 0,
          "delivered": 0, "redelivered": 0, "acked": 0, "requeued": 0,
          "rejected": 0}
for i in range(n):
    key = "nowhere" if i % 5 == 4 else "ok"
    props = pika.BasicProperties(
        message_id=("id-%d" % i) if i % 2 == 0 else None, delivery_mode=2)
    counts["published"] += 1
    try:
        ch.basic_publish("watch.x", key, ("body %d" % i).encode(), props,
                         mandatory=True)
        counts["broker_acked"] += 1
    except pika.exceptions.UnroutableError:
        counts["returned"] += 1
        counts["broker_acked"] += 1  # the ack comes after the return
    except pika.exceptions.NackError:
        counts["nacked"] += 1

want = counts["published"] - counts["returned"] - counts["nacked"]
done = lambda: counts["acked"] + counts["rejected"] >= want
nacked_once = set()
deadline = time.time() + 30
for method, props, body in ch.consume("watch.q", auto_ack=False,
                                      inactivity_timeout=1):
    if method is None:
        if done() or time.time() > deadline:
            break
        continue
    counts["delivered"] += 1
    if method.redelivered:
        counts["redelivered"] += 1
    if body.endswith(b"3"):
        ch.basic_reject(method.delivery_tag, requeue=False)
        counts["rejected"] += 1
    elif body.endswith(b"0") and body not in nacked_once:
        nacked_once.add(body)
        ch.basic_nack(method.delivery_tag, requeue=True)
        counts["requeued"] += 1
    else:
        ch.basic_ack(method.delivery_tag)
        counts["acked"] += 1
    if done():
        break
ch.cancel()
conn.close()
print(json.dumps(counts))
