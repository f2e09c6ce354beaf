#!/usr/bin/env bash
# The live suite: every shipped lesson and every fact scenario that is not
# sim_only, played on the simulated engine and on a real RabbitMQ, with the
# two ledgers compared (rabbitlab compare); some of them again with the
# ASan+UBSan build (ASAN_BIN) and under valgrind; the live engine's failure
# handling (bad credentials, missing vhost, refused port, a silent peer, a
# memory alarm, a broker the lab may not kill, SIGTERM while the lab runs
# its own node, the node killed under the lab); and the screen on the live
# engine in tmux.
#
#   tests/live/run.sh build/rabbitlab
#
# `compare` plays each lesson's challenge too, with and without its
# solution, on both engines.
#
# One private node (tests/live/node.sh) serves the whole run through
# RABBITLAB_NODE; it is stopped at the end, whatever happens. Prints PASS or
# FAIL per check and ends with "N passed, N failed"; exits 1 if anything
# failed. Never skipped: without rabbitmq-server it fails (make deps).
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/run.sh path/to/rabbitlab}
PER_SCRIPT=${LIVE_SCRIPT_TIMEOUT:-240}
KO_LINES=40
needs_lab live

scratch live
# Three private nodes, one lane each; the lanes take scripts from one queue
# at once (most of a script's time is waiting on real time); the rest of
# the suite uses the first node. Nothing that only needs the CPU runs
# beside them. (Four lanes beside the side suites loaded this 2-core
# machine until restarts took 40 s and timed scripts failed.) A lane plays its scripts one after
# another, so a crash on its node disturbs only the script that asked for
# it.
node=$tmp/node
nodes="$tmp/node $tmp/node2 $tmp/node3"
node2=$tmp/node2
hogs=""
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	# shellcheck disable=SC2086
	[ -n "$hogs" ] && kill $hogs 2>/dev/null
	for n in $nodes; do
		tests/live/node.sh stop "$n" >/dev/null 2>&1
	done
}

t0=$(date +%s)
for n in $nodes; do
	tests/live/node.sh start "$n" >"$n.out" 2>&1 &
done
started=1
for job in $(jobs -p); do wait "$job" || started=0; done
for n in $nodes; do
	[ -s "$n/node.env" ] && grep -q '^LAB_PID=' "$n/node.env" || started=0
done
if [ "$started" = 1 ]; then
	ok "three private nodes started ($(($(date +%s) - t0)) s)"
else
	for n in $nodes; do cat "$n.out"; done >"$tmp/node.out" 2>/dev/null
	ko "private nodes" "$tmp/node.out"
	finish
fi
port=$(sed -n 's/^RABBITMQ_NODE_PORT=//p' "$node/node.env")

# run_one LABEL WHAT NODE COMMAND...: runs COMMAND against node NODE (via
# RABBITLAB_NODE) within the per-script timeout; prints "PASS LABEL WHAT (N
# s)", or FAIL with the first 40 lines of its output when it exits non-zero
# or its output holds a sanitizer's report.
run_one() {
	local label=$1 what=$2 n=$3 out rc took s0
	shift 3
	out=$(mktemp "$tmp/c.XXXXXX")
	s0=$(date +%s)
	RABBITLAB_NODE=$n timeout -k 10 "$PER_SCRIPT" "$@" >"$out" 2>&1
	rc=$?
	took=$(($(date +%s) - s0))
	if [ "$rc" -eq 0 ] && ! grep -q 'Sanitizer\|runtime error' "$out"; then
		printf 'PASS %s %s (%d s)\n' "$label" "$what" "$took"
	else
		[ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] &&
			echo "timed out after ${PER_SCRIPT} s" >>"$out"
		printf 'FAIL %s %s (exit %d, %d s)\n' "$label" "$what" "$rc" "$took"
		sed -n '1,40p' "$out" | sed 's/^/    /'
	fi
	rm -f "$out"
}

# One script on both engines against node $2, ledgers compared.
compare_one() { # script node [option...]
	local f=$1 n=$2
	shift 2
	run_one live "$f" "$n" "$BIN" "$@" compare "$f"
}

# One generated scenario (rabbitlab gen --seed $1) on both engines against
# node $2, as the differential campaign (tests/live/diff.sh) plays it.
gen_one() { # seed node
	run_one "live generated scenario" "$1" "$2" \
	    "$BIN" diff --seed "$1" --count 1
}

# One script replayed on the live engine against node $2, as a learner runs
# it: every expectation holds, or is one its step's compare rule says a
# real broker differs on (then "not judged on a real broker").
replay_one() { # script node
	local out
	out=$(mktemp "$tmp/r.XXXXXX")
	if RABBITLAB_NODE=$2 timeout -k 10 "$PER_SCRIPT" \
	    "$BIN" --engine=live replay "$1" >"$out" 2>&1; then
		printf 'PASS live replay %s (%s not judged)\n' "$1" \
		    "$(grep -c 'not judged on a real broker' "$out")"
	else
		printf 'FAIL live replay %s\n' "$1"
		grep -E 'FAILED|rabbitlab:' "$out" | sed -n '1,20p' | sed 's/^/    /'
	fi
	rm -f "$out"
}

echo "== the simulated and the live engine, script by script"
# Scripts whose figures are rates or short windows run last, alone, so no
# other lane's load skews them (the tolerances in their scripts are for
# this machine unloaded). Every other script, three generated scenarios
# and three live replays go into one queue that the three lanes take from,
# the longest first (measured here: lesson 10 about 160 s, lesson 12 120 s,
# f30 70 s, lesson 06 55 s, then 40 s and less), so the lanes end close
# together.
rated=" lessons/05-confirms-returns.cfg lessons/08-failures.cfg tests/facts/f08-confirm-latency.cfg tests/facts/f09-throughput-no-confirms.cfg tests/facts/f10-throughput-batch-confirms.cfg tests/facts/f11-throughput-each-confirm.cfg tests/facts/f22-requeue-hot-loop.cfg "
longest="lessons/10-reconciliation.cfg lessons/12-capstone.cfg tests/facts/f30-blackhole-heartbeat.cfg lessons/06-broker.cfg lessons/03-payment-story.cfg tests/facts/f33-young-quorum-crash.cfg lessons/01-first-message.cfg tests/facts/f12-crash-nondurable.cfg lessons/04-producer-network.cfg tests/facts/f13-crash-bindings.cfg tests/facts/f32-redelivered-after-crash.cfg tests/facts/f31-clean-stop-unwritten.cfg"
rates=""
queue=$tmp/queue
for f in $longest; do echo "compare $f"; done >"$queue"
# Generated scenarios (as many as the suite's 15 minutes allow): two that
# crash or stop the broker, one that injects seven failures; `make diff`
# plays hundreds.
for seed in 137 143 254; do echo "gen $seed"; done >>"$queue"
for f in lessons/*.cfg tests/facts/*.cfg tests/live/many-consumers.cfg \
    tests/live/many-headers.cfg; do
	[ -e "$f" ] || continue
	if grep -Eq '^[[:space:]]*sim_only[[:space:]]*=[[:space:]]*true' "$f"; then
		continue
	fi
	if [ "${rated#* $f }" != "$rated" ]; then
		rates="$rates $f"
	elif ! grep -qxF "compare $f" "$queue"; then
		echo "compare $f"
	fi
done >>"$queue"
# The live engine's own code under the sanitizers and valgrind: a few
# scripts that between them take every path (routing, confirms, returns,
# nacks, redelivery, dead-lettering, a crash and restart, a leaderless
# quorum queue), with the build tests/run.sh made (ASAN_BIN). Only scripts
# whose outcome does not hang on speed: instrumented builds run several
# times slower, which rate and latency checks would rightly notice. They
# are replayed on the live engine, as a learner runs them (their ledgers
# against the simulator's are the plain build's items above: lesson 07's
# challenge counts what a consumer finishes in 250 ms, which a build
# several times slower on a loaded machine does not).
if [ -n "${ASAN_BIN:-}" ] && [ -x "$ASAN_BIN" ]; then
	for f in lessons/02-exchanges.cfg lessons/07-consumer.cfg \
	    tests/facts/f01-missing-exchange.cfg \
	    tests/facts/f04-unroutable-mandatory.cfg \
	    tests/facts/f06-reject-publish.cfg \
	    tests/facts/f14-crash-classic.cfg \
	    tests/facts/f24-reject-dead-letter.cfg \
	    tests/facts/f33-young-quorum-crash.cfg \
	    tests/live/many-consumers.cfg; do
		echo "asan $f"
	done >>"$queue"
fi
if command -v valgrind >/dev/null; then
	for f in lessons/02-exchanges.cfg tests/facts/f04-unroutable-mandatory.cfg \
	    tests/facts/f24-reject-dead-letter.cfg; do
		echo "valgrind $f"
	done >>"$queue"
fi
# Lessons whose races once failed a learner's live run, replayed live.
for f in lessons/07-consumer.cfg lessons/08-failures.cfg \
    lessons/09-idempotency.cfg; do
	echo "replay $f"
done >>"$queue"

# One script replayed on the live engine by the ASan+UBSan build against
# node $2.
asan_one() { # script node
	ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
	LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp \
	UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1 \
	    run_one "asan live" "$1" "$2" "$ASAN_BIN" --engine=live replay -q \
	    "$1"
}

# One script replayed on the live engine under valgrind against node $2.
valgrind_one() { # script node
	run_one "valgrind live" "$1" "$2" valgrind -q --leak-check=full \
	    --errors-for-leak-kinds=definite --error-exitcode=9 \
	    "$BIN" --engine=live replay -q "$1"
}

# Takes the queue's first line (empty when the queue is empty).
take() {
	flock "$queue.lock" sh -c 'head -n 1 "$1"; sed -i 1d "$1"' _ "$queue"
}

# One lane: plays what it takes from the queue against node $1.
lane() { # node
	local kind what
	while read -r kind what < <(take) && [ -n "$kind" ]; do
		case $kind in
		compare) compare_one "$what" "$1" ;;
		gen) gen_one "$what" "$1" ;;
		replay) replay_one "$what" "$1" ;;
		asan) asan_one "$what" "$1" ;;
		valgrind) valgrind_one "$what" "$1" ;;
		esac
	done
}

t0=$(date +%s)
# The standalone suites start nodes of their own and mostly wait on them,
# so they run beside the lanes in one chain, one suite after another (each
# boots nodes), and are done before the rates run. (The classroom suites,
# which start dozens of labs, run before this suite: tests/run.sh.)
side_chain() { # suite...
	local s s0
	for s in "$@"; do
		s0=$(date +%s)
		# Below the lanes' priority: the lanes' windows are tighter
		# than the side suites' generous waits.
		nice -n 5 bash "tests/live/$s.sh" "$BIN" >"$tmp/side.$s" 2>&1
		echo "$(($(date +%s) - s0))" >"$tmp/side.$s.took"
	done
}
sides="secrets shared lifetime watch watch_fail watch_screen"
# shellcheck disable=SC2086
side_chain $sides &
lanes=""
for n in $nodes; do
	lane "$n" >"$tmp/lane.${n##*/}" 2>&1 &
	lanes="$lanes lane.${n##*/}"
done
wait
for f in $rates; do compare_one "$f" "$node2"; done >"$tmp/lane3" 2>&1
# The same again with a CPU hog beside them, one busy loop per core at the
# lab's own priority, as on a learner's laptop that is compiling. Outcomes
# must hold exactly; a window that measures speed (a rate rule, a mid-stream
# checkpoint) may be up to 20 times slower on top of its rule's tolerance:
# beside such a hog, and other work, this machine took up to 24 times as
# long (f22: 42 redeliveries in its window where 1001 come unloaded). A
# stream that stops still fails. Lessons 07 and 09 join them (they failed
# under load once).
# The checks that only need the CPU (tests/run.sh's valgrind and fuzzers)
# start now, as part of that load, and end before the hog lane does.
[ -n "${LIVE_HOG_MARK:-}" ] && touch "$LIVE_HOG_MARK"
for _ in $(seq "$(nproc)"); do
	( while :; do :; done ) &
	hogs="$hogs $!"
done
for f in $rates lessons/07-consumer.cfg lessons/09-idempotency.cfg; do
	compare_one "$f" "$node2" --load-factor=20
done | sed -E 's/^(PASS|FAIL) live /\1 live beside a CPU hog: /' >"$tmp/lane4" 2>&1
# shellcheck disable=SC2086
kill $hogs 2>/dev/null
hogs=""
tests/live/node.sh stop "$tmp/node3" >/dev/null 2>&1
for l in $lanes lane3 lane4; do tally "$tmp/$l"; done
for s in $sides; do
	echo "== tests/live/$s.sh ($(cat "$tmp/side.$s.took" 2>/dev/null) s)"
	if tail -1 "$tmp/side.$s" | grep -Eq '^[0-9]+ passed, [0-9]+ failed$'; then
		tally "$tmp/side.$s"
	else
		ko "tests/live/$s.sh ran to its end" "$tmp/side.$s"
	fi
done
echo "== total of the script comparisons: $(($(date +%s) - t0)) s"
tests/live/node.sh stop "$node2" >/dev/null 2>&1

# --seed reaches both engines of a comparison (it used to be ignored).
RABBITLAB_NODE=$node timeout -k 10 "$PER_SCRIPT" "$BIN" --seed 7 compare \
    tests/facts/f04-unroutable-mandatory.cfg >"$tmp/c.out" 2>&1
rc=$?
if [ "$rc" -eq 0 ] && grep -q "^== f04-unroutable-mandatory: sim vs live, seed 7$" "$tmp/c.out"; then
	ok "compare --seed 7: both engines from seed 7"
else
	echo "exit $rc" >>"$tmp/c.out"
	ko "compare --seed 7" "$tmp/c.out"
fi

echo "== failure handling"
# A check: the command fails with exit 2, within `secs`, with `want` on
# stderr and never the password.
refused() { # label want secs url
	local label=$1 want=$2 secs=$3 url=$4 s0 rc
	s0=$(date +%s)
	RABBITLAB_URL=$url timeout -k 5 "$secs" "$BIN" --engine=live replay -q \
	    lessons/01-first-message.cfg >"$tmp/o.out" 2>"$tmp/o.err"
	rc=$?
	if [ "$rc" -eq 2 ] && grep -qF -- "$want" "$tmp/o.err" &&
	    ! grep -q 's3cr3t' "$tmp/o.out" "$tmp/o.err"; then
		ok "$label ($(($(date +%s) - s0)) s)"
	else
		echo "exit $rc; wanted exit 2 and '$want', no password" >>"$tmp/o.err"
		ko "$label" "$tmp/o.err"
	fi
}
refused "wrong password: 403, password not shown" "403" 30 \
    "amqp://guest:s3cr3t@127.0.0.1:$port"
refused "missing vhost: 530" "530" 30 \
    "amqp://guest:guest@127.0.0.1:$port/no-such-vhost"
free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
refused "refused port" "refused" 30 "amqp://guest:s3cr3t@127.0.0.1:$free"
refused "query strings rejected" "query strings" 30 \
    "amqp://guest:s3cr3t@127.0.0.1:$port/?heartbeat=5"
# A peer that accepts and never speaks AMQP.
python3 - "$tmp/silent.port" <<'EOF' &
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 0))
s.listen(8)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
conns = []
end = time.time() + 60
while time.time() < end:
    s.settimeout(1)
    try:
        conns.append(s.accept()[0])
    except OSError:
        pass
EOF
silent_pid=$!
for _ in $(seq 50); do [ -s "$tmp/silent.port" ] && break; sleep 0.1; done
refused "silent peer: the handshake is bounded" "no AMQP handshake" 30 \
    "amqp://guest:s3cr3t@127.0.0.1:$(cat "$tmp/silent.port")"
kill "$silent_pid" 2>/dev/null
wait "$silent_pid" 2>/dev/null
# The screen without a terminal refuses before any node is started.
s0=$(date +%s%N)
timeout -k 5 30 "$BIN" --engine=live --spawn-broker lab \
    lessons/01-first-message.cfg </dev/null >"$tmp/o.out" 2>"$tmp/o.err"
rc=$?
ms=$((($(date +%s%N) - s0) / 1000000))
if [ "$rc" -eq 2 ] && grep -q "not a terminal" "$tmp/o.err" &&
    ! grep -q "starting\|node" "$tmp/o.err" && [ "$ms" -lt 2000 ]; then
	ok "no terminal: refused at once, no node started ($ms ms)"
else
	echo "exit $rc after $ms ms; wanted exit 2 within 2 s, no node" >>"$tmp/o.err"
	ko "no terminal: refused at once, no node started" "$tmp/o.err"
fi

# Replays `script` on the live engine, with the environment words given
# (VAR=VALUE), while the shell command `action` runs beside it; the
# transcript goes to $tmp/o.out line by line (stdbuf), so that `action` may
# watch it; returns the replay's exit status.
replay_while() { # script action env...
	local script=$1 action=$2 side rc
	shift 2
	bash -c "$action" >>"$tmp/ctl.out" 2>&1 &
	side=$!
	env "$@" timeout -k 5 100 stdbuf -oL "$BIN" --engine=live replay \
	    "$script" >"$tmp/o.out" 2>&1
	rc=$?
	wait "$side"
	return "$rc"
}

# A memory alarm: connection.blocked on screen and in the transcript, the
# payment waits, and goes through once the alarm clears: 2 s after the
# transcript shows the block (at most 60 s on).
tests/live/node.sh ctl "$node" set_vm_memory_high_watermark 0.00001 >"$tmp/ctl.out" 2>&1
replay_while tests/live/blocked.cfg "for _ in \$(seq 120); do
	grep -q 'connection.blocked' '$tmp/o.out' && break; sleep 0.5; done
    sleep 2; tests/live/node.sh ctl $node set_vm_memory_high_watermark 0.4" \
    RABBITLAB_NODE="$node"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "connection.blocked (low on memory" "$tmp/o.out" &&
    grep -q "connection.unblocked" "$tmp/o.out"; then
	ok "memory alarm: connection.blocked, then unblocked, nothing lost"
else
	echo "exit $rc" >>"$tmp/o.out"
	cat "$tmp/ctl.out" >>"$tmp/o.out"
	ko "memory alarm: connection.blocked, then unblocked" "$tmp/o.out"
fi

# A broker the lab did not start may not be killed.
RABBITLAB_URL=amqp://guest:guest@127.0.0.1:$port timeout -k 5 120 \
    "$BIN" --engine=live replay -q tests/facts/f14-crash-classic.cfg \
    >"$tmp/o.out" 2>"$tmp/o.err"
rc=$?
if [ "$rc" -eq 2 ] && grep -q "did not start" "$tmp/o.err"; then
	ok "external broker: broker_crash refused with a reason"
else
	echo "exit $rc" >>"$tmp/o.err"
	ko "external broker: broker_crash refused with a reason" "$tmp/o.err"
fi

# The lab's own node goes away with the lab on SIGTERM.
mkdir -p "$tmp/rt"
XDG_RUNTIME_DIR=$tmp/rt "$BIN" --engine=live replay -q \
    tests/facts/f30-blackhole-heartbeat.cfg >"$tmp/sig.out" 2>"$tmp/sig.err" &
lab=$!
nodedir=
for _ in $(seq 600); do
	nodedir=$(ls -d "$tmp"/rt/rabbitlab-node-* 2>/dev/null | head -1)
	[ -n "$nodedir" ] && grep -q '^LAB_PID=' "$nodedir/node.env" 2>/dev/null && break
	sleep 0.2
done
beam=$(sed -n 's/^LAB_PID=//p' "$nodedir/node.env" 2>/dev/null)
sleep 1
kill -TERM "$lab" 2>/dev/null
wait "$lab" 2>/dev/null
gone=0
for _ in $(seq 150); do
	if [ -n "$beam" ] && ! kill -0 "$beam" 2>/dev/null && [ ! -d "$nodedir" ]; then
		gone=1
		break
	fi
	sleep 0.2
done
if [ -n "$beam" ] && [ "$gone" -eq 1 ]; then
	ok "SIGTERM stops the lab's own node (pid $beam) and removes its directory"
else
	echo "node pid '${beam}', directory '${nodedir}'" >>"$tmp/sig.err"
	ko "SIGTERM stops the lab's own node" "$tmp/sig.err"
	[ -n "$beam" ] && kill -KILL "$beam" 2>/dev/null
fi

echo "== the screen on the live engine (tmux)"
# Lesson 01 on the private node: the header says live, the first steps run
# back to back up to the question and no check fails, a real kill -9
# from the keyboard takes the node down and B starts it again.
if command -v tmux >/dev/null; then
	sock=$tmp/tmux.sock
	shot() { tmux -S "$sock" capture-pane -p -t lv; }
	wait_for() { # text seconds [grep option]
		local i
		for i in $(seq $(($2 * 5))); do
			shot | grep -q "${3:--F}" -- "$1" && return 0
			sleep 0.2
		done
		return 1
	}
	tmux -S "$sock" new-session -d -s lv -x 120 -y 40 \
	    "RABBITLAB_CHECKS=1 RABBITLAB_NODE=$node LC_ALL=C.UTF-8 $BIN --engine=live --lang=en lab lessons/01-first-message.cfg 2>$tmp/ui.err; echo EXIT \$?; sleep 60"
	if wait_for "live RabbitMQ" 30; then
		ok "screen: the header says live RabbitMQ"
	else
		shot >"$tmp/shot"; ko "screen: the header says live RabbitMQ" "$tmp/shot"
	fi
	tmux -S "$sock" send-keys -t lv ' '
	if wait_for "Press 1-3" 20 && ! shot | grep -q "failed ("; then
		ok "screen: steps run to the question in real time, no check failed"
	else
		shot >"$tmp/shot"; ko "screen: steps run to the question" "$tmp/shot"
	fi
	tmux -S "$sock" send-keys -t lv 'K'
	if wait_for "kill -9" 10 && wait_for "broker +down" 10 -E; then
		ok "screen: K kills the node (kill -9)"
	else
		shot >"$tmp/shot"; ko "screen: K kills the node (kill -9)" "$tmp/shot"
	fi
	tmux -S "$sock" send-keys -t lv 'B'
	if wait_for "broker started" 60 && wait_for "broker +up" 10 -E; then
		ok "screen: B starts it again"
	else
		shot >"$tmp/shot"; ko "screen: B starts it again" "$tmp/shot"
	fi
	tmux -S "$sock" send-keys -t lv BSpace
	if wait_for "undo needs the simulated engine" 5; then
		ok "screen: undo is refused with a reason"
	else
		shot >"$tmp/shot"; ko "screen: undo is refused with a reason" "$tmp/shot"
	fi
	tmux -S "$sock" send-keys -t lv 'q'
	if wait_for "EXIT 0" 30; then
		ok "screen: quits with status 0"
	else
		shot >"$tmp/shot"; ko "screen: quits with status 0" "$tmp/shot"
	fi
	tmux -S "$sock" kill-server 2>/dev/null
	# A broker that refuses: the terminal is given back with the reason.
	# A port free now (the one found earlier may be a relay's by now).
	free=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
	tmux -S "$sock" new-session -d -s lv -x 120 -y 40 \
	    "LC_ALL=C.UTF-8 $BIN --engine=live --broker=amqp://guest:s3cr3t@127.0.0.1:$free/ lab lessons/01-first-message.cfg; echo EXIT \$?; sleep 60"
	if wait_for "EXIT 2" 30 && shot | grep -q "did not start: .*connection refused" &&
	    ! shot | grep -q s3cr3t; then
		ok "screen: a refusing broker gives the reason, exit 2, no password"
	else
		shot >"$tmp/shot"; ko "screen: a refusing broker gives the reason" "$tmp/shot"
	fi
	tmux -S "$sock" kill-server 2>/dev/null
else
	ko "screen on the live engine: tmux is not installed (make deps)"
fi

# Last, as it takes the shared node down: killed under a lab that did not
# start it, the lab goes on, tells the producer, and ends on time.
pid=$(tests/live/node.sh ctl "$node" eval 'os:getpid().' 2>/dev/null | tr -dc 0-9)
s0=$(date +%s)
replay_while tests/live/killed.cfg "sleep 2; [ -n '$pid' ] && kill -KILL '$pid'" \
    RABBITLAB_URL="amqp://guest:guest@127.0.0.1:$port"
rc=$?
if [ "$rc" -eq 0 ] && grep -q "producer   publish failed" "$tmp/o.out" &&
    grep -q "consumer   connection refused" "$tmp/o.out"; then
	ok "broker killed under the lab: producer told, consumer retries, no hang ($(($(date +%s) - s0)) s)"
else
	echo "exit $rc (beam pid '$pid')" >>"$tmp/o.out"
	ko "broker killed under the lab" "$tmp/o.out"
fi

echo "== total $(($(date +%s) - t0)) s"
finish
