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
# What waits on real time: the node's boot (about 5 s) and the students'
# pace (80 ms between events: about 1 s). About 15 s on this 2-core machine.
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
SOCK=rabbitlab-classroom-$$
t() { tmux -L "$SOCK" -f /dev/null "$@"; }
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	t kill-server 2>/dev/null
	tests/live/node.sh stop "$node" >/dev/null 2>&1
}

t0=$(date +%s)
if ! tests/live/node.sh start "$node" >"$tmp/node.out" 2>&1; then
	ko "classroom: a private node" "$tmp/node.out"
	finish
fi
port=$(sed -n 's/^RABBITMQ_NODE_PORT=//p' "$node/node.env")
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
	    "exec env -u LC_ALL LANG=C.UTF-8 XDG_STATE_HOME='$XDG_STATE_HOME' \
	    '$BIN' --lang $lang class --class-name $name --csv '$tmp/$name.csv' \
	    '$url' 2>'$tmp/$name.err'"
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
		[ "$(t display-message -p -t "$name" '#{pane_dead}')" = 1 ] && break
		sleep 0.2
	done
	st=$(t display-message -p -t "$name" '#{pane_dead}:#{pane_dead_status}')
	rows=$(($(wc -l <"$tmp/$name.csv" 2>/dev/null || echo 1) - 1))
	want=$(python3 -c 'import json, sys
print(len({(e["id"].rsplit("-", 1)[0], e["lesson"]) for e in map(json.loads, open(sys.argv[1]))}))' "$tmp/$name.jsonl")
	if [ "$st" = 1:0 ] && [ "$rows" = "$want" ]; then
		ok "classroom: q ends the $size $lang dashboard (status 0, --csv with $rows rows)"
	else
		{ echo "pane $st, csv rows $rows, want $want"; cat "$tmp/$name.err"; } >"$tmp/q"
		ko "classroom: q ends the $size $lang dashboard" "$tmp/q"
	fi
done
tests/live/node.sh stop "$node" >/dev/null 2>&1
echo "== classroom.sh took $(($(date +%s) - t0)) s"
finish
