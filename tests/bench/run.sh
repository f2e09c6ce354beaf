#!/usr/bin/env bash
# make bench: prints the figures. The simulated engine (build/bench), the
# screen on a pseudo-terminal (build/uibench), and the instruction count of
# one full redraw at 160x48 under callgrind, so later changes can be compared;
# then the live engine against a private RabbitMQ node (build/livebench):
# publish throughput through the lab beside a bare rabbitmq-c loop, and the
# simulated/live wall-time ratio of one script; a bare client straight to
# that node against the same client through `rabbitlab watch` and through
# socat (the ratio per confirm mode, the round trip each adds).
# LIVEBENCH_RUNS (default 5) sets how many runs the medians are taken
# over; then the classroom (tests/bench/class.sh, CLASSBENCH_RUNS runs,
# default 3).
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
LESSON=lessons/01-first-message.cfg

echo "== simulated engine"
"$BUILD/bench" || exit 1

echo "== screen (160x48, xterm-256color; median of 3 runs)"
"$BUILD/uibench" "$BUILD/rabbitlab" "$LESSON" 3 || exit 1

echo "== one full redraw at 160x48 (callgrind)"
out=$(mktemp)
"$BUILD/uibench" --once valgrind --tool=callgrind --callgrind-out-file="$out" \
    "$BUILD/rabbitlab" --lang=en lab "$LESSON" >/dev/null 2>&1
# In the caller tree, lab_draw's block lists its callers with (Nx) call
# counts above the line (marked *) that holds its inclusive cost.
read -r total calls < <(callgrind_annotate --inclusive=yes --tree=caller "$out" 2>/dev/null |
    awk '/^$/ { n = 0; next }
	/ < / { if (match($0, /\([0-9]+x\)/)) n += substr($0, RSTART + 1, RLENGTH - 3); next }
	/\*  .*:lab_draw( |$)/ { gsub(",", "", $1); print $1, n; exit }')
rm -f "$out"
if [ -n "$total" ] && [ -n "$calls" ] && [ "$calls" -gt 0 ]; then
	echo "screen: one full redraw (lab_draw, first frame) $((total / calls)) instructions ($calls call(s), $total in all)"
else
	echo "screen: callgrind count unavailable" >&2
	exit 1
fi

echo "== live engine (private RabbitMQ node)"
node=$(mktemp -d "${TMPDIR:-/tmp}/rabbitlab-bench.XXXXXX")
# node.sh stop removes the directory; it stops only the node started here.
trap 'tests/live/node.sh stop "$node" >/dev/null 2>&1; rm -rf "$node"' EXIT
trap 'exit 130' INT TERM
if ! tests/live/node.sh start "$node" >/dev/null; then
	echo "live engine: the private node did not start" >&2
	exit 1
fi
RABBITLAB_NODE=$node "$BUILD/livebench" "${LIVEBENCH_RUNS:-5}" \
    lessons/05-confirms-returns.cfg || exit 1

echo "== rabbitlab watch in front of the same node"
# A watch of its own (the test started it; its JSON lines go to /dev/null),
# ended by pid; waits at most 20 s for its listening line.
port=$(sed -n 's/^RABBITMQ_NODE_PORT=//p' "$node/node.env")
"$BUILD/rabbitlab" watch --json --listen 127.0.0.1:0 \
    --broker "amqp://guest:guest@127.0.0.1:$port" >/dev/null 2>"$node.watch" &
watch=$!
trap 'kill $watch 2>/dev/null; tests/live/node.sh stop "$node" >/dev/null 2>&1; rm -rf "$node" "$node.watch"' EXIT
for _ in $(seq 200); do
	grep -q 'listening on' "$node.watch" && break
	sleep 0.1
done
wport=$(sed -n 's/.*listening on [^ ]*:\([0-9][0-9]*\) for .*/\1/p' "$node.watch")
if [ -z "$wport" ]; then
	echo "watch: it did not start listening" >&2
	cat "$node.watch" >&2
	exit 1
fi
# socat, a plain forwarder nobody here wrote, in front of the same node:
# what two extra loopback hops cost any proxy on this machine. Its port is
# one nothing listens on (ss); if another process takes it first, socat
# exits and the next is tried.
fport=""
for _ in $(seq 20); do
	p=$((20000 + RANDOM % 30000))
	ss -Htln "sport = :$p" | grep -q . && continue
	socat "TCP-LISTEN:$p,bind=127.0.0.1,reuseaddr,fork,nodelay" \
	    "TCP:127.0.0.1:$port,nodelay" 2>/dev/null &
	fwd=$!
	for _ in $(seq 50); do
		ss -Htln "sport = :$p" | grep -q . && break
		kill -0 $fwd 2>/dev/null || break
		sleep 0.1
	done
	if ss -Htln "sport = :$p" | grep -q . && kill -0 $fwd 2>/dev/null; then
		fport=$p
		break
	fi
	kill $fwd 2>/dev/null
done
trap 'kill $watch $fwd 2>/dev/null; tests/live/node.sh stop "$node" >/dev/null 2>&1; rm -rf "$node" "$node.watch"' EXIT
[ -n "$fport" ] || echo "socat: it did not start listening; the watch is measured alone" >&2
RABBITLAB_NODE=$node "$BUILD/livebench" --watch "$wport" \
    "${LIVEBENCH_RUNS:-5}" "$watch" $fport || exit 1
kill "$watch" $fwd 2>/dev/null

echo "== the classroom (200 simulated students and the dashboard, same node)"
bash tests/bench/class.sh "$BUILD/rabbitlab" "$node" "${CLASSBENCH_RUNS:-3}" || exit 1
