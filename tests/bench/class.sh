#!/usr/bin/env bash
# make bench, the classroom: 200 simulated students (`rabbitlab class
# simulate`, the lab's own reporting path) and the dashboard (`rabbitlab
# class --json`) on a private node, RUNS times (default 3), each on a class
# of its own; prints each run and the medians.
#
#   tests/bench/class.sh build/rabbitlab NODE_DIR [RUNS]
#
# Two loads a run: "paced", every student making an event every 0.25 to
# 0.75 s (about 400 events/s, a busy class of 200 and more), where the
# publish-to-count delay is the figure (the dashboard's own median and p99
# of the time from an event's making to its counting; the target is 1 s);
# and "burst", every student publishing its events as fast as its confirms
# allow, where events per second is the figure. CPU (utime + stime from
# /proc/PID/stat over the students' run) and memory (VmRSS of the broker
# at the end, VmHWM of the dashboard) are the broker's beam process and the
# dashboard's.
set -u
cd "$(dirname "$0")/../.."
BIN=${1:?usage: tests/bench/class.sh path/to/rabbitlab NODE_DIR [RUNS]}
NODE=${2:?which node directory?}
RUNS=${3:-3}
port=$(sed -n 's/^RABBITMQ_NODE_PORT=//p' "$NODE/node.env")
beam=$(sed -n 's/^LAB_PID=//p' "$NODE/node.env")
url="amqp://guest:guest@127.0.0.1:$port"
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rabbitlab-classbench.XXXXXX")
dash=""
trap '[ -n "$dash" ] && kill -KILL "$dash" 2>/dev/null; rm -rf "$tmp"' EXIT
hz=$(getconf CLK_TCK)

ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }

# One load: class $1, events $2 a student, pace $3 ms; one result line.
run_one() { # class events pace
	local class=$1 rc b0 d0 b1 d1 t0 t1 n
	XDG_STATE_HOME=$tmp/state.$class "$BIN" class --class-name "$class" \
	    --json "$url" >"$tmp/$class.json" 2>"$tmp/$class.err" &
	dash=$!
	sleep 0.5
	b0=$(ticks "$beam") d0=$(ticks "$dash") t0=$(date +%s.%N)
	XDG_STATE_HOME=$tmp/state.$class "$BIN" class simulate \
	    --class-name "$class" --students 200 --events "$2" --pace "$3" \
	    --for 300 "$url" >"$tmp/$class.sim" 2>&1
	rc=$?
	t1=$(date +%s.%N) b1=$(ticks "$beam") d1=$(ticks "$dash")
	for _ in $(seq 150); do
		n=$(tests/live/node.sh ctl "$NODE" list_queues -q name messages 2>/dev/null |
		    awk -v q="rabbitlab.class.$class.dashboard" '$1 == q { print $2 }')
		[ "$n" = 0 ] && break
		sleep 0.2
	done
	echo "$(kb "$beam" VmRSS) $(kb "$dash" VmHWM)" >"$tmp/$class.mem"
	kill -TERM "$dash"
	wait "$dash"
	dash=""
	[ "$rc" = 0 ] || { cat "$tmp/$class.sim" >&2; return 1; }
	python3 - "$tmp/$class.json" "$t0" "$t1" "$b0" "$b1" "$d0" "$d1" "$hz" \
	    $(cat "$tmp/$class.mem") <<'EOF'
import json, sys
d = json.load(open(sys.argv[1]))
t0, t1 = float(sys.argv[2]), float(sys.argv[3])
b0, b1, d0, d1, hz = (int(x) for x in sys.argv[4:9])
rss, hwm = int(sys.argv[9]), int(sys.argv[10])
wall = t1 - t0
print("%d %.0f %d %d %.0f %.0f %.0f %.1f" % (
    d["events"], d["events"] / wall, d["latency_ms"]["median"],
    d["latency_ms"]["p99"], 100.0 * (b1 - b0) / hz / wall,
    100.0 * (d1 - d0) / hz / wall, rss / 1024.0, hwm / 1024.0))
EOF
}

med() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

for load in paced burst; do
	: >"$tmp/$load.all"
	for i in $(seq "$RUNS"); do
		if [ "$load" = paced ]; then
			line=$(run_one "p$i" 20 500) || exit 1
		else
			line=$(run_one "b$i" 50 1) || exit 1
		fi
		echo "$line" >>"$tmp/$load.all"
		read -r ev rate p50 p99 bcpu dcpu brss dhwm <<<"$line"
		echo "class $load run $i: 200 students, $ev events, $rate events/s;" \
		    "publish to count median $p50 ms, p99 $p99 ms; broker CPU" \
		    "$bcpu%, RSS $brss MB; dashboard CPU $dcpu%, peak RSS $dhwm MB"
	done
	printf 'class %s, median of %s runs: %s events/s; publish to count median %s ms, p99 %s ms; broker CPU %s%%, RSS %s MB; dashboard CPU %s%%, peak RSS %s MB\n' \
	    "$load" "$RUNS" \
	    "$(cut -d' ' -f2 "$tmp/$load.all" | med)" \
	    "$(cut -d' ' -f3 "$tmp/$load.all" | med)" \
	    "$(cut -d' ' -f4 "$tmp/$load.all" | med)" \
	    "$(cut -d' ' -f5 "$tmp/$load.all" | med)" \
	    "$(cut -d' ' -f7 "$tmp/$load.all" | med)" \
	    "$(cut -d' ' -f6 "$tmp/$load.all" | med)" \
	    "$(cut -d' ' -f8 "$tmp/$load.all" | med)"
done
