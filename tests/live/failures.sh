#!/usr/bin/env bash
# How the live engine fails, and its screen, on a private node of this
# suite's own:
#   - compare --seed reaches both engines;
#   - a wrong password (403), a missing vhost (530), a refused port, query
#     strings in a URL and a peer that never speaks AMQP each end the run
#     with exit 2, the reason, and never the password;
#   - the screen without a terminal is refused before any node starts;
#   - a memory alarm: connection.blocked, then unblocked, nothing lost;
#   - a broker the lab did not start is not killed; the lab's own node goes
#     with it on SIGTERM;
#   - lesson 01's screen on the live engine in tmux: K kills the node, B
#     starts it again, undo is refused, q quits with 0; a refusing broker
#     gives its reason;
#   - last, the node killed under a lab that did not start it.
#
#   tests/live/failures.sh build/rabbitlab
#
# Prints PASS or FAIL per check and ends with "N passed, N failed"; exits 1
# if anything failed. About 60 s.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/failures.sh path/to/rabbitlab}
PER_SCRIPT=${LIVE_SCRIPT_TIMEOUT:-240}
needs_lab failures

scratch failures
node=$tmp/node
sock=$tmp/tmux.sock
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	tmux -S "$sock" kill-server 2>/dev/null
	tests/live/node.sh stop "$node" >/dev/null 2>&1
}
t0=$(date +%s)
start_node failures "$node"

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
	# Lesson 01 starts with the learner's publish (+).
	tmux -S "$sock" send-keys -t lv '+'
	if wait_for "Press 1-3" 20 && ! shot | grep -q "failed ("; then
		ok "screen: steps run to the question in real time, no check failed"
	else
		shot >"$tmp/shot"; ko "screen: steps run to the question" "$tmp/shot"
	fi
	# Failure keys wait while a question or the learner's step does:
	# answer, do step 4 (Z), then kill at step 5, which waits for neither.
	tmux -S "$sock" send-keys -t lv '2'
	wait_for "Press Z to stop" 20
	tmux -S "$sock" send-keys -t lv 'Z'
	wait_for "Nobody consumes" 20
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
