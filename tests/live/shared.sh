#!/usr/bin/env bash
# The live engine on a broker it did not start (a "shared broker"): what a
# lab leaves there when it dies, and whether two labs keep apart.
#
#   tests/live/shared.sh build/rabbitlab
#
# Starts its own node (tests/live/node.sh) and gives it to the lab as a URL,
# --broker amqp://guest:guest@127.0.0.1:PORT/%2F (node.sh makes no user: the
# default guest may log in over loopback), so the lab does not own it; the
# last check hands the same node over as RABBITLAB_NODE, which the lab owns.
# The node is read with rabbitmqctl. Checks:
#   - queues declared on a shared broker carry x-expires (classic, quorum);
#   - a second lab started while the first runs leaves the first's names
#     alone, and the two prefixes differ and are not the pid;
#   - kill -9 of a lab mid-lesson leaves its queues and exchange, and the
#     next start removes them: none with its prefix left, nor any other;
#   - two labs started at once, each in its own pid namespace (unshare, as
#     root; else side by side), get different prefixes and both pass;
#   - on the lab's own node the queues carry no x-expires, and no record.
# Prints PASS or FAIL per check and ends with "N passed, N failed"; exits 1
# if anything failed. About 60 s.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/shared.sh path/to/rabbitlab}
CFG=tests/live/shared.cfg
needs_lab shared

scratch shared
export XDG_STATE_HOME=$tmp/state
node=$tmp/node
labs=""
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	for p in $labs; do kill -KILL "$p" 2>/dev/null; done
	tests/live/node.sh stop "$node" >/dev/null 2>&1
}
records=$XDG_STATE_HOME/rabbitlab/sessions

if ! tests/live/node.sh start "$node" >"$tmp/node.out" 2>&1; then
	ko "shared: the node did not start" "$tmp/node.out"
	finish
fi
port=$(sed -n 's/^RABBITMQ_NODE_PORT=//p' "$node/node.env")
url="amqp://guest:guest@127.0.0.1:$port/%2F"

ctl() { tests/live/node.sh ctl "$node" "$@" 2>/dev/null; }
# Every queue as "name<TAB>arguments", every exchange name, into files.
queues() { ctl list_queues -q --no-table-headers name arguments >"$1"; }
exchanges() { ctl list_exchanges -q --no-table-headers name >"$1"; }
# The session prefixes (rabbitlab.<x>.) among the queue names in file $1.
prefixes() { sed -n 's/^\(rabbitlab\.[^.]*\.\).*/\1/p' "$1" | sort -u; }
# Lines of file $2 that begin with prefix $1.
with() { awk -v p="$1" 'index($0, p) == 1' "$2"; }
count() { with "$1" "$2" | wc -l; }
# Starts the lab in the background on the node, as a shared broker (a URL)
# or as its own (RABBITLAB_NODE): $! is the lab's own pid (no timeout
# between, so that kill -9 reaches the lab; see await).
lab() { # out shared|own
	if [ "$2" = shared ]; then
		"$BIN" --broker="$url" --engine=live replay -q "$CFG" >"$1" 2>&1 &
	else
		RABBITLAB_NODE=$node "$BIN" --engine=live replay -q "$CFG" \
		    >"$1" 2>&1 &
	fi
}
# Waits for background pid $1, 60 s at most (then kill -9); its status.
await() {
	local i
	for i in $(seq 600); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
	kill -KILL "$1" 2>/dev/null
	wait "$1"
}
# Polls the queues (into file $1) until a session's show, ten tries (each
# rabbitmqctl call takes 1-2 s); prints its prefix.
first_prefix() { # file
	local i p
	for i in $(seq 10); do
		queues "$1"
		p=$(prefixes "$1" | head -1)
		[ -n "$p" ] && { echo "$p"; return 0; }
	done
	return 1
}
# Whether prefix $1 is the old pid-derived one of pid $2 (pid, a counter).
pid_derived() { case $1 in "rabbitlab.$(printf %x "$2")"[0-9]*.) return 0 ;; esac; return 1; }
nrecords() { ls "$records" 2>/dev/null | grep -c '\.names$'; }

echo "== kill -9 on a shared broker, and the next start"
lab "$tmp/a.out" shared
a=$!
labs="$a"
pa=$(first_prefix "$tmp/q1")
if [ -n "$pa" ] && [ "$(with "$pa" "$tmp/q1" | grep -c '"x-expires",86400000')" -eq 2 ]; then
	ok "shared broker: both queues (classic, quorum) carry x-expires 86400000"
else
	ko "shared broker: queues carry x-expires (prefix '$pa')" "$tmp/q1"
fi
# A second lab while the first runs: its start must leave the first alone.
lab "$tmp/c.out" shared
c=$!
labs="$a $c"
# Its record shows once its start's sweep is over (2 s at most: a lab
# without records would otherwise see the first end before the kill).
for _ in $(seq 20); do [ "$(nrecords)" -ge 2 ] && break; sleep 0.1; done
kill -KILL "$a" 2>/dev/null
wait "$a" 2>/dev/null
await "$c"
rc=$?
labs=""
queues "$tmp/q2"
exchanges "$tmp/x2"
left_q=$(count "$pa" "$tmp/q2")
left_x=$(count "$pa" "$tmp/x2")
if [ "$rc" -eq 0 ] && [ "$left_q" -eq 2 ] && [ "$left_x" -eq 1 ]; then
	ok "a lab started beside a running one passes and leaves its names alone"
else
	echo "second lab exit $rc; the first's names after it: $left_q queues, $left_x exchanges" >>"$tmp/c.out"
	ko "a lab started beside a running one leaves its names alone" "$tmp/c.out"
fi
echo "the killed lab left $left_q queues and $left_x exchange(s) (prefix $pa)"
if [ -n "$pa" ] && ! pid_derived "$pa" "$a" &&
    echo "$pa" | grep -Eqx 'rabbitlab\.[0-9a-f]{8}\.'; then
	ok "prefix $pa: 8 random hex digits, not the pid ($a)"
else
	ko "prefix '$pa' of pid $a: wanted rabbitlab.<8 hex>., not the pid"
fi
# The next start: any lesson (a short one).
"$BIN" --broker="$url" --engine=live replay -q lessons/02-exchanges.cfg \
    >"$tmp/b.out" 2>&1 &
b=$!
labs="$b"
await "$b"
rc=$?
labs=""
queues "$tmp/q3"
exchanges "$tmp/x3"
after=$(($(count "$pa" "$tmp/q3") + $(count "$pa" "$tmp/x3")))
all=$(($(count rabbitlab. "$tmp/q3") + $(count rabbitlab. "$tmp/x3")))
if [ "$rc" -eq 0 ] && [ "$left_q" -eq 2 ] && [ "$left_x" -eq 1 ] &&
    [ "$after" -eq 0 ] && [ "$all" -eq 0 ] && [ "$(nrecords)" -eq 0 ]; then
	ok "the next start removed what kill -9 left (2 queues, 1 exchange): none left, no record"
else
	{ echo "exit $rc; kill -9 left $left_q queues, $left_x exchanges (wanted 2, 1); after the next start: $after names of $pa, $all of rabbitlab., $(nrecords) records"
	  cat "$tmp/q3" "$tmp/x3"; } >>"$tmp/b.out"
	ko "the next start removes what kill -9 left" "$tmp/b.out"
fi

echo "== two labs started at once"
how="side by side"
wrap=""
if [ "$(id -u)" = 0 ] && unshare --pid --fork --kill-child true 2>/dev/null; then
	how="each in its own pid namespace"
	wrap="unshare --pid --fork --kill-child"
fi
# Inside a new pid namespace each lab is pid 1.
$wrap "$BIN" --broker="$url" --engine=live replay -q "$CFG" >"$tmp/d.out" 2>&1 &
d=$!
$wrap "$BIN" --broker="$url" --engine=live replay -q "$CFG" >"$tmp/e.out" 2>&1 &
e=$!
labs="$d $e"
seen=""
while kill -0 "$d" 2>/dev/null || kill -0 "$e" 2>/dev/null; do
	queues "$tmp/q4"
	seen=$(printf '%s\n' $seen $(prefixes "$tmp/q4") | sort -u)
done
await "$d"
rd=$?
await "$e"
re=$?
labs=""
n=$(printf '%s\n' $seen | grep -c .)
if [ "$rd" -eq 0 ] && [ "$re" -eq 0 ] && [ "$n" -eq 2 ] &&
    [ "$(printf '%s\n' $seen | grep -Ecx 'rabbitlab\.[0-9a-f]{8}\.')" -eq 2 ]; then
	ok "two labs at once, $how: prefixes $(echo $seen), both pass"
else
	# The end of each lab's output: where a failing one says why.
	{ echo "exits $rd and $re; prefixes seen: $(echo $seen)"
	  tail -n 12 "$tmp/d.out"; echo "--"; tail -n 12 "$tmp/e.out"; } >"$tmp/de.out"
	ko "two labs at once, $how: different prefixes, both pass" "$tmp/de.out"
fi

echo "== the lab's own node"
lab "$tmp/f.out" own
f=$!
labs="$f"
pf=$(first_prefix "$tmp/q5")
await "$f"
rc=$?
labs=""
nq=$(count "${pf:-none}" "$tmp/q5")
if [ "$rc" -eq 0 ] && [ "$nq" -eq 2 ] && ! grep -q 'x-expires' "$tmp/q5" &&
    [ "$(nrecords)" -eq 0 ]; then
	ok "own node: queues without x-expires, no session record"
else
	{ echo "exit $rc, $nq queues of '$pf', $(nrecords) records"; cat "$tmp/q5"; } >>"$tmp/f.out"
	ko "own node: queues without x-expires, no session record" "$tmp/f.out"
fi
finish
