#!/usr/bin/env bash
# `rabbitlab class setup` run as it prints, on a private node, and the
# class it made used as a class would use it:
#   - the script it prints, fed two passwords on standard input (its
#     hidden prompts), runs to its end and shows none of them;
#   - the dashboard, as the teacher's user, counts every event two students
#     sent with a student's user;
#   - a student's user may not read the class's queue: a dashboard run as a
#     student stops with exit 2 and the broker's reason, and no password;
#   - a student's lab on the live engine plays lesson 02 on the class's
#     vhost with the student's user: every name it declared is under its
#     own rabbitlab.<8 hex digits>. prefix, so two students never meet;
#   - no password in any output.
#
#   tests/live/class_setup.sh build/rabbitlab
#
# Prints PASS or FAIL per check and "N passed, N failed". About 30 s, most
# of it the node's boot and rabbitmqctl's start-ups (an Erlang VM each:
# seconds apiece on a loaded machine, so the suite runs as few as it can).
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/class_setup.sh path/to/rabbitlab}
needs_lab class-setup

scratch class-setup
dash=""
node=$tmp/node
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	[ -n "$dash" ] && kill -KILL "$dash" 2>/dev/null
	tests/live/node.sh stop "$node" >/dev/null 2>&1
}

start_node class-setup "$node"
export XDG_STATE_HOME=$tmp/state
pw() { printf 'pw%s' "$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')"; }
tpw=$(pw) s1pw=$(pw)
host=127.0.0.1:$port
teacher="amqp://teacher-demo:$tpw@$host/demo"
student1="amqp://demo-student1:$s1pw@$host/demo"
# Every output of this suite, searched for the passwords at the end.
secret_free() { ! grep -rqF -e "$tpw" -e "$s1pw" "$@"; }

"$BIN" class setup --class-name demo --students 1 >"$tmp/setup.sh" 2>&1
printf '%s\n%s\n' "$tpw" "$s1pw" |
    CTL="tests/live/node.sh ctl $node" bash "$tmp/setup.sh" \
    >"$tmp/setup.out" 2>&1
rc=$?
# The users' logins below show they exist, with these passwords.
if [ "$rc" = 0 ] && secret_free "$tmp/setup.sh" "$tmp/setup.out" &&
    grep -q 'add_user' "$tmp/setup.sh"; then
	ok "class setup: its script ran on a private node (vhost demo, a teacher and a student), no password shown"
else
	{ echo "exit $rc"; cat "$tmp/setup.out"; } >"$tmp/s"
	ko "class setup: its script ran on a private node" "$tmp/s"
	finish
fi

# The teacher's dashboard; two students, each with its own user.
"$BIN" class --class-name demo --json "$teacher" >"$tmp/dash.json" \
    2>"$tmp/dash.err" &
dash=$!
sims=0 simpids=""
for i in 1 2; do
	"$BIN" class simulate --class-name demo --students 1 --events 12 \
	    --pace 50 --seed "$i" --for 60 --student "s$i" \
	    --sent "$tmp/sent$i.jsonl" "$student1" >"$tmp/sim$i.out" 2>&1 &
	simpids="$simpids $!"
done
for p in $simpids; do wait "$p" || sims=$?; done
queue_drained "$node" rabbitlab.class.demo.dashboard demo
kill -TERM "$dash"
wait "$dash"
rc_dash=$?
dash=""
sent=$(cat "$tmp/sent1.jsonl" "$tmp/sent2.jsonl" 2>/dev/null | wc -l)
got=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["events"], len(d["students"]))' "$tmp/dash.json" 2>/dev/null)
if [ "$sims" = 0 ] && [ "$rc_dash" = 0 ] && [ "$sent" = 24 ] && [ "$got" = "24 2" ]; then
	ok "class setup: the teacher's dashboard counted the 24 events 2 students sent with a student's user"
else
	{ echo "simulators $sims, dashboard $rc_dash, sent $sent, dashboard events and students: $got"
	  cat "$tmp/sim1.out" "$tmp/sim2.out" "$tmp/dash.err"; } >"$tmp/d"
	ko "class setup: the teacher's dashboard counted the students' events" "$tmp/d"
fi

# A student's user may not take the class's events.
timeout -k 5 30 "$BIN" class --class-name demo --json --for 5 "$student1" \
    >"$tmp/sdash.out" 2>"$tmp/sdash.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "refused by the broker (403 .*rabbitlab.class.demo.dashboard" "$tmp/sdash.err" &&
    grep -q "needs the teacher's user" "$tmp/sdash.err"; then
	ok "class setup: a student's user may not read the class's queue (exit 2 with the broker's 403 reason)"
else
	echo "exit $rc" >>"$tmp/sdash.err"
	ko "class setup: a student's user may not read the class's queue" "$tmp/sdash.err"
fi

# A student's own lab on the live engine, on the class's vhost. The
# student's user may configure no other name than the class's and its
# lab's rabbitlab.<8 hex digits>.*: a lab that declared pay.direct itself
# would have been refused (403) and failed.
RABBITLAB_URL=$student1 timeout -k 5 120 "$BIN" --engine=live replay -q \
    lessons/02-exchanges.cfg >"$tmp/lab.out" 2>&1
rc=$?
if [ "$rc" = 0 ]; then
	ok "class setup: a student's live lab played lesson 02 on the class's vhost with its own user (only rabbitlab.<hex>. names allowed)"
else
	echo "exit $rc" >>"$tmp/lab.out"
	ko "class setup: a student's live lab on the class's vhost" "$tmp/lab.out"
fi

if secret_free "$tmp"/*.out "$tmp"/*.err "$tmp/dash.json" "$XDG_STATE_HOME"; then
	ok "class setup: no password in any output or state file"
else
	ko "class setup: no password in any output or state file"
fi
finish
