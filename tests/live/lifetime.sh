#!/usr/bin/env bash
# The lab's own RabbitMQ node never outlives the lab, however the lab ends
# (src/engine/live_guard.h). Four cases, run at once, each in a runtime
# directory of its own (XDG_RUNTIME_DIR), so that each lab makes its own
# private node there:
#
#   kill9    kill -9 of the lab while its node runs: the beam, its epmd and
#            every other process of the node gone, and the node's
#            directory removed, within LIFETIME_GONE_S (5) seconds
#   restart  SIGTERM while lesson 06 has crashed the node and is starting
#            it again (the lab does not know the new beam's pid yet)
#   compare  SIGTERM to `rabbitlab compare` while its node is still starting
#   stale    a node left running by a lab whose guardian was killed too is
#            swept when the next lab starts a node; a record naming the pid
#            of an unrelated process (a pid reused) does not get it killed
#
#   tests/live/lifetime.sh path/to/rabbitlab
#
# LIFETIME_REPEAT=N plays each case N times (default 1; the SIGTERM delay
# of `restart` and `compare` changes from one run to the next);
# LIFETIME_CASES="kill9" picks cases. With more than one run, the kill -9
# case ends with a line of figures (median and max time to gone). A
# process of the node is one whose environment holds HOME=<the node's
# directory>, as the lab gives it. Prints PASS or FAIL per check and ends
# with "N passed, N failed"; exits 1 if anything failed. Whatever it
# started (labs, decoys, and the processes of nodes those labs left) is
# killed by pid on exit.
# shellcheck disable=SC2317 # case_* are called by name, cleanup on exit
set -u
BIN=${1:?usage: tests/live/lifetime.sh path/to/rabbitlab}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

REPEAT=${LIFETIME_REPEAT:-1}
CASES=${LIFETIME_CASES:-kill9 restart compare stale}
GONE_S=${LIFETIME_GONE_S:-5}
BOOT_S=180 # a node booting beside three others on a loaded 2-core machine
KO_LINES=20
needs_lab lifetime

scratch lifetime

# Every pid this script starts is appended to $tmp/started; every runtime
# directory to $tmp/rts, so that the nodes a lab left there can be found.
cleanup() {
	local p d
	for p in $(cat "$tmp"/started 2>/dev/null); do
		kill -KILL "$p" 2>/dev/null
	done
	for d in $(cat "$tmp"/rts 2>/dev/null); do
		for p in $(node_pids_under "$d"); do
			kill -KILL "$p" 2>/dev/null
		done
	done
}

now_ms() { echo $(($(date +%s%N) / 1000000)); }

# Whether `pid` runs (a zombie has ended: only its parent has to reap it).
alive() { # pid
	local st
	st=$(sed -n 's/.*) \(.\) .*/\1/p' "/proc/$1/stat" 2>/dev/null)
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

# The processes of the node in `dir`: HOME=dir in their environment.
node_pids() { # dir
	grep -lzxF "HOME=$1" /proc/[0-9]*/environ 2>/dev/null |
	    sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
}

# The processes of every node whose directory lies under `rt`.
node_pids_under() { # rt
	grep -lzF "HOME=$1/rabbitlab-node-" /proc/[0-9]*/environ 2>/dev/null |
	    sed -n 's|^/proc/\([0-9]*\)/environ$|\1|p'
}

# The pid of the process named `comm` among `pids`, or nothing.
named() { # comm pids...
	local c=$1 p
	shift
	for p in "$@"; do
		[ "$(cat "/proc/$p/comm" 2>/dev/null)" = "$c" ] && echo "$p" && return
	done
}

# Waits for `pattern` in `file` for at most `seconds`.
wait_line() { # file pattern seconds
	local end=$(($(date +%s) + $3))
	while [ "$(date +%s)" -le "$end" ]; do
		grep -q "$2" "$1" 2>/dev/null && return 0
		sleep 0.1
	done
	return 1
}

# Starts the lab in runtime directory `rt` with the arguments given; its
# pid in $lab, its stderr in $rt.err.
start_lab() { # rt args...
	local rt=$1
	shift
	mkdir -p "$rt"
	echo "$rt" >>"$tmp/rts"
	XDG_RUNTIME_DIR=$rt "$BIN" "$@" >"$rt.out" 2>"$rt.err" </dev/null &
	lab=$!
	echo "$lab" >>"$tmp/started"
}

# Waits until none of `pids` runs and `dir` is gone, for at most GONE_S;
# sets $took (ms after `t0`) and returns 0, or returns 1 with $left naming
# what is still there. Then no process of the node may be left either.
wait_gone() { # t0 dir pids...
	local t0=$1 dir=$2 p end
	shift 2
	end=$((t0 + GONE_S * 1000))
	while :; do
		left=
		for p in "$@"; do
			alive "$p" && left="$left pid $p"
		done
		[ -d "$dir" ] && left="$left dir $dir"
		[ -z "$left" ] && break
		[ "$(now_ms)" -gt "$end" ] && return 1
		sleep 0.05
	done
	took=$(($(now_ms) - t0))
	left=$(node_pids "$dir" | tr '\n' ' ')
	[ -z "$left" ] || { left="pids $left(HOME=$dir)"; return 1; }
}

# The node directory a lab made in `rt`.
node_dir() { ls -d "$1"/rabbitlab-node-* 2>/dev/null | head -1; }

# The `run`th of `values`, round and round.
pick() { # run values...
	local i=$1
	shift
	shift $(((i - 1) % $#))
	echo "$1"
}

# Sends `sig` to the lab started in `rt`: PASS "name: what gone after N
# ms" and 0 (with $took) if the node's processes `pids` and its directory
# `dir` are gone within GONE_S, else FAIL with what is left, and 1.
signal_lab() { # sig rt name what dir pids...
	local sig=$1 rt=$2 name=$3 what=$4 dir=$5 t0
	shift 5
	t0=$(now_ms)
	kill "-$sig" "$lab"
	wait "$lab" 2>/dev/null
	if wait_gone "$t0" "$dir" "$@"; then
		ok "$name: $what gone after $took ms"
		return 0
	fi
	echo "left after ${GONE_S} s:$left" >>"$rt.err"
	ko "$name" "$rt.err"
	return 1
}

# Starts a lab in `rt` with `args` and sends it SIGTERM `delay` seconds
# after its stderr says `mark` (which it must within `secs`), while its
# node is still `state`: the node has processes and the stderr does not
# say `over` yet. PASS if the node is then gone within GONE_S.
term_midway() { # rt name delay mark secs over state args...
	local rt=$1 name=$2 delay=$3 mark=$4 secs=$5 over=$6 state=$7 dir pids
	shift 7
	start_lab "$rt" "$@"
	if ! wait_line "$rt.err" "$mark" "$secs"; then
		ko "$name: no \"$mark\" from the lab within $secs s" "$rt.err"
		return
	fi
	sleep "$delay"
	dir=$(node_dir "$rt")
	pids=$(node_pids "$dir")
	if grep -q "$over" "$rt.err" || [ -z "$pids" ]; then
		echo "node processes: '$pids'" >>"$rt.err"
		ko "$name: the node was not $state at the signal" "$rt.err"
		kill -TERM "$lab"
		return
	fi
	signal_lab TERM "$rt" "$name" \
	    "$(echo $pids | wc -w) processes and the directory" "$dir" $pids
}

# kill -9 of the lab while its node runs.
case_kill9() { # run
	local rt=$tmp/kill9.$1 name dir beam epmd pids
	name="kill -9 of the lab: its node gone within ${GONE_S} s (run $1)"
	start_lab "$rt" --engine=live replay -q tests/facts/f30-blackhole-heartbeat.cfg
	if ! wait_line "$rt.err" "up after" "$BOOT_S"; then
		ko "$name: the node did not come up" "$rt.err"
		return
	fi
	dir=$(node_dir "$rt")
	pids=$(node_pids "$dir")
	beam=$(named beam.smp $pids)
	epmd=$(named epmd $pids)
	if [ -z "$beam" ] || [ -z "$epmd" ] || ! alive "$lab"; then
		echo "beam '$beam' epmd '$epmd' in $dir; lab $lab" >>"$rt.err"
		ko "$name: no beam and epmd, or the lab ended first" "$rt.err"
		return
	fi
	signal_lab KILL "$rt" "$name" "beam $beam, epmd $epmd and the directory" \
	    "$dir" $pids && echo "$took" >>"$tmp/kill9.ms"
}

# SIGTERM while lesson 06 restarts the node it crashed.
case_restart() { # run
	local delay
	delay=$(pick "$1" 0.5 1.5 2.5)
	term_midway "$tmp/restart.$1" \
	    "SIGTERM ${delay} s into lesson 06's restart: the node gone (run $1)" \
	    "$delay" "restarting the RabbitMQ node" "$BOOT_S" "back after" \
	    restarting --engine=live replay -q lessons/06-broker.cfg
}

# SIGTERM to `rabbitlab compare` while its node starts.
case_compare() { # run
	local delay
	delay=$(pick "$1" 1 0.2 2)
	term_midway "$tmp/compare.$1" \
	    "SIGTERM to compare ${delay} s into its node's start: the node gone (run $1)" \
	    "$delay" "starting a private RabbitMQ node" 60 "up after" \
	    starting compare lessons/01-first-message.cfg
}

# The guardian of lab `lab`: from the record, else (a lab without one) its
# children running the same program.
guard_of() { # lab dir
	local g c
	g=$(sed -n 's/^guard=\([0-9]*\) .*/\1/p' "$2/owner" 2>/dev/null)
	if [ -n "$g" ]; then echo "$g"; return; fi
	for c in $(ps -o pid= --ppid "$1"); do
		[ "$(readlink "/proc/$c/exe")" = "$(readlink "/proc/$1/exe")" ] &&
		    echo "$c"
	done
}

# A stale record: a node left running by a lab and guardian both killed,
# and a made-up one whose record names a live stranger's pid.
case_stale() { # run
	local rt=$tmp/stale.$1 name dir pids guard fake node decoy dead t0 t1 labA
	name="a node left by a dead lab is swept at the next start (run $1)"
	start_lab "$rt" --engine=live replay -q tests/facts/f30-blackhole-heartbeat.cfg
	labA=$lab
	if ! wait_line "$rt.err" "up after" "$BOOT_S"; then
		ko "$name: the first node did not come up" "$rt.err"
		return
	fi
	dir=$(node_dir "$rt")
	pids=$(node_pids "$dir")
	guard=$(guard_of "$labA" "$dir")
	# The guardian first, and gone, before the lab: killed together, the
	# guardian could see the lab's pipe close and stop the node first.
	if [ -n "$guard" ]; then
		kill -KILL $guard
		for _ in $(seq 100); do alive $guard || break; sleep 0.05; done
	fi
	kill -KILL "$labA"
	wait "$labA" 2>/dev/null
	# A made-up node: its lab long gone, its one process a sleep with
	# its HOME; its record says beam and epmd are a stranger, who must
	# live.
	fake=$rt/rabbitlab-node-fake$1
	mkdir -p "$fake"
	HOME=$fake sleep 600 &
	node=$!
	sleep 600 &
	decoy=$!
	disown "$node" "$decoy"
	true &
	dead=$!
	wait "$dead"
	echo "$node $decoy" >>"$tmp/started"
	printf 'lab=%s 1\nguard=%s 1\nnode=labfake@localhost\nbeam=%s\nepmd=%s\n' \
	    "$dead" "$dead" "$decoy" "$decoy" >"$fake/owner"
	sleep 1
	if [ -z "$(named beam.smp $pids)" ] || ! alive "$(named beam.smp $pids)"; then
		echo "no beam left running by lab $labA (guardian '$guard')" >>"$rt.err"
		ko "$name: the first lab left no node to sweep" "$rt.err"
		return
	fi
	mv "$rt.err" "$rt.first.err"
	t0=$(now_ms)
	start_lab "$rt" --engine=live replay -q tests/facts/f30-blackhole-heartbeat.cfg
	if ! wait_line "$rt.err" "starting a private RabbitMQ node" 60; then
		ko "$name: the next lab started no node" "$rt.err"
		return
	fi
	if wait_gone "$t0" "$dir" $pids && t1=$took &&
	    wait_gone "$t0" "$fake" "$node"; then
		ok "$name: $(echo $pids | wc -w) processes and the directory gone $t1 ms after its start"
	else
		echo "left:$left" >>"$rt.err"
		ko "$name" "$rt.err"
	fi
	if alive "$decoy"; then
		ok "a stale record naming a stranger's pid leaves it alone (run $1)"
	else
		ko "a stale record naming a stranger's pid leaves it alone (run $1)"
	fi
	kill -TERM "$lab"
	wait "$lab" 2>/dev/null
}

# Each case plays its runs one after another; the cases run at once.
for c in $CASES; do
	(
		for i in $(seq "$REPEAT"); do
			"case_$c" "$i"
		done
	) >"$tmp/$c.res" 2>&1 &
done
wait
for c in $CASES; do tally "$tmp/$c.res"; done
if [ -s "$tmp/kill9.ms" ] && [ "$(wc -l <"$tmp/kill9.ms")" -gt 1 ]; then
	sort -n "$tmp/kill9.ms" | awk '{ a[NR] = $1 } END {
	    m = NR % 2 ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2
	    printf "== kill -9: node gone after min %s, median %s, max %s ms (%d runs)\n",
	        a[1], m, a[NR], NR }'
fi
finish
