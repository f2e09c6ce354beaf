#!/usr/bin/env bash
# `rabbitlab watch` with clients nobody here wrote, through the proxy, on a
# private node the lab starts itself.
#
#   tests/live/watch.sh build/rabbitlab
#
# Starts one `rabbitlab watch --json` (its own private node, on free
# loopback ports) and checks:
#   - a pika program (tests/live/watch_pika.py: confirms, mandatory with
#     some unroutable keys, manual acks, nacks with requeue, rejects into
#     a dead-letter exchange) reports the same counts as the lab's ledger:
#     published, confirmed, returned, delivered, redelivered, acked
#     (processed), rejected (dead-lettered), and the returned ones lost as
#     unroutable, told by a return;
#   - amqp-declare-queue, amqp-publish and amqp-consume (rabbitmq-c's
#     tools): the message published is the one delivered and acked;
#   - a client that does not open with the AMQP header, and one that
#     sends a frame of an unknown type, are closed with a message on
#     stderr, while a pika connection opened before them keeps working;
#   - a second watch given the first one's node as --broker (with a
#     password) passes a pika round trip, and shows no password in its
#     output or its arguments (ps);
#   - the Java client (tests/live/java/WatchClient.java, compiled here
#     with javac against Debian's librabbitmq-client-java) runs
#     watch_pika.py's scenario and reports the same counts as the ledger;
#   - a cut connection (ss -K resets the node's end of every AMQP
#     connection): pika, Java and amqp-consume through the lab each raise
#     exactly what the same client connected straight to the node raises;
#   - kill -9 of the lab's node under pika and Java clients that published
#     with confirms (and amqp-tools), then a restart from the same data
#     (tests/live/node.sh restart): each client raises what a direct
#     client raises, and the node keeps what shared/rabbitmq-facts.md
#     says: every confirmed persistent message of a durable classic queue,
#     no transient one, no non-durable queue;
#   - every line on standard output is one JSON object;
#   - SIGTERM ends the first watch with status 0, and its node goes with
#     it (its directory removed); SIGINT ends the second with status 0;
#     neither lab's stderr holds a sanitizer report (for make asan).
# Prints PASS or FAIL per check and ends with "N passed, N failed"; exits 1
# if anything failed. About 40 s, most of it waiting on the node: its
# start and, after the kill -9, its restart (each 5-15 s on this machine,
# longer under load); the JVM runs (javac, then five short ones) overlap
# with those waits where they can.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/watch.sh path/to/rabbitlab}
PY=/usr/bin/python3 # Debian's, which has python3-pika
needs_lab watch
for tool in amqp-publish amqp-consume amqp-declare-queue; do
	command -v "$tool" >/dev/null ||
	    { ko "watch: $tool is not installed (make deps installs amqp-tools)"; finish; }
done
$PY -c 'import pika' 2>/dev/null ||
    { ko "watch: python3-pika is not installed (make deps installs it)"; finish; }
for f in /usr/bin/javac /usr/share/java/amqp-client.jar /usr/share/java/slf4j-nop.jar; do
	[ -e "$f" ] ||
	    { ko "watch: no $f (make deps installs default-jdk-headless and librabbitmq-client-java)"; finish; }
done
command -v ss >/dev/null ||
    { ko "watch: ss is not installed (iproute2)"; finish; }

scratch watch
w1="" w2=""
# The Java client is compiled while the lab's node starts (javac is a JVM
# too: seconds of CPU).
JAVA_CP=$tmp/java:/usr/share/java/amqp-client.jar:/usr/share/java/slf4j-api.jar:/usr/share/java/slf4j-nop.jar
javac -d "$tmp/java" -cp "$JAVA_CP" tests/live/java/WatchClient.java \
    >"$tmp/javac.out" 2>&1 &
javac_pid=$!
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	# Only the labs this script started; each lab's guardian then stops
	# its node.
	for p in $w1 $w2 $javac_pid $clients; do kill -KILL "$p" 2>/dev/null; done
}
clients=""

# Waits (at most $2 s) for file $1 to hold the listening line; prints
# the port.
await_port() { # errfile seconds
	local i
	for i in $(seq $(($2 * 10))); do
		grep -q 'listening on' "$1" 2>/dev/null && break
		sleep 0.1
	done
	sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) for .*/\1/p' "$1" | head -1
}
# Waits (at most 15 s) for pid $1 to end; its exit status (137 if killed).
await_exit() {
	local i
	for i in $(seq 150); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}

"$BIN" watch --json --listen 127.0.0.1:0 >"$tmp/w1.out" 2>"$tmp/w1.err" &
w1=$!
port=$(await_port "$tmp/w1.err" 90)
if [ -z "$port" ]; then
	ko "watch: the lab did not start listening" "$tmp/w1.err"
	finish
fi
ok "watch: listening on 127.0.0.1:$port, own node started"
node_dir=$(sed -n 's/.*(data in \([^;]*\);.*/\1/p' "$tmp/w1.err" | head -1)
node_port=$(sed -n 's/.*starting a private RabbitMQ node [^ ]* on [^:]*:\([0-9]*\) .*/\1/p' "$tmp/w1.err" | head -1)

# (c) first part: a pika connection that stays open across the bad ones.
cat >"$tmp/steady.py" <<'PYEOF'
import json, socket, sys, time
import pika
port = int(sys.argv[1])
conn = pika.BlockingConnection(pika.ConnectionParameters(
    host="127.0.0.1", port=port,
    client_properties={"connection_name": "steady"}))
ch = conn.channel()
ch.queue_declare("watch.steady", auto_delete=True)
ch.confirm_delivery()
# Now two clients that do not speak AMQP 0-9-1 properly.
closed = []
for first in (b"GET / HTTP/1.1\r\n\r\n",
              b"AMQP\x00\x00\x09\x01"):
    s = socket.create_connection(("127.0.0.1", port), timeout=5)
    s.sendall(first)
    if first.startswith(b"AMQP"):
        time.sleep(0.5)  # connection.start arrives; then a bad frame
        s.sendall(b"\x09\x00\x00\x00\x00\x00\x04abcd\xce")
    end = time.time() + 5
    gone = False
    try:
        while time.time() < end:
            d = s.recv(4096)
            if not d:
                gone = True
                break
    except (ConnectionResetError, socket.timeout) as e:
        gone = isinstance(e, ConnectionResetError)
    closed.append(gone)
    s.close()
# The steady connection still works.
got = 0
for i in range(3):
    ch.basic_publish("", "watch.steady", b"steady %d" % i)
for method, props, body in ch.consume("watch.steady", inactivity_timeout=5):
    if method is None:
        break
    ch.basic_ack(method.delivery_tag)
    got += 1
    if got == 3:
        break
ch.cancel()
conn.close()
print(json.dumps({"closed": closed, "steady": got}))
PYEOF
if timeout 60 $PY "$tmp/steady.py" "$port" >"$tmp/steady.out" 2>&1 &&
    grep -q '"closed": \[true, true\], "steady": 3' "$tmp/steady.out"; then
	ok "watch: two malformed clients closed, the steady one kept working"
else
	ko "watch: malformed clients" "$tmp/steady.out"
fi
if grep -q 'client did not open with the AMQP protocol header (it began with "GET ")' "$tmp/w1.err" &&
    grep -q 'client sent a frame of unknown type 9; closed it' "$tmp/w1.err"; then
	ok "watch: each malformed client named on stderr"
else
	ko "watch: messages for the malformed clients" "$tmp/w1.err"
fi
kill -0 "$w1" 2>/dev/null && ok "watch: the lab survived them" ||
    ko "watch: the lab died" "$tmp/w1.err"

# (a) pika with confirms, mandatory and manual acks.
if timeout 90 $PY tests/live/watch_pika.py "$port" 40 >"$tmp/pika.out" 2>&1; then
	ok "watch: pika ran through the lab ($(cat "$tmp/pika.out"))"
else
	ko "watch: pika failed" "$tmp/pika.out"
fi

# (b) rabbitmq-c's command-line tools.
url="amqp://guest:guest@127.0.0.1:$port"
if timeout 20 amqp-declare-queue --url="$url" -q watch.rt >/dev/null 2>"$tmp/rt.err" &&
    timeout 20 amqp-publish --url="$url" -r watch.rt -b "round trip" 2>>"$tmp/rt.err" &&
    timeout 20 amqp-consume --url="$url" -q watch.rt -c 1 cat >"$tmp/rt.out" 2>>"$tmp/rt.err" &&
    grep -qx "round trip" "$tmp/rt.out"; then
	ok "watch: amqp-publish / amqp-consume round trip through the lab"
else
	ko "watch: amqp-tools round trip" "$tmp/rt.err"
fi

# (f) a second watch in front of the first one's node, given a password.
if [ -n "$node_port" ]; then
	"$BIN" watch --json --listen 127.0.0.1:0 \
	    --broker "amqp://guest:guest@127.0.0.1:$node_port" \
	    >"$tmp/w2.out" 2>"$tmp/w2.err" &
	w2=$!
	port2=$(await_port "$tmp/w2.err" 20)
	ps -o args= -p "$w2" >"$tmp/w2.ps" 2>&1
	if [ -n "$port2" ] &&
	    timeout 60 $PY tests/live/watch_pika.py "$port2" 5 >"$tmp/pika2.out" 2>&1; then
		ok "watch: --broker URL: pika through a second lab"
	else
		ko "watch: --broker URL" "$tmp/w2.err"
	fi
	kill -INT "$w2" 2>/dev/null
	await_exit "$w2"
	rc2=$?
	w2=""
	[ "$rc2" -eq 0 ] && ok "watch: SIGINT ends the second with status 0" ||
	    ko "watch: status $rc2 after SIGINT" "$tmp/w2.err"
	if grep -q 'guest:guest' "$tmp/w2.out" "$tmp/w2.err" "$tmp/w2.ps"; then
		ko "watch: a password shown" "$tmp/w2.ps"
	else
		ok "watch: no password in the output, stderr or ps"
	fi
else
	ko "watch: the node's port is not in the start-up lines" "$tmp/w1.err"
fi

# (g) The Java client: the scenario of watch_pika.py, one JVM run.
JAVA=(java -cp "$JAVA_CP")
wait "$javac_pid"
jrc=$?
javac_pid=""
if [ "$jrc" -ne 0 ]; then
	ko "watch: javac WatchClient.java" "$tmp/javac.out"
elif timeout 90 "${JAVA[@]}" WatchClient counts "$port" 40 >"$tmp/java.out" 2>&1; then
	ok "watch: the Java client ran through the lab ($(tail -1 "$tmp/java.out"))"
else
	ko "watch: the Java client failed" "$tmp/java.out"
fi

# PASS `name` followed by the detail file, indented, when `status` is 0;
# otherwise FAIL `name` with the first KO_LINES lines of the file.
verdict() { # status name file
	if [ "$1" -eq 0 ]; then
		ok "$2"
		sed 's/^/    /' "$3"
	else
		ko "$2" "$3"
	fi
}

# Starts client command "$@" in the background, its output in file $1
# (removed from the arguments); adds its pid to $clients.
client() { # outfile command...
	local out=$1
	shift
	"$@" >"$out" 2>&1 &
	clients="$clients $!"
}
# Waits (at most $1 s) until each file named after it holds a line with
# "ready"; returns 1 if one does not.
await_ready() { # seconds file...
	local f all
	for _ in $(seq $(($1 * 10))); do
		all=1
		for f in "${@:2}"; do grep -q ready "$f" 2>/dev/null || all=0; done
		[ "$all" = 1 ] && return 0
		sleep 0.1
	done
	return 1
}
# Waits for every client in $clients; at most 30 s each.
await_clients() {
	local c
	for c in $clients; do await_exit "$c" >/dev/null; done
	clients=""
}

# (h) A cut connection, seen by each client as the real error: the node's
# end of every AMQP connection is destroyed at once (ss -K, a TCP reset,
# as a broken network gives). The same clients connected straight to the
# node must report the same error as those that go through the lab, where
# the lab sees its broker socket reset and resets the client's.
# The error a client (watch_clients.py, WatchClient) reported for its
# connection to `port`, from its output file.
error_on() { # file port
	sed -n "s/^{\"port\": $2, \"error\": \(.*\)}\$/\1/p" "$1"
}
if [ -n "$node_port" ]; then
	client "$tmp/cut.java" "${JAVA[@]}" WatchClient wait "$port" "$node_port"
	client "$tmp/cut.pika" $PY tests/live/watch_clients.py wait "$port" "$node_port"
	client "$tmp/cut.tools.lab" timeout 60 amqp-consume --url="$url" -d cat
	client "$tmp/cut.tools.node" timeout 60 amqp-consume \
	    --url="amqp://guest:guest@127.0.0.1:$node_port" -d cat
	await_ready 30 "$tmp/cut.java" "$tmp/cut.pika" &&
	    sleep 1 # amqp-consume says nothing when it is ready
	ss -K src 127.0.0.1 sport = :"$node_port" >/dev/null 2>&1
	await_clients
	bad=0
	for c in java pika tools; do
		if [ "$c" = tools ]; then
			e_lab=$(tail -1 "$tmp/cut.tools.lab")
			e_node=$(tail -1 "$tmp/cut.tools.node")
		else
			e_lab=$(error_on "$tmp/cut.$c" "$port")
			e_node=$(error_on "$tmp/cut.$c" "$node_port")
		fi
		echo "$c through the lab: $e_lab; straight to the node: $e_node"
		[ -n "$e_lab" ] && [ "$e_lab" = "$e_node" ] || bad=1
	done >"$tmp/cut.out"
	grep -q 'SocketException: Connection reset' "$tmp/cut.out" &&
	    grep -q 'ConnectionResetError' "$tmp/cut.out" &&
	    grep -q 'socket error' "$tmp/cut.out" &&
	    kill -0 "$w1" 2>/dev/null || bad=1
	[ "$bad" = 0 ] || cat "$tmp"/cut.java "$tmp"/cut.pika >>"$tmp/cut.out"
	verdict "$bad" "watch: a cut connection: each client raises what it raises without the lab" "$tmp/cut.out"
fi

# (i) kill -9 of the lab's node under the clients, then a restart from the
# same data (tests/live/node.sh restart; the lab's guardian stops it at the
# end as it stops the first). What survives must be what
# shared/rabbitmq-facts.md says: with confirms, every confirmed persistent
# message in a durable classic queue; no transient one; no non-durable
# queue, whatever its messages' mode. amqp-publish has no confirms (a
# persistent message it sent may or may not be on disk), so the tools send
# a transient message to a durable queue and a persistent one to a
# non-durable queue: both must be gone, the durable queue still there.
node_pid=$(sed -n 's/^LAB_PID=//p' "$node_dir/node.env" 2>/dev/null)
if [ -n "$node_pid" ] && tr '\0' '\n' <"/proc/$node_pid/environ" 2>/dev/null |
    grep -qx "HOME=$node_dir"; then
	# Each also holds an idle connection straight to the node: what the
	# crash looks like without the lab.
	client "$tmp/crash.java" "${JAVA[@]}" WatchClient crash 50 "$port" "$node_port"
	client "$tmp/crash.pika" $PY tests/live/watch_clients.py crash 50 "$port" "$node_port"
	{
		amqp-declare-queue --url="$url" -d -q watch.tdurable &&
		    amqp-declare-queue --url="$url" -q watch.tnondurable &&
		    amqp-publish --url="$url" -r watch.tdurable -b transient &&
		    amqp-publish --url="$url" -r watch.tnondurable -p -b gone
	} >"$tmp/crash.tools" 2>&1
	await_ready 60 "$tmp/crash.java" "$tmp/crash.pika"
	kill -KILL "$node_pid"
	await_clients
	t0=$(date +%s)
	tests/live/node.sh restart "$node_dir" >"$tmp/restart.out" 2>&1
	took=$(($(date +%s) - t0))
	timeout 60 "${JAVA[@]}" WatchClient survivors "$port" >"$tmp/after.java" 2>&1
	timeout 60 $PY tests/live/watch_clients.py survivors "$port" >"$tmp/after.pika" 2>&1
	# amqp-get (rabbitmq-c 0.11): status 2 and nothing said for an empty
	# queue, a 404 for a missing one.
	timeout 20 amqp-get --url="$url" -q watch.tdurable >"$tmp/after.tools" 2>&1
	echo "status $?" >>"$tmp/after.tools"
	timeout 20 amqp-get --url="$url" -q watch.tnondurable >>"$tmp/after.tools" 2>&1
	$PY - "$tmp" "$port" "$node_port" >"$tmp/crash.out" 2>&1 <<'PYEOF'
import json, sys
d, lab, node = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
def lines(f):
    return [l for l in open("%s/%s" % (d, f)).read().splitlines() if l]
bad = 0
for c in ("java", "pika"):
    out = [json.loads(l) for l in lines("crash." + c)]
    before = out[0]
    ends = {o["port"]: o["error"] for o in out if "port" in o}
    error, direct = ends.get(lab), ends.get(node)
    after = json.loads(lines("after." + c)[-1])
    n = before["published"] // 4   # per queue and delivery mode
    want = {"persistent": n, "transient": 0, "nondurable": -1}
    ok = (before["confirmed"] == before["published"] and
          {k: after[k] for k in want} == want and error is not None and
          error == direct)
    print("%s: %s; after the restart %s (facts: %s); the crash raised %s"
          "%s" % (c, before, after, want, error,
                  "" if error == direct else
                  ", without the lab %s" % direct))
    bad += not ok
tools = open(d + "/after.tools").read()
print("tools:", tools.replace("\n", " | "))
# The durable queue is there and empty (its transient message is gone);
# the non-durable one is not there.
bad += (not tools.startswith("status 2\n") or
        "no queue 'watch.tnondurable'" not in tools)
sys.exit(1 if bad else 0)
PYEOF
	rc=$?
	if [ "$rc" -ne 0 ]; then
		tests/live/node.sh ctl "$node_dir" list_queues name durable \
		    messages 2>&1 | tail -8
		grep -v '^	at ' "$tmp"/after.* "$tmp/restart.out" \
		    "$tmp"/crash.java "$tmp"/crash.pika
		echo "the node's log on the queues:"
		grep -h -E 'durable|rror|ecover' "$node_dir"/log/*.log | tail -30
	fi >>"$tmp/crash.out" 2>&1
	KO_LINES=90 verdict "$rc" "watch: kill -9 of the node under the clients: it kept what the facts say (restart $took s)" "$tmp/crash.out"
else
	ko "watch: the node's pid (LAB_PID in $node_dir/node.env)" "$tmp/w1.err"
fi

# Stop the first lab: its fates and summary come last.
kill -TERM "$w1"
await_exit "$w1"
rc=$?
w1=""
[ "$rc" -eq 0 ] && ok "watch: SIGTERM ends it with status 0" ||
    ko "watch: status $rc after SIGTERM" "$tmp/w1.err"
if [ -n "$node_dir" ] && [ ! -e "$node_dir" ]; then
	ok "watch: its private node went with it"
else
	ko "watch: node directory '$node_dir' left behind" "$tmp/w1.err"
fi

# A sanitizer build (make asan) reports on stderr.
if grep -hE 'runtime error|Sanitizer' "$tmp/w1.err" "$tmp/w2.err" >"$tmp/san" 2>/dev/null; then
	ko "watch: a sanitizer report" "$tmp/san"
else
	ok "watch: no sanitizer report from either lab"
fi

# Every line one JSON object; then the ledger against pika's own counts.
$PY - "$tmp/w1.out" "$tmp/pika.out" "$tmp/java.out" >"$tmp/cmp.out" 2>&1 <<'PYEOF'
import json, sys
lines = open(sys.argv[1]).read().splitlines()
objs = [json.loads(l) for l in lines]          # fails on a bad line
print("lines", len(objs))
s = [o for o in objs if "summary" in o][-1]["summary"]
fates = [o for o in objs if "fate" in o]
bad = 0

def judge(who, counts_file, exchange, queue, confirmed_key):
    """The fates of the messages one client published to `exchange` (the
    others came from other clients) against its own counts."""
    global bad
    mine = [f for f in fates if f.get("exchange") == exchange]
    c = json.loads(open(counts_file).read().splitlines()[-1])
    pairs = [
        ("published", len(mine), c["published"]),
        ("confirmed", sum(f["confirmed"] for f in mine), c[confirmed_key]),
        ("returned", sum(f["returned"] for f in mine), c["returned"]),
        ("delivered", sum(f["deliveries"] for f in mine), c["delivered"]),
        ("acked", sum(f["acks"] for f in mine), c["acked"]),
        ("processed", sum(f["fate"] == "processed" for f in mine),
         c["acked"]),
        ("dead-lettered", sum(f["fate"] == "dead_lettered" for f in mine),
         c["rejected"]),
        ("lost unroutable", sum(f.get("reason") == "unroutable" and
                                f.get("notice") == "return" for f in mine),
         c["returned"]),
        ("redelivered", sum(1 for o in objs if o.get("kind") == "DELIVER"
                            and o.get("where") == queue
                            and o.get("flag") == 1), c["redelivered"]),
    ]
    for name, lab, client in pairs:
        print("%-16s lab %3d  %-4s %3d%s" % (name, lab, who, client,
              "" if lab == client else "   <-- differs"))
        bad += lab != client
    return c

pika = judge("pika", sys.argv[2], "watch.x", "watch.q", "broker_acked")
java = judge("java", sys.argv[3], "watch.jx", "watch.jq", "confirmed")
print("summary returned lab %3d  pika+java %3d" % (
    s["returned"], pika["returned"] + java["returned"]))
bad += s["returned"] != pika["returned"] + java["returned"]
rt = [f for f in fates if f.get("routing_key") == "watch.rt"]
print("round trip fates", [f["fate"] for f in rt])
bad += [f["fate"] for f in rt] != ["processed"]
steady = [f for f in fates if f.get("routing_key") == "watch.steady"]
print("steady fates", [f["fate"] for f in steady])
bad += [f["fate"] for f in steady] != ["processed"] * 3
sys.exit(1 if bad else 0)
PYEOF
KO_LINES=40 verdict $? "watch: every line JSON; the ledger's counts equal pika's, Java's and the tools'" "$tmp/cmp.out"
finish
