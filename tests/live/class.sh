#!/usr/bin/env bash
# The classroom on a private node: students' labs report, the dashboard
# counts.
#
#   tests/live/class.sh build/rabbitlab
#
# On one private node (tests/live/node.sh):
#   - the dashboard (`rabbitlab class --json`) and 30 simulated students
#     (`rabbitlab class simulate`, the lab's own reporting path, each event
#     written to a file as it is made) run a class;
#   - the node is killed (kill -9 of its beam pid, which node.sh learnt)
#     while the students are mid-class, and started again;
#   - one more student starts while the node is down: it keeps making its
#     events (outbox) and sends them once the node is back;
#   - at the end the dashboard's JSON equals the sum of what the students
#     made: every event counted once (none missing, none twice), per kind,
#     per student and per question's choice, whatever was redelivered or
#     resent after the crash;
#   - no password in any output or outbox file.
# What waits on real time: the node's boot and restart (about 5 s each, as
# rabbitmqctl await_startup sees it), the students' pace (150 ms between
# events, 40 events each: about 6 s) and the reconnection pause after the
# crash (at most 8 s). Prints PASS or FAIL per check and ends with
# "N passed, N failed"; exits 1 if anything failed. About 45 s on this
# 2-core machine, most of it the two boots and the reconnection pause.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/class.sh path/to/rabbitlab}
needs_lab class

scratch class
dash="" sim="" late="" silent="" quiet=""
node=$tmp/node
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	for p in $dash $sim $late $silent $quiet; do kill -KILL "$p" 2>/dev/null; done
	tests/live/node.sh stop "$node" >/dev/null 2>&1
}

t0=$(date +%s)
# Beside the rest: a dashboard against a broker that completes the
# handshake and answers nothing after it (tests/live/silent_broker.py).
# Its link gives the set-up 20 s, then drops the connection and tries
# again; 27 s lets it reach the second try.
# A second one answers the whole set-up but basic.consume, as a quorum
# queue without a leader does: its dashboard must say so.
python3 tests/live/silent_broker.py "$tmp/silent.port" "$tmp/silent.count" &
silent=$!
python3 tests/live/silent_broker.py "$tmp/leaderless.port" \
    "$tmp/leaderless.count" consume &
silent="$silent $!"
for f in silent leaderless; do
	for _ in $(seq 50); do [ -s "$tmp/$f.port" ] && break; sleep 0.1; done
	"$BIN" class --class-name quiet --json --for 27 \
	    "amqp://guest:guest@127.0.0.1:$(cat "$tmp/$f.port")" \
	    >"$tmp/$f.json" 2>"$tmp/$f.err" &
	quiet="$quiet $!"
done
start_node class "$node"
# The node's guest user; its password must show nowhere.
secret=guest
url="amqp://guest:$secret@127.0.0.1:$port"
export XDG_STATE_HOME=$tmp/state

"$BIN" class --class-name t30 --json "$url" >"$tmp/dash.json" \
    2>"$tmp/dash.err" &
dash=$!
"$BIN" class simulate --class-name t30 --students 30 --events 40 \
    --pace 150 --seed 5 --for 120 --sent "$tmp/sent.jsonl" "$url" \
    >"$tmp/sim.out" 2>"$tmp/sim.err" &
sim=$!
# Mid-class: a few hundred events made, most confirmed, some in flight.
sleep 2.5
made=$(wc -l <"$tmp/sent.jsonl")
kill -KILL "$pid"
"$BIN" class simulate --class-name t30 --students 1 --events 15 --pace 100 \
    --seed 9 --for 120 --sent "$tmp/late.jsonl" --student late "$url" \
    >"$tmp/late.out" 2>"$tmp/late.err" &
late=$!
# It waits 2 s for a connection before its first event (the simulator's
# rule), then works on without one.
sleep 4
# The late student worked on while the node was down: its events are in
# its outbox, owed.
owed=$(grep -c '^E ' "$XDG_STATE_HOME"/rabbitlab/class-t30-late-001.outbox 2>/dev/null)
if tests/live/node.sh restart "$node" >"$tmp/restart.out" 2>&1; then
	ok "class: node killed after $made events, restarted"
else
	ko "class: node restart" "$tmp/restart.out"
	finish
fi
wait "$sim"
rc_sim=$?
wait "$late"
rc_late=$?
late=""
sim=""
if [ "$rc_sim" = 0 ] && [ "$rc_late" = 0 ]; then
	ok "class: 31 students sent all they owed ($(cat "$tmp/sim.out"))"
else
	cat "$tmp/sim.out" "$tmp/sim.err" "$tmp/late.out" "$tmp/late.err" >"$tmp/s"
	ko "class: students' exit ($rc_sim, $rc_late)" "$tmp/s"
fi
if [ "${owed:-0}" -gt 0 ]; then
	ok "class: a student without the broker kept making events ($owed owed)"
else
	ko "class: a student without the broker kept making events" \
	    "$tmp/late.err"
fi
# The dashboard has taken everything once the queue holds nothing.
queue_drained "$node" rabbitlab.class.t30.dashboard
kill -TERM "$dash"
wait "$dash"
rc_dash=$?
dash=""
python3 - "$tmp/dash.json" "$tmp/sent.jsonl" "$tmp/late.jsonl" \
    >"$tmp/cmp" 2>&1 <<'EOF'
import collections, json, sys
dash = json.load(open(sys.argv[1]))
sent = [json.loads(l) for f in sys.argv[2:] for l in open(f)]
ids = collections.Counter(e["id"] for e in sent)
bad = []
if max(ids.values()) != 1:
    bad.append("a sent id repeats")
if dash["events"] != len(ids):
    bad.append("events: dashboard %d, sent %d" % (dash["events"], len(ids)))
kinds = collections.Counter(e["kind"] for e in sent)
for k, v in dash["kinds"].items():
    if kinds.get(k, 0) != v:
        bad.append("kind %s: dashboard %d, sent %d" % (k, v, kinds.get(k, 0)))
per = collections.Counter(e["student"] for e in sent)
got = {s["student"]: s["events"] for s in dash["students"]}
if got != dict(per):
    bad.append("per student: dashboard %s, sent %s" % (got, dict(per)))
choices = collections.defaultdict(collections.Counter)
for e in sent:
    if e["kind"] == "answer":
        choices[(e["lesson"], e["question"])][e["choice"]] += 1
for q in dash["questions"]:
    want = choices.pop((q["lesson"], q["question"]), collections.Counter())
    have = {i: n for i, n in enumerate(q["choices"]) if n}
    if have != dict(want):
        bad.append("question %s/%d: %s vs %s" % (q["lesson"], q["question"], have, dict(want)))
if choices:
    bad.append("questions missing on the dashboard: %s" % list(choices))
print("%d events from %d students, %d duplicates ignored" %
      (dash["events"], len(dash["students"]), dash["duplicates"]))
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
if [ $? = 0 ] && [ "$rc_dash" = 0 ]; then
	ok "class: the dashboard's JSON is the sum of what was sent, after kill -9 ($(head -1 "$tmp/cmp"))"
else
	{ echo "dashboard exit $rc_dash"; cat "$tmp/cmp" "$tmp/dash.err"; } >"$tmp/c"
	ko "class: the dashboard's JSON is the sum of what was sent" "$tmp/c"
fi
if grep -rl -- ":$secret@" "$tmp"/*.json "$tmp"/*.err "$tmp"/*.out \
    "$XDG_STATE_HOME" >"$tmp/pw" 2>/dev/null; then
	ko "class: no password in outputs or outboxes" "$tmp/pw"
else
	ok "class: no password in outputs or outboxes"
fi
tests/live/node.sh stop "$node" >/dev/null 2>&1
rc_quiet=0
for p in $quiet; do wait "$p" || rc_quiet=$?; done
quiet=""
# shellcheck disable=SC2086 # two pids
kill $silent 2>/dev/null
silent=""
if [ "$rc_quiet" = 0 ] && grep -q "left channel.open unanswered: set-up not done in 20 s" "$tmp/silent.err" &&
    [ "$(cat "$tmp/silent.count")" -ge 2 ]; then
	ok "class: a broker that leaves the set-up unanswered is left after 20 s and tried again ($(cat "$tmp/silent.count") connections)"
else
	{ echo "exit $rc_quiet, connections $(cat "$tmp/silent.count" 2>/dev/null)"
	  cat "$tmp/silent.err"; } >"$tmp/q"
	ko "class: a broker that leaves the set-up unanswered is left and tried again" "$tmp/q"
fi
if grep -q "left basic.consume unanswered: set-up not done in 20 s (the class queue has no leader" "$tmp/leaderless.err" &&
    [ "$(cat "$tmp/leaderless.count")" -ge 2 ]; then
	ok "class: a dashboard whose basic.consume goes unanswered says the class queue has no leader, and tries again"
else
	{ echo "connections $(cat "$tmp/leaderless.count" 2>/dev/null)"
	  cat "$tmp/leaderless.err"; } >"$tmp/q"
	ko "class: a dashboard whose basic.consume goes unanswered says the queue has no leader" "$tmp/q"
fi
echo "== class.sh took $(($(date +%s) - t0)) s"
finish
