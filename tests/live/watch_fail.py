#!/usr/bin/env python3
"""The headless failure commands of `rabbitlab watch --json`, each checked
against what pika (a client nobody here wrote) sees; for
tests/live/watch_fail.sh.

    watch_fail.py BIN TMPDIR

Starts one watch (its own private node) with --record, drives pika
through it and sends commands on its stdin; prints one "PASS name" or
"FAIL name" line per check, with details indented under a failure.
"""
import json
import os
import re
import select
import signal
import subprocess
import sys
import time

import pika

BIN, TMP = sys.argv[1], sys.argv[2]
results = []


def check(name, good, detail=""):
    print(("PASS " if good else "FAIL ") + name, flush=True)
    if not good and detail:
        for line in str(detail).splitlines()[:20]:
            print("    " + line, flush=True)
    results.append(good)


class Watch:
    """One `rabbitlab watch --json` with a pipe on its stdin."""

    def __init__(self, *extra):
        self.err = open(os.path.join(TMP, "watch%d.err" % len(extra)), "w+")
        self.p = subprocess.Popen([BIN, "watch", "--json", "--listen",
                                   "127.0.0.1:0"] + list(extra),
                                  stdin=subprocess.PIPE,
                                  stdout=subprocess.PIPE,
                                  stderr=self.err, text=True, bufsize=1)
        self.buf = b""
        self.lines = []
        self.port = None
        end = time.time() + 90
        while time.time() < end and self.port is None:
            time.sleep(0.2)
            self.err.seek(0)
            m = re.search(r"listening on [^ ]*:(\d+) for", self.err.read())
            if m:
                self.port = int(m.group(1))

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def read(self, until, secs):
        """Reads JSON lines until one satisfies `until` (returns it)."""
        end = time.time() + secs
        while time.time() < end:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                obj = json.loads(line)
                self.lines.append(obj)
                if until(obj):
                    return obj
            r, _, _ = select.select([self.p.stdout], [], [], 0.2)
            if r:
                d = os.read(self.p.stdout.fileno(), 65536)
                if not d:
                    return None
                self.buf += d
        return None

    def cmd(self, line, secs=120):
        word = line.split()[0]
        self.p.stdin.write(line + "\n")
        self.p.stdin.flush()
        if word == "ledger":
            return self.read(lambda o: "summary" in o, secs)
        return self.read(lambda o: o.get("command") == word, secs)


def connect(port, name):
    return pika.BlockingConnection(pika.ConnectionParameters(
        host="127.0.0.1", port=port,
        client_properties={"connection_name": name},
        connection_attempts=1, blocked_connection_timeout=30))


w = Watch("--record", os.path.join(TMP, "rec.cfg"))
if w.port is None:
    check("watch-fail: the watch started", False, w.stderr())
    sys.exit(1)
port = w.port

# A cut connection: pika reads it as a lost connection.
a = connect(port, "cut-me")
ach = a.channel()
ach.queue_declare("wf.cut", auto_delete=True)
ans = w.cmd("cut cut-me")
check("watch-fail: cut answered done", ans and "done" in ans, ans)
err = None
try:
    ach.queue_declare("wf.cut", passive=True)
    a.process_data_events(1)
except (pika.exceptions.AMQPConnectionError,
        pika.exceptions.StreamLostError) as e:
    err = type(e).__name__
check("watch-fail: pika sees the cut as a connection error (%s)" % err,
      err is not None)

# Refusals say why.
ans = w.cmd("cut nosuch")
check("watch-fail: cut of an unknown connection refused with the reason",
      ans and "no open connection is called 'nosuch'" in ans.get(
          "refused", ""), ans)
ans = w.cmd("frobnicate")
check("watch-fail: an unknown command refused, the commands listed",
      ans and "expected one of cut" in ans.get("refused", ""), ans)
ans = w.cmd("ttl wf.q notanumber")
check("watch-fail: a bad number refused", ans and "whole number" in
      ans.get("refused", ""), ans)

# kill -9 and restart: a durable queue keeps its persistent messages.
b = connect(port, "crash-app")
bch = b.channel()
bch.confirm_delivery()
bch.exchange_declare("wf.x", "direct", durable=True)
bch.queue_declare("wf.durable", durable=True)
bch.queue_declare("wf.transient", durable=False)
bch.queue_bind("wf.durable", "wf.x", "d")
bch.queue_bind("wf.transient", "wf.x", "t")
for i in range(3):
    bch.basic_publish("wf.x", "d", b"keep %d" % i,
                      pika.BasicProperties(delivery_mode=2))
    bch.basic_publish("wf.x", "d", b"transient %d" % i,
                      pika.BasicProperties(delivery_mode=1))
    bch.basic_publish("wf.x", "t", b"gone %d" % i,
                      pika.BasicProperties(delivery_mode=2))
ans = w.cmd("kill")
check("watch-fail: kill answered done", ans and "done" in ans, ans)
err = None
try:
    bch.queue_declare("wf.durable", passive=True)
except (pika.exceptions.AMQPConnectionError,
        pika.exceptions.StreamLostError, pika.exceptions.ChannelClosed) as e:
    err = type(e).__name__
check("watch-fail: pika's connection is gone with the node (%s)" % err,
      err is not None)
ans = w.cmd("kill")
check("watch-fail: a second kill refused (already down)",
      ans and "already down" in ans.get("refused", ""), ans)
ans = w.cmd("restart")
check("watch-fail: restart answered done", ans and "done" in ans, ans)
c = connect(port, "after")
cch = c.channel()
kept = cch.queue_declare("wf.durable", passive=True).method.message_count
try:
    cch.queue_declare("wf.transient", passive=True)
    gone = False
except pika.exceptions.ChannelClosedByBroker as e:
    gone = e.reply_code == 404
    cch = c.channel()
check("watch-fail: after the restart the durable queue holds the 3 "
      "persistent messages (%d), the transient queue is gone" % kept,
      kept == 3 and gone)
led = w.cmd("ledger")
s = led["summary"] if led else {}
check("watch-fail: the ledger counts 6 lost in the crash, 3 in flight "
      "(lost_broker_crash %s, in_flight %s)" % (
          s.get("lost_broker_crash"), s.get("in_flight")),
      s.get("lost_broker_crash") == 6 and s.get("in_flight") == 3, led)
got = 0
for method, props, body in cch.consume("wf.durable", inactivity_timeout=5):
    if method is None:
        break
    cch.basic_ack(method.delivery_tag)
    got += 1
    if got == 3:
        break
cch.cancel()
check("watch-fail: the 3 kept are delivered after the restart", got == 3)

# Delete an exchange: a passive declare then fails with 404.
ans = w.cmd("delete-exchange wf.x")
code = None
try:
    cch.exchange_declare("wf.x", passive=True)
except pika.exceptions.ChannelClosedByBroker as e:
    code = e.reply_code
    cch = c.channel()
check("watch-fail: delete-exchange done, pika's passive declare gets %s"
      % code, ans and "done" in ans and code == 404, ans)

# A full queue (policy max-length 1, reject-publish) nacks the second.
cch.confirm_delivery()
ans = w.cmd("full wf.durable 1")
time.sleep(1.5)
nacked = False
try:
    cch.basic_publish("", "wf.durable", b"fits")
    cch.basic_publish("", "wf.durable", b"does not fit")
except pika.exceptions.NackError:
    nacked = True
check("watch-fail: full done, pika's second publish is nacked",
      ans and "done" in ans and nacked, ans)

# A TTL (policy message-ttl): the message is gone after it.
cch.queue_declare("wf.ttl", auto_delete=False)
ans = w.cmd("ttl wf.ttl 100")
time.sleep(1.5)
cch.basic_publish("", "wf.ttl", b"expires")
time.sleep(0.6)
left = cch.queue_declare("wf.ttl", passive=True).method.message_count
check("watch-fail: ttl done, the message expired (%d left)" % left,
      ans and "done" in ans and left == 0, ans)

# A black hole holds pika's confirm until it heals.
d = connect(port, "holed")
dch = d.channel()
dch.confirm_delivery()
dch.queue_declare("wf.hole", auto_delete=True)
ans = w.cmd("blackhole holed 1500")
t0 = time.time()
dch.basic_publish("", "wf.hole", b"held")
held = time.time() - t0
check("watch-fail: blackhole done, the confirm waited %.1f s" % held,
      ans and "done" in ans and held >= 1.2, ans)
d.close()

# A black hole for good, whose client dies: once the broker gives up too
# (a missed heartbeat: 2 s asked), the watch ends the connection.
hb = pika.BlockingConnection(pika.ConnectionParameters(
    host="127.0.0.1", port=port, heartbeat=2,
    client_properties={"connection_name": "given-up"},
    connection_attempts=1))
ans = w.cmd("blackhole given-up")
hb._impl._transport._sock.close()  # the client dies, saying nothing
gone = w.read(lambda o: o.get("kind") == "CONN_LOST" and
              "gave up" in o.get("detail", ""), 30)
check("watch-fail: a black hole both ends gave up on ends (%s)" %
      (gone or {}).get("detail", "not ended in 30 s"),
      ans and "done" in ans and gone is not None, ans)

# A consumer's connection cut while it holds unacked messages: they go
# back to the queue, and come again marked redelivered.
e = connect(port, "worker")
ech = e.channel()
ech.queue_declare("wf.work", auto_delete=False)
for i in range(2):
    ech.basic_publish("", "wf.work", b"job %d" % i)
held = []
ech.basic_consume("wf.work", lambda ch, m, p, b: held.append(m))
end = time.time() + 5
while len(held) < 2 and time.time() < end:
    e.process_data_events(0.1)
ans = w.cmd("cut-consumer wf.work")
err = None
try:
    e.process_data_events(1)
    ech.basic_ack(held[0].delivery_tag)
    e.process_data_events(1)
except (pika.exceptions.AMQPConnectionError,
        pika.exceptions.StreamLostError) as ex:
    err = type(ex).__name__
redelivered = 0
for method, props, body in cch.consume("wf.work", inactivity_timeout=5):
    if method is None:
        break
    redelivered += method.redelivered
    cch.basic_ack(method.delivery_tag)
    if redelivered == 2:
        break
cch.cancel()
check("watch-fail: cut-consumer done with 2 unacked held; pika's consumer "
      "sees %s; both come back redelivered (%d)" % (err, redelivered),
      ans and "done" in ans and len(held) == 2 and err is not None and
      redelivered == 2, ans)

# A clean stop: pika reads the broker closing its connection; a
# persistent message in a durable queue is there after the restart.
cch.queue_declare("wf.stop", durable=True)
cch.basic_publish("", "wf.stop", b"kept over a stop",
                  pika.BasicProperties(delivery_mode=2))
ans = w.cmd("stop")
err = None
try:
    c.process_data_events(2)
    cch.queue_declare("wf.stop", passive=True)
except (pika.exceptions.AMQPConnectionError,
        pika.exceptions.StreamLostError, pika.exceptions.ChannelClosed) as ex:
    err = type(ex).__name__
back = w.cmd("restart")
c = connect(port, "after-stop")
cch = c.channel()
kept = cch.queue_declare("wf.stop", passive=True).method.message_count
check("watch-fail: stop done, pika sees %s; after restart the durable "
      "queue holds the persistent message (%d)" % (err, kept),
      ans and "done" in ans and back and "done" in back and
      err is not None and kept == 1, [ans, back])

ans = w.cmd("spring")
fixes = [f["reason"] for f in (ans or {}).get("fixes", [])]
check("watch-fail: spring names confirms and the crash's fix (%s)" %
      ",".join(fixes),
      ans and ans["properties"].get(
          "spring.rabbitmq.publisher-confirm-type") == "correlated" and
      "broker_crash" in fixes, ans)
c.close()

# A broker the lab did not start: crash refused with the reason.
node_port = re.search(r"starting a private RabbitMQ node [^ ]* on [^:]*:(\d+)",
                      w.stderr())
if node_port:
    w2 = Watch("--broker", "amqp://guest:guest@127.0.0.1:%s" %
               node_port.group(1))
    ans = w2.cmd("kill", 20)
    check("watch-fail: kill on --broker refused: the lab did not start it",
          ans and "did not start the broker" in ans.get("refused", ""), ans)
    w2.p.stdin.close()
    w2.p.send_signal(signal.SIGINT)
    w2.p.wait(20)
else:
    check("watch-fail: the node's port in the start-up lines", False,
          w.stderr())

w.p.stdin.close()
w.p.send_signal(signal.SIGTERM)
try:
    rc = w.p.wait(60)
except subprocess.TimeoutExpired:
    w.p.kill()
    rc = -9
check("watch-fail: SIGTERM ends the watch with status 0 (%s)" % rc, rc == 0,
      w.stderr())
san = [l for l in w.stderr().splitlines()
       if "Sanitizer" in l or "runtime error" in l]
check("watch-fail: no sanitizer report from the watch", not san,
      "\n".join(san))
rec = os.path.join(TMP, "rec.cfg")
chk = subprocess.run([BIN, "check", rec], capture_output=True, text=True)
check("watch-fail: the --record script passes rabbitlab check",
      chk.returncode == 0, chk.stdout + chk.stderr +
      (open(rec).read() if os.path.exists(rec) else "(no file)"))
rep = subprocess.run([BIN, "replay", "--quiet", rec], capture_output=True,
                     text=True)
check("watch-fail: rabbitlab replay plays the --record script",
      rep.returncode == 0, rep.stdout + rep.stderr)
sys.exit(0 if all(results) else 1)
