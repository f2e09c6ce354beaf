#!/usr/bin/env bash
# The failures of `rabbitlab watch` on a real application's traffic,
# driven headless (--json, one command per line on stdin) by
# tests/live/watch_fail.py with python3-pika through the lab, on the
# lab's own private node:
#   - cut: pika reads a connection error; unknown connections, unknown
#     commands and bad numbers are refused with the reason;
#   - kill then restart: pika's connection goes with the node; after the
#     restart a durable queue holds exactly its persistent messages, a
#     non-durable queue is gone, and the ledger counts the six others
#     lost in the crash; a second kill is refused (already down);
#   - delete-exchange (404 on a passive declare), full (the second
#     publish nacked), ttl (the message expired), blackhole (a confirm
#     held until it heals; a black hole whose client dies ends once the
#     broker misses its heartbeat), cut-consumer (pika's consumer loses its
#     connection; its two unacked messages come back redelivered), stop
#     then restart (pika's connection goes; a persistent message in a
#     durable queue is kept), spring (the crash's fix named);
#   - a watch in front of that node with --broker refuses kill, saying
#     the lab did not start it;
#   - the session's --record script passes `rabbitlab check` and
#     `rabbitlab replay` plays it.
#
#   tests/live/watch_fail.sh build/rabbitlab
#
# Prints PASS or FAIL per check and "N passed, N failed". About 40 s
# (two node restarts).
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/watch_fail.sh path/to/rabbitlab}
PY=/usr/bin/python3 # Debian's, which has python3-pika
needs_lab watch-fail
$PY -c 'import pika' 2>/dev/null ||
    { ko "watch-fail: python3-pika is not installed (make deps installs it)"; finish; }
scratch watch-fail
timeout 300 $PY tests/live/watch_fail.py "$BIN" "$tmp" >"$tmp/out" 2>&1
tally "$tmp/out"
grep -q '^Traceback' "$tmp/out" && ko "watch-fail: the driver crashed" "$tmp/out"
finish
