#!/usr/bin/env bash
# The class dashboard on screen, on a private node.
#
#   tests/live/classroom.sh build/rabbitlab
#
# Four dashboards run in tmux (80x24 and 120x40, English and Chinese),
# each on a class of its own (a class's queue has one consumer: two
# dashboards on one class would share its events), each fed by `rabbitlab
# class simulate` (16 students, 10 events each, every event written to a
# file as it is made). Once every student has sent all it owed, each
# screen must say the sums of what was sent (tests/live/classroom.py: the
# students and events in its title, every student's name once scrolled,
# each lesson's solve rate, the current question's answers per choice);
# the Chinese ones must show no English screen words. q then ends each
# dashboard with status 0 and its --csv export holds a row per student
# and lesson it played.
#
# Then the teacher leads (on screen, in tmux): a teacher's lab (--teach)
# steps to lesson 01's first question; a student's lab with --follow,
# started on the lesson list, opens that lesson, reaches that step and
# says whom it follows; @ leaves follow mode (the teacher moves on, the
# student stays) and @ again catches up; 8 headless followers (class
# simulate --follow) answer the teacher's question, and the dashboard's
# --json distribution for it holds their answers and the student's. Last,
# on a two-step lesson made from lesson 01, the teacher opens the
# challenge and every follower (4 headless, 1 on screen) starts it then,
# not before.
# What waits on real time: the node's boot (about 5 s), the students'
# pace (80-100 ms between events) and the screens' keys. About 40-50 s on
# this 2-core machine.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/classroom.sh path/to/rabbitlab}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
needs_lab classroom
if ! command -v tmux >/dev/null; then
	ko "classroom: tmux is not installed"
	finish
fi

scratch classroom
node=$tmp/node
dash="" leadsim=""
SOCK=rabbitlab-classroom-$$
t() { tmux -L "$SOCK" -f /dev/null "$@"; }
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	for p in $dash $leadsim; do kill -KILL "$p" 2>/dev/null; done
	t kill-server 2>/dev/null
	tests/live/node.sh stop "$node" >/dev/null 2>&1
}

t0=$(date +%s)
start_node classroom "$node"
export RABBITLAB_URL="amqp://guest:guest@127.0.0.1:$port"
export XDG_STATE_HOME=$tmp/state
url=$RABBITLAB_URL

# name SIZE LANG PREFIX: a class per screen.
screens="s80en:80x24:en:student s120en:120x40:en:student
s80zh:80x24:zh:学生 s120zh:120x40:zh:学生"
t new-session -d -s keep -x 80 -y 24 "sleep 600"
t set-option -g remain-on-exit on >/dev/null
for s in $screens; do
	IFS=: read -r name size lang _ <<<"$s"
	t new-session -d -s "$name" -x "${size%x*}" -y "${size#*x}" \
	    "env -u LC_ALL LANG=C.UTF-8 XDG_STATE_HOME='$XDG_STATE_HOME' \
	    '$BIN' --lang $lang class --class-name $name --csv '$tmp/$name.csv' \
	    '$url' 2>'$tmp/$name.err'; echo \$? >'$tmp/$name.rc'"
done
sims=""
for s in $screens; do
	IFS=: read -r name _ _ prefix <<<"$s"
	"$BIN" class simulate --class-name "$name" --students 16 --events 10 \
	    --pace 80 --seed 3 --for 60 --student "$prefix" \
	    --sent "$tmp/$name.jsonl" "$url" >"$tmp/$name.sim" 2>&1 &
	sims="$sims $!"
done
simrc=0
# shellcheck disable=SC2086
for p in $sims; do wait "$p" || simrc=1; done
if [ "$simrc" = 0 ]; then
	ok "classroom: 4 classes of 16 simulated students sent all they owed"
else
	cat "$tmp"/*.sim >"$tmp/sims"
	ko "classroom: the simulated students" "$tmp/sims"
fi

for s in $screens; do
	IFS=: read -r name size lang _ <<<"$s"
	want=$(wc -l <"$tmp/$name.jsonl")
	# The screen counts each event as it comes: wait for the last one.
	for _ in $(seq 50); do
		t capture-pane -p -t "$name" >"$tmp/$name.1"
		grep -Eq "(^|[ ，])$want (events|个事件)" "$tmp/$name.1" && break
		sleep 0.2
	done
	# Scrolled to the end (the 80x24 screens hold fewer than 16 rows).
	t send-keys -t "$name" End
	sleep 0.7
	t capture-pane -p -t "$name" >"$tmp/$name.2"
	if python3 tests/live/classroom.py screen "$lang" "$tmp/$name.jsonl" \
	    "$tmp/$name.1" "$tmp/$name.2" >"$tmp/$name.cmp" 2>&1; then
		ok "classroom: the $size $lang dashboard says what was sent ($(cut -c5- "$tmp/$name.cmp"))"
	else
		cat "$tmp/$name.1" >>"$tmp/$name.cmp"
		ko "classroom: the $size $lang dashboard says what was sent" \
		    "$tmp/$name.cmp"
	fi
	if [ "$lang" = zh ]; then
		# The screen's own words, in English, must not show.
		if grep -E "students|events|Student|Solve|Median|question|quit|here|left|done|stuck" \
		    "$tmp/$name.1" "$tmp/$name.2" >"$tmp/$name.en"; then
			ko "classroom: the $size dashboard is in Chinese" "$tmp/$name.en"
		else
			ok "classroom: the $size dashboard is in Chinese"
		fi
	fi
	t send-keys -t "$name" q
done
for s in $screens; do
	IFS=: read -r name size lang _ <<<"$s"
	for _ in $(seq 25); do
		[ -s "$tmp/$name.rc" ] && break
		sleep 0.2
	done
	st=$(cat "$tmp/$name.rc" 2>/dev/null)
	rows=$(($(wc -l <"$tmp/$name.csv" 2>/dev/null || echo 1) - 1))
	want=$(python3 -c 'import json, sys
print(len({(e["id"].rsplit("-", 1)[0], e["lesson"]) for e in map(json.loads, open(sys.argv[1]))}))' "$tmp/$name.jsonl")
	if [ "$st" = 0 ] && [ "$rows" = "$want" ]; then
		ok "classroom: q ends the $size $lang dashboard (status 0, --csv with $rows rows)"
	else
		{ echo "status $st, csv rows $rows, want $want"; cat "$tmp/$name.err"; } >"$tmp/q"
		ko "classroom: q ends the $size $lang dashboard" "$tmp/q"
	fi
done

# The teacher leads: a teacher's lab in tmux (lesson 01), a student's lab
# that follows it (opened on the lesson list: it must open the teacher's
# lesson), 8 headless followers and the dashboard (--json).
lab() { # session ARGS...: a lab at 100x30 in tmux
	local s=$1
	shift
	t new-session -d -s "$s" -x 100 -y 30 \
	    "exec env -u LC_ALL LANG=C.UTF-8 XDG_STATE_HOME='$XDG_STATE_HOME' \
	    RABBITLAB_LESSONS='${LESSONS:-$PWD/lessons}' '$BIN' --class '$url' \
	    --class-name ${CLASS:-lead} $* 2>'$tmp/$s.err'"
}
wait_screen() { # session REGEX: up to 10 s for it on the screen
	for _ in $(seq 50); do
		t capture-pane -p -t "$1" >"$tmp/$1.screen"
		grep -Eq "$2" "$tmp/$1.screen" && return 0
		sleep 0.2
	done
	return 1
}
"$BIN" class --json --class-name lead "$url" >"$tmp/lead.json" \
    2>"$tmp/lead.dash.err" &
dash=$!
lab teacher --student Chen --teach lab lessons/01-first-message.cfg
lab student --student Li --follow
"$BIN" class simulate --follow --class-name lead --students 8 --events 100 \
    --pace 100 --seed 4 --for 12 --student follower \
    --sent "$tmp/lead.jsonl" "$url" >"$tmp/lead.sim" 2>&1 &
leadsim=$!
wait_screen teacher "leading the class"
# One step, the learner's publish (+): lesson 01's first question (step index 1, "step 2 of 9").
t send-keys -t teacher +
if wait_screen student "following Chen" &&
    wait_screen student "step 2 of 9" &&
    grep -q "Press 1-3 to answer" "$tmp/student.screen"; then
	ok "classroom: a following lab opened the teacher's lesson and its question, and says whom it follows"
else
	ko "classroom: a following lab follows the teacher" "$tmp/student.screen"
fi
t send-keys -t student 2
wait_screen student "You predicted 2"
# Leaving follow mode: the teacher moves on, the student stays.
t send-keys -t student @
wait_screen student "@ follows Chen again"
sstep=$(grep -o "step [0-9]* of 9" "$tmp/student.screen" | head -1)
t send-keys -t teacher 2
for _ in 1 2 3 4; do
	sleep 0.4
	t send-keys -t teacher Space
done
sleep 1.5
t capture-pane -p -t teacher >"$tmp/teacher.screen"
t capture-pane -p -t student >"$tmp/student.screen"
tstep=$(grep -o "step [0-9]* of 9" "$tmp/teacher.screen" | head -1)
# The student's own step may still play out after its answer (the verdict
# shows at once and the step goes on), but never follows the teacher's.
scur=$(grep -o "step [0-9]* of 9" "$tmp/student.screen" | head -1)
if [ -n "$sstep" ] && [ -n "$scur" ] && [ "$tstep" != "$scur" ] &&
    ! grep -qi "following Chen" "$tmp/student.screen"; then
	ok "classroom: @ leaves follow mode (the teacher went on to $tstep, the student is at $scur)"
else
	ko "classroom: @ leaves follow mode (teacher: $tstep, student: $scur)" "$tmp/student.screen"
fi
t send-keys -t student @
if wait_screen student "$tstep" && grep -qi "following Chen" "$tmp/student.screen"; then
	ok "classroom: @ follows again and catches up ($tstep)"
else
	ko "classroom: @ follows again and catches up ($tstep)" "$tmp/student.screen"
fi
wait "$leadsim"
rc=$?
leadsim=""
queue_drained "$node" rabbitlab.class.lead.dashboard
sleep 0.5
kill -TERM "$dash"
wait "$dash"
dash=""
python3 - "$tmp/lead.json" "$tmp/lead.jsonl" >"$tmp/lead.cmp" 2>&1 <<'EOF'
import collections, json, sys
dash = json.load(open(sys.argv[1]))
sent = [json.loads(l) for l in open(sys.argv[2])]
bad = []
q1 = collections.Counter(e["choice"] for e in sent if e["kind"] == "answer"
                         and e["lesson"] == "01-first-message"
                         and e["question"] == 1)
if sum(q1.values()) != 8:
    bad.append("followers' answers to 01/1: %s, want 8" % dict(q1))
if any(e["lesson"] != "01-first-message" for e in sent):
    bad.append("a follower left the teacher's lesson")
q = [q for q in dash["questions"]
     if q["lesson"] == "01-first-message" and q["question"] == 1]
want = dict(q1)
want[1] = want.get(1, 0) + 1  # the student on screen answered 2
have = {i: n for i, n in enumerate(q[0]["choices"]) if n} if q else {}
if have != want:
    bad.append("dashboard's 01/1: %s, want %s" % (have, want))
print("question 01/1 on the dashboard: %s" % have)
for b in bad:
    print(b)
sys.exit(1 if bad else 0)
EOF
if [ $? = 0 ] && [ "$rc" = 0 ]; then
	ok "classroom: the followers answered the teacher's question; the dashboard's distribution holds every answer ($(head -1 "$tmp/lead.cmp"))"
else
	cat "$tmp/lead.sim" >>"$tmp/lead.cmp"
	ko "classroom: the followers answered the teacher's question (simulate $rc)" "$tmp/lead.cmp"
fi

# The challenge released: a two-step lesson made from lesson 01 (its
# first two steps, the question, and its challenge), so the teacher gets
# there in a few keys. A following lab and 4 headless followers start it
# when the teacher opens it, not before; the following lab's own space
# does not open it either.
mkdir -p "$tmp/lessons"
{
	# Lesson 01 to the end of its second step (the question), by its
	# text, not a line number: comments move lines.
	awk '{ print } /unacked = 1; } \); },[[:space:]]*$/ { exit }' \
	    lessons/01-first-message.cfg |
	    sed 's/^id = "01-first-message";/id = "99-lead";/; $s/},[[:space:]]*$/}/'
	echo ");"
	sed -n '/^challenge = {/,$p' lessons/01-first-message.cfg
} >"$tmp/lessons/99-lead.cfg"
export LESSONS=$tmp/lessons CLASS=release
lab teacher2 --student Chen --teach lab "$tmp/lessons/99-lead.cfg"
lab student2 --student Li --follow
RABBITLAB_LESSONS=$LESSONS "$BIN" class simulate --follow --class-name release \
    --students 4 --events 30 --pace 100 --for 30 --student follower \
    --sent "$tmp/release.jsonl" "$url" >"$tmp/release.sim" 2>&1 &
leadsim=$!
wait_screen teacher2 "leading the class"
t send-keys -t teacher2 +
wait_screen student2 "Press 1-3 to answer"
t send-keys -t student2 2
t send-keys -t teacher2 2
sleep 1
# Space at the end of the steps does not open the challenge before the
# teacher does: the lab says who opens it.
for _ in 1 2 3; do
	t send-keys -t student2 Space
	sleep 0.5
done
if wait_screen student2 "The teacher opens the challenge" &&
    ! grep -q "Challenge: set the toggles" "$tmp/student2.screen"; then
	ok "classroom: a follower's space waits for the teacher to open the challenge"
else
	ko "classroom: a follower's space waits for the teacher to open the challenge" "$tmp/student2.screen"
fi
before=$(grep -c '"challenge"' "$tmp/release.jsonl")
for _ in 1 2 3 4; do
	t send-keys -t teacher2 Space
	sleep 0.6
done
# Students who ran the challenge: each of the 4, within 10 s.
ran() {
	python3 -c 'import json, sys
e = [json.loads(l) for l in open(sys.argv[1])]
print(len({x["id"].rsplit("-", 1)[0] for x in e
           if x["kind"] == "challenge" and x["lesson"] == "99-lead"}))' \
	    "$tmp/release.jsonl"
}
for _ in $(seq 50); do
	[ "$(ran)" = 4 ] && break
	sleep 0.2
done
kill -TERM "$leadsim"
wait "$leadsim"
rc=$?
leadsim=""
got=$(ran)
if [ "$rc" = 0 ] && [ "$before" = 0 ] && [ "$got" = 4 ] &&
    wait_screen student2 "Challenge: set the toggles"; then
	ok "classroom: the challenge reached the followers when the teacher opened it (4 headless ran it, none before; the following lab opened it)"
else
	{ echo "simulate $rc, challenge runs before $before, students who ran it $got"; cat "$tmp/release.sim" "$tmp/student2.screen"; } >"$tmp/r"
	ko "classroom: the challenge reached the followers when the teacher opened it" "$tmp/r"
fi
tests/live/node.sh stop "$node" >/dev/null 2>&1
echo "== classroom.sh took $(($(date +%s) - t0)) s"
finish
