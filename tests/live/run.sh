#!/usr/bin/env bash
# The live suite: every shipped lesson and every fact scenario that is not
# sim_only, played on the simulated engine and on a real RabbitMQ, with the
# two ledgers compared (rabbitlab compare); some of them again with the
# ASan+UBSan build (ASAN_BIN) and under valgrind; beside them, in one
# chain, the suites with nodes of their own: the live engine's failure
# handling and its screen (tests/live/failures.sh), shared brokers, the
# watch, and a whole class led by its teacher through a kill -9
# (class_done.sh). (tests/run.sh runs secrets.sh and lifetime.sh before.)
#
#   tests/live/run.sh build/rabbitlab
#
# `compare` plays each lesson's challenge too, with and without its
# solution, on both engines.
#
# Three private nodes (tests/live/node.sh) serve the lanes through
# RABBITLAB_NODE; they are stopped at the end, whatever happens. Prints PASS or
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
# LIVE_NODES_DIR: tests/run.sh started the three already (node, node2,
# node3 there), while its screen tests ended; they are this suite's now.
ndir=${LIVE_NODES_DIR:-$tmp}
node=$ndir/node
nodes="$ndir/node $ndir/node2 $ndir/node3"
node2=$ndir/node2
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
if [ -z "${LIVE_NODES_DIR:-}" ]; then
	for n in $nodes; do
		tests/live/node.sh start "$n" >"$n.out" 2>&1 &
	done
fi
started=1
for job in $(jobs -p); do wait "$job" || started=0; done
for n in $nodes; do
	[ -s "$n/node.env" ] && grep -q '^LAB_PID=' "$n/node.env" || started=0
done
if [ "$started" = 1 ]; then
	ok "three private nodes started ($(($(date +%s) - t0)) s${LIVE_NODES_DIR:+, and before this suite})"
else
	for n in $nodes; do cat "$n.out"; done >"$tmp/node.out" 2>/dev/null
	ko "private nodes" "$tmp/node.out"
	finish
fi

# run_one LABEL WHAT NODE COMMAND...: runs COMMAND against node NODE (via
# RABBITLAB_NODE) within the per-script timeout; prints "PASS LABEL WHAT (N
# s)", or FAIL with its output's first 8 lines and its last 32 (less the
# ledger's line per message) when it exits non-zero or its output holds a
# sanitizer's report.
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
		# The start, then the end: the failing step's events and the
		# ledger's totals (not its line per message).
		if [ "$(wc -l <"$out")" -le 40 ]; then
			cat "$out"
		else
			sed -n '1,8p' "$out"
			echo "[...]"
			grep -v '^   m[0-9]' "$out" | tail -n 32
		fi | sed 's/^/    /'
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
# f33 joins them: beside the other lanes its leaderless queue, once
# deleted and declared again, twice took the next payment and never
# delivered it (ci41, ci48); alone it has not.
rated=" lessons/05-confirms-returns.cfg lessons/08-failures.cfg tests/facts/f33-young-quorum-crash.cfg tests/facts/f08-confirm-latency.cfg tests/facts/f09-throughput-no-confirms.cfg tests/facts/f10-throughput-batch-confirms.cfg tests/facts/f11-throughput-each-confirm.cfg tests/facts/f22-requeue-hot-loop.cfg "
longest="lessons/10-reconciliation.cfg lessons/12-capstone.cfg tests/facts/f30-blackhole-heartbeat.cfg lessons/06-broker.cfg lessons/03-payment-story.cfg lessons/01-first-message.cfg tests/facts/f12-crash-nondurable.cfg lessons/04-producer-network.cfg tests/facts/f13-crash-bindings.cfg tests/facts/f32-redelivered-after-crash.cfg tests/facts/f31-clean-stop-unwritten.cfg"
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
# several times slower on a loaded machine does not; its 80 ms waits for
# four deliveries saw none in ci36, so f20 and f21 take the consumer's
# paths instead, with 200 ms for a delivery).
if [ -n "${ASAN_BIN:-}" ] && [ -x "$ASAN_BIN" ]; then
	for f in lessons/02-exchanges.cfg \
	    tests/facts/f01-missing-exchange.cfg \
	    tests/facts/f04-unroutable-mandatory.cfg \
	    tests/facts/f06-reject-publish.cfg \
	    tests/facts/f14-crash-classic.cfg \
	    tests/facts/f20-autoack-crash.cfg \
	    tests/facts/f21-manual-ack-redeliver.cfg \
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
	echo "== lane ${1##*/} ended at $(($(date +%s) - t0)) s"
}

t0=$(date +%s)
# The standalone suites start nodes of their own and mostly wait on them,
# so they run beside the lanes in one chain, one suite after another (each
# boots nodes), and are done before the rates run. (The classroom suites,
# which start dozens of labs, run before this suite: tests/run.sh.)
side_chain() { # suite...
	local s s0 pri
	for s in "$@"; do
		s0=$(date +%s)
		# Below the lanes' priority: the lanes' windows are tighter
		# than the side suites' generous waits. Except failures.sh,
		# whose live screen plays lesson 01's steps in real time.
		pri=5
		[ "$s" = failures ] && pri=0
		nice -n "$pri" bash "tests/live/$s.sh" "$BIN" >"$tmp/side.$s" 2>&1
		echo "$(($(date +%s) - s0)) s, ended at $(($(date +%s) - t0))" \
		    >"$tmp/side.$s.took"
	done
}
sides="failures shared watch watch_fail watch_screen class_done"
# shellcheck disable=SC2086
side_chain $sides &
lanes=""
for n in $nodes; do
	lane "$n" >"$tmp/lane.${n##*/}" 2>&1 &
	lanes="$lanes lane.${n##*/}"
done
wait
for f in $rates; do compare_one "$f" "$node2"; done >"$tmp/lane3" 2>&1
echo "== rates ended at $(($(date +%s) - t0)) s" >>"$tmp/lane3"
# The same again with a CPU hog beside them, one busy loop per core at the
# lab's own priority, as on a learner's laptop that is compiling. Outcomes
# must hold exactly; a window that measures speed (a rate rule, a mid-stream
# checkpoint) may be up to 20 times slower on top of its rule's tolerance:
# beside such a hog, and other work, this machine took up to 24 times as
# long (f22: 42 redeliveries in its window where 1001 come unloaded). A
# stream that stops still fails. Lessons 07 and 09 join them (they failed
# under load once).
for _ in $(seq "$(nproc)"); do
	( while :; do :; done ) &
	hogs="$hogs $!"
done
# f08 is compared unloaded only: its windows are 10 ms, shorter than the
# slices a busy loop at the lab's priority takes, and ci36 saw a whole one
# pass with the lab descheduled (0 quorum confirms where the rule allows
# no stream to stop).
for f in $rates lessons/07-consumer.cfg lessons/09-idempotency.cfg; do
	[ "$f" = tests/facts/f08-confirm-latency.cfg ] && continue
	# f33 is here for a quiet machine, not for its speed (see rated).
	[ "$f" = tests/facts/f33-young-quorum-crash.cfg ] && continue
	compare_one "$f" "$node2" --load-factor=20
done | sed -E 's/^(PASS|FAIL) live /\1 live beside a CPU hog: /' >"$tmp/lane4" 2>&1
echo "== the CPU hog's lane ended at $(($(date +%s) - t0)) s" >>"$tmp/lane4"
# shellcheck disable=SC2086
kill $hogs 2>/dev/null
hogs=""
tests/live/node.sh stop "$ndir/node3" >/dev/null 2>&1
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
echo "== total $(($(date +%s) - t0)) s"
finish
