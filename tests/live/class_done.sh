#!/usr/bin/env bash
# A whole class, as issue 15's "done when" has it, on a private node: the
# teacher leads lesson 01 from a lab on screen, one student follows on
# screen, 28 headless students follow (class simulate --follow), and the
# dashboard runs on screen (tmux). Checks:
#   - the dashboard shows the first question's answers live, as they
#     come; the node is killed (kill -9 of its beam) as soon as some are
#     in, and started again while the teacher goes on;
#   - the dashboard then shows the second question's answers live: all 29
#     again;
#   - at the end the dashboard's screen equals the sum of what was made
#     (the followers' events as they made them, the student's from its
#     outbox): every student, every event once (none lost, none twice),
#     the solve rates, the current question's answers per choice;
#   - q ends the dashboard with status 0 and its --csv export.
#
#   tests/live/class_done.sh build/rabbitlab
#
# What waits on real time: the node's boot and restart (about 5 s each),
# the teacher's keys (the steps play in real time) and the labs'
# reconnection pause after the crash (at most 8 s). About 30-40 s; its
# waits allow minutes on a loaded machine.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/class_done.sh path/to/rabbitlab}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
KO_LINES=60
needs_lab class-done
if ! command -v tmux >/dev/null; then
	ko "class-done: tmux is not installed"
	finish
fi

scratch class-done
node=$tmp/node
sims=""
SOCK=rabbitlab-classdone-$$
t() { tmux -L "$SOCK" -f /dev/null "$@"; }
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	[ -n "$sims" ] && kill -KILL "$sims" 2>/dev/null
	t kill-server 2>/dev/null
	tests/live/node.sh stop "$node" >/dev/null 2>&1
}

t0=$(date +%s)
start_node class-done "$node"
export XDG_STATE_HOME=$tmp/state
url="amqp://guest:guest@127.0.0.1:$port"
K=done

# One screen: a session of 100x30 running the lab with ARGS.
screen() { # session ARGS...
	local s=$1
	shift
	t new-session -d -s "$s" -x 100 -y 30 \
	    "env -u LC_ALL LANG=C.UTF-8 XDG_STATE_HOME='$XDG_STATE_HOME' \
	    '$BIN' $* 2>'$tmp/$s.err'; echo \$? >'$tmp/$s.rc'; sleep 60"
}
shot() { t capture-pane -p -t "$1" >"$tmp/$1.screen"; }
# Waits up to SECONDS (10) for REGEX on session's screen.
wait_screen() { # session regex [seconds]
	local i
	for i in $(seq $((${3:-10} * 5))); do
		shot "$1"
		grep -Eq -- "$2" "$tmp/$1.screen" && return 0
		sleep 0.2
	done
	return 1
}
t new-session -d -s keep -x 80 -y 24 "sleep 600"
screen dash --class-name $K --csv "$tmp/done.csv" class "$url"
# The teacher opens the dashboard before the class comes in, and it declares
# the class queue. RabbitMQ 3.10 saves a quorum queue's Raft member in its
# name table (ra's names.dets) only once that table has been idle 500 ms;
# with 30 labs joining at once it was not saved for seconds, and the queue
# came back from the kill -9 below without a leader: basic.consume went
# unanswered for good ("leader not known" in the node's log; seen here
# under load, as in ci49 and CI stop 20). f33 states the fact.
wait_screen dash "class broker up" 30 || ko "class-done: the dashboard connected" "$tmp/dash.screen"
sleep 1.5
screen teacher --class "$url" --class-name $K --student Chen --teach lab \
    lessons/01-first-message.cfg
screen student --class "$url" --class-name $K --student Li --follow
"$BIN" class simulate --follow --class-name $K --students 28 --events 200 \
    --pace 600 --seed 5 --for 120 --student follower \
    --sent "$tmp/done.jsonl" "$url" >"$tmp/sim.out" 2>&1 &
sims=$!

# The dashboard's line for a question with all 29 answers (28 headless and
# the student on screen; the teacher's lab reports nothing of its own).
# (Up to 90 s: a loaded machine took 18-22 s to restart a node in ci37,
# and the labs' reconnection pause reaches 8 s.)
all29() { # step
	wait_screen dash "Current question: 01-first-message, step $1: 29 answers" 90
}

wait_screen teacher "leading the class" 20
t send-keys -t teacher +
wait_screen student "Press 1-3 to answer" 20
t send-keys -t student 2
# The answers as they come; the node is killed as soon as some are in,
# with the rest on their way (in the labs' outboxes, in the broker, or
# delivered and not yet acked by the dashboard).
if wait_screen dash "Current question: 01-first-message, step 2: [1-9][0-9]* answers" 30; then
	beam=$(sed -n 's/^LAB_PID=//p' "$node/node.env")
	kill -KILL "$beam"
	n1=$(grep -o "step 2: [0-9]* answers" "$tmp/dash.screen" | awk '{print $3}')
	ok "class-done: the dashboard showed question 1's answers live ($n1 of 29 in when the node was killed)"
else
	beam=$(sed -n 's/^LAB_PID=//p' "$node/node.env")
	kill -KILL "$beam"
	ko "class-done: the dashboard showed question 1's answers live" "$tmp/dash.screen"
fi

# kill -9 of the node mid-class; the teacher goes on while it is down.
t send-keys -t teacher 2
# The teacher plays on to the second question: space through the steps,
# S for each step the learner does (lesson 01: stop, consume, the typo).
q2=""
for _ in $(seq 60); do
	shot teacher
	if grep -q "Press 1-3 to answer" "$tmp/teacher.screen" &&
	    ! grep -q "step 2 of" "$tmp/teacher.screen"; then
		q2=$(grep -o "step [0-9]* of" "$tmp/teacher.screen" | head -1 | awk '{print $2}')
		break
	fi
	if grep -q "Your turn" "$tmp/teacher.screen"; then
		t send-keys -t teacher S
	else
		t send-keys -t teacher Space
	fi
	sleep 0.5
done
# Whether the node's beam lives and its AMQP port answers.
node_up() {
	local pid
	pid=$(sed -n 's/^LAB_PID=//p' "$node/node.env")
	[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null &&
	    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}
# What the node said of itself, for a check that fails after the restart:
# in three CI runs the restarted node stopped answering (every client
# refused for minutes), and nothing on the lab's side showed why.
node_story() {
	echo "-- the node: beam $(sed -n 's/^LAB_PID=//p' "$node/node.env"), $(node_up && echo up || echo 'not answering')"
	tail -n 25 "$node"/out.log 2>/dev/null
	tail -n 40 "$node"/log/*.log 2>/dev/null | grep -v '^$' | tail -n 40
}
# Where the dashboard's threads are, for a dashboard that fell silent (ci49
# and CI stop 20: two "connection refused" lines, then nothing for minutes).
dash_stack() {
	local pid
	pid=$(pgrep -f -- "^$BIN --class-name $K --csv $tmp/done.csv" | head -1)
	command -v gdb >/dev/null && [ -n "$pid" ] || return 0
	echo "-- the dashboard's threads (pid $pid)"
	timeout 60 gdb -p "$pid" -batch -ex "thread apply all bt" 2>/dev/null |
	    grep -E '^(Thread|#)'
}
again=""
if tests/live/node.sh restart "$node" >"$tmp/restart.out" 2>&1 && [ -n "$q2" ]; then
	# Up, and still up 5 s later. When it is not, what the node said is
	# printed and it is started once more: what is checked here is the
	# class through a crash, which a node that fails its own recovery
	# would hide.
	sleep 5
	if ! node_up; then
		node_story | sed 's/^/    /'
		kill -KILL "$(sed -n 's/^LAB_PID=//p' "$node/node.env")" 2>/dev/null
		sleep 1
		again=" (the node stopped answering after its restart: its log above; started once more)"
		if ! tests/live/node.sh restart "$node" >>"$tmp/restart.out" 2>&1; then
			again=" (the node stopped answering after its restart, and did not start again)"
		fi
	fi
	ok "class-done: node killed (kill -9, pid $beam) after question 1 and started again; the teacher went on to step $q2$again"
else
	{ echo "question 2 at step '$q2'"; cat "$tmp/restart.out" "$tmp/teacher.screen"; } >"$tmp/r"
	ko "class-done: node killed and started again, the teacher on to question 2" "$tmp/r"
fi
wait_screen student "step $q2 of .*|Press 1-3 to answer" 60
for _ in $(seq 50); do
	shot student
	grep -q "step $q2 of" "$tmp/student.screen" &&
	    grep -q "Press 1-3 to answer" "$tmp/student.screen" && break
	sleep 0.2
done
t send-keys -t student 1
if all29 "$q2"; then
	ok "class-done: after the crash the dashboard showed question 2's answers live, all 29"
else
	{ cat "$tmp/dash.screen"; shot student; cat "$tmp/student.screen"
	  tail -5 "$tmp/sim.out"; echo "-- the dashboard's stderr"
	  cat "$tmp/dash.err"; node_story; dash_stack; } >"$tmp/q2"
	ko "class-done: after the crash the dashboard showed question 2's answers live" "$tmp/q2"
fi

# The end: the followers stop, the student's lab sends what it owes.
kill -TERM "$sims"
wait "$sims"
rc_sim=$?
sims=""
outbox=$(ls "$XDG_STATE_HOME"/rabbitlab/class-$K-Li.outbox 2>/dev/null)
made() { # every event made: the followers', then the student's
	cat "$tmp/done.jsonl"
	sed -n 's/^E [0-9]* //p' "$outbox" 2>/dev/null
}
made >"$tmp/all.jsonl"
want=$(wc -l <"$tmp/all.jsonl")
for _ in $(seq 300); do
	shot dash
	grep -Eq "29 students, $want events" "$tmp/dash.screen" && break
	sleep 0.2
done
made >"$tmp/all.jsonl"
t send-keys -t dash End
sleep 0.7
t capture-pane -p -t dash >"$tmp/dash.2"
ids=$(python3 -c 'import json, sys
print(len({json.loads(l)["id"] for l in open(sys.argv[1])}))' "$tmp/all.jsonl")
if [ "$rc_sim" = 0 ] && [ "$ids" = "$(wc -l <"$tmp/all.jsonl")" ] &&
    python3 tests/live/classroom.py screen en "$tmp/all.jsonl" \
    "$tmp/dash.screen" "$tmp/dash.2" >"$tmp/cmp" 2>&1; then
	ok "class-done: the dashboard equals what the 29 made, each event once through the crash ($(cut -c5- "$tmp/cmp"))"
else
	{ echo "simulate $rc_sim, distinct ids $ids"; cat "$tmp/cmp" "$tmp/dash.screen" "$tmp/sim.out"; } >"$tmp/c"
	ko "class-done: the dashboard equals what the 29 made" "$tmp/c"
fi
t send-keys -t dash q
for _ in $(seq 25); do
	[ -s "$tmp/dash.rc" ] && break
	sleep 0.2
done
if [ "$(cat "$tmp/dash.rc" 2>/dev/null)" = 0 ] && [ "$(wc -l <"$tmp/done.csv")" -gt 29 ]; then
	ok "class-done: q ends the dashboard (status 0, --csv with $(($(wc -l <"$tmp/done.csv") - 1)) rows)"
else
	cat "$tmp/dash.err" >>"$tmp/dash.screen"
	ko "class-done: q ends the dashboard" "$tmp/dash.screen"
fi
echo "== class_done.sh took $(($(date +%s) - t0)) s"
finish
