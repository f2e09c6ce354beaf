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
#   - class setup --spawn-broker --listen 127.0.0.2:PORT makes the same
#     class itself on a node it starts there: no password in any
#     process's arguments while it runs (sampled), the teacher's dashboard
#     counts a student's events, a student may not read the queue, nothing
#     listens on 127.0.0.1, SIGTERM ends it with its node and data; a bad
#     --listen or a missing password is refused before any node starts;
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
dash="" dash2=""
node=$tmp/node
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	[ -n "$dash" ] && kill -KILL "$dash" 2>/dev/null
	[ -n "$dash2" ] && kill -KILL "$dash2" 2>/dev/null
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

# The same class made by the lab itself on a node it starts, on an address
# the teacher names (127.0.0.2 here: loopback, and not the default).
spw=$(pw) s2pw=$(pw) s3pw=$(pw)
secret_free2() { ! grep -rqF -e "$spw" -e "$s2pw" -e "$s3pw" "$@"; }
sport=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.2",0)); print(s.getsockname()[1])')
printf '%s\n%s\n%s\n' "$spw" "$s2pw" "$s3pw" |
    "$BIN" class setup --spawn-broker --listen "127.0.0.2:$sport" \
    --class-name lab2 --students 2 >"$tmp/spawn.out" 2>"$tmp/spawn.err" &
setup=$!
dash=$setup
# Every process's arguments, sampled while the node starts and the class
# is imported: no password may be among them.
seen=0 samples=0
for _ in $(seq 900); do
	grep -q "is ready on" "$tmp/spawn.out" 2>/dev/null && break
	kill -0 "$setup" 2>/dev/null || break
	cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\0' ' ' >"$tmp/args"
	samples=$((samples + 1))
	secret_free2 "$tmp/args" || seen=$((seen + 1))
	sleep 0.1
done
rm -f "$tmp/args"
sdir=$(sed -n 's/.*data in \(.*\))\.$/\1/p' "$tmp/spawn.out")
if grep -q "is ready on 127.0.0.2:$sport" "$tmp/spawn.out" &&
    grep -q "amqp://lab2-studentN:<password>@127.0.0.2:$sport/lab2" "$tmp/spawn.out" &&
    [ -s "$sdir/node.env" ] && [ "$seen" = 0 ]; then
	ok "class setup --spawn-broker: its node on 127.0.0.2:$sport, the URLs given, no password in any process's arguments ($samples samples)"
else
	{ echo "password seen in $seen of $samples samples; directory '$sdir'"
	  cat "$tmp/spawn.out" "$tmp/spawn.err"; } >"$tmp/s"
	ko "class setup --spawn-broker: its node on the address named" "$tmp/s"
	finish
fi
steacher="amqp://teacher-lab2:$spw@127.0.0.2:$sport/lab2"
student2="amqp://lab2-student1:$s2pw@127.0.0.2:$sport/lab2"
"$BIN" class --json "$steacher" >"$tmp/dash2.json" 2>"$tmp/dash2.err" &
dash2=$!
"$BIN" class simulate --students 1 --events 10 --pace 50 --seed 3 \
    --for 60 --student s3 --sent "$tmp/sent3.jsonl" "$student2" \
    >"$tmp/sim3.out" 2>&1
rc_sim=$?
queue_drained "$sdir" rabbitlab.class.lab2.dashboard lab2
kill -TERM "$dash2"
wait "$dash2"
dash2=""
got=$(python3 -c 'import json, sys; d = json.load(open(sys.argv[1]))
print(d["events"], len(d["students"]))' "$tmp/dash2.json" 2>/dev/null)
if [ "$rc_sim" = 0 ] && [ "$got" = "10 1" ]; then
	ok "class setup --spawn-broker: the teacher's dashboard counted the 10 events a student sent with its own user"
else
	{ echo "simulator $rc_sim, dashboard events and students: $got"
	  cat "$tmp/sim3.out" "$tmp/dash2.err"; } >"$tmp/d"
	ko "class setup --spawn-broker: the teacher's dashboard counted the student's events" "$tmp/d"
fi
timeout -k 5 30 "$BIN" class --json --for 5 "$student2" \
    >"$tmp/sdash2.out" 2>"$tmp/sdash2.err"
rc=$?
if [ "$rc" = 2 ] && grep -q "refused by the broker (403 " "$tmp/sdash2.err"; then
	ok "class setup --spawn-broker: a student's user may not read the class's queue (exit 2, the broker's 403)"
else
	echo "exit $rc" >>"$tmp/sdash2.err"
	ko "class setup --spawn-broker: a student's user may not read the class's queue" "$tmp/sdash2.err"
fi
# Only the address named: the same port on 127.0.0.1 refuses.
if python3 -c 'import socket, sys
s = socket.socket()
s.settimeout(5)
sys.exit(0 if s.connect_ex(("127.0.0.1", int(sys.argv[1]))) != 0 else 1)' "$sport"; then
	ok "class setup --spawn-broker: nothing listens on 127.0.0.1:$sport"
else
	ko "class setup --spawn-broker: it listens on 127.0.0.1:$sport too"
fi
beam=$(sed -n 's/^LAB_PID=//p' "$sdir/node.env")
kill -TERM "$setup"
wait "$setup"
rc=$?
dash=""
gone=0
for _ in $(seq 100); do
	if ! kill -0 "$beam" 2>/dev/null && [ ! -d "$sdir" ]; then
		gone=1
		break
	fi
	sleep 0.2
done
if [ "$rc" = 0 ] && [ "$gone" = 1 ]; then
	ok "class setup --spawn-broker: SIGTERM ends it with status 0, its node (pid $beam) and data gone"
else
	echo "exit $rc, beam $beam, directory $sdir" >>"$tmp/spawn.err"
	ko "class setup --spawn-broker: SIGTERM ends it, its node gone" "$tmp/spawn.err"
	[ -n "$beam" ] && kill -KILL "$beam" 2>/dev/null
fi

# Bad input: each refused with exit 2 and the reason, and no node left.
bad() { # label want args...
	local label=$1 want=$2 rc
	shift 2
	printf 'pw1\n\n' | timeout -k 5 60 "$BIN" class setup --spawn-broker \
	    --class-name lab3 --students 1 "$@" >"$tmp/bad.out" 2>"$tmp/bad.err"
	rc=$?
	if [ "$rc" = 2 ] && grep -qF -- "$want" "$tmp/bad.err" &&
	    ! grep -q "starting a private" "$tmp/bad.err"; then
		ok "class setup --spawn-broker: $label: exit 2, no node started"
	else
		echo "exit $rc; wanted 2 and '$want'" >>"$tmp/bad.err"
		ko "class setup --spawn-broker: $label" "$tmp/bad.err"
	fi
}
bad "--listen nonsense" "is not HOST[:PORT]" --listen nonsense
bad "a port out of range" "is not HOST[:PORT]" --listen 127.0.0.1:70000
bad "a student's password missing" "no password for lab3-student1"

if secret_free "$tmp"/*.out "$tmp"/*.err "$tmp"/*.json "$XDG_STATE_HOME" &&
    secret_free2 "$tmp"/*.out "$tmp"/*.err "$tmp"/*.json "$XDG_STATE_HOME"; then
	ok "class setup: no password in any output or state file"
else
	ko "class setup: no password in any output or state file"
fi
finish
