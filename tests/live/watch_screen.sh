#!/usr/bin/env bash
# `rabbitlab watch` on a terminal: the lab's own screen over a real
# application's traffic, in tmux at 80x24, in English and in Chinese
# (--lang zh), each on its own private node:
#   - the panes appear and say where to point the application, and the
#     footer offers e (Spring) and no key the watch refuses;
#   - pika (tests/live/watch_pika.py, 20 messages) runs through it, and
#     the screen shows its exchange and queue and the ledger's counts
#     (20 published, 14 processed: what pika itself reports);
#   - a toggle key is refused with the reason (the application owns it);
#   - e shows the Spring properties read from its frames; ? lists what
#     the failure keys do to it and not the keys it refuses; # takes a
#     message id's digits; F and T answer;
#   - K kills the node (the exchange pane says the broker is down) and B
#     starts it again (up);
#   - q ends the watch with status 0.
#
#   tests/live/watch_screen.sh build/rabbitlab
#
# Prints PASS or FAIL per check and "N passed, N failed". About 60 s.
# Only the tmux server this script starts is ever killed.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/watch_screen.sh path/to/rabbitlab}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
PY=/usr/bin/python3
needs_lab watch-screen
command -v tmux >/dev/null || { ko "watch-screen: tmux is not installed"; finish; }
$PY -c 'import pika' 2>/dev/null ||
    { ko "watch-screen: python3-pika is not installed"; finish; }
scratch watch-screen
# One tmux server per language: a server being killed can still take the
# next new-session on its socket and die with it (ci34: an empty pane for
# 90 s).
SOCK=rabbitlab-wscreen-$$-en
t() { tmux -L "$SOCK" -f /dev/null "$@"; }
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	tmux -L "rabbitlab-wscreen-$$-en" kill-server 2>/dev/null
	tmux -L "rabbitlab-wscreen-$$-zh" kill-server 2>/dev/null
}

# has TEXT SECONDS: waits until the screen shows TEXT (an extended regex).
has() {
	local i
	for i in $(seq $(($2 * 10))); do
		t capture-pane -p -t w >"$tmp/screen" 2>/dev/null
		grep -Eq -- "$1" "$tmp/screen" && return 0
		sleep 0.1
	done
	return 1
}
check() { # name regex seconds
	if has "$2" "$3"; then ok "$1"; else ko "$1" "$tmp/screen"; fi
}

run_lang() { # en|zh
	local lang=$1 port s0
	SOCK=rabbitlab-wscreen-$$-$lang
	t new-session -d -s w -x 80 -y 24 -c "$PWD" \
	    "env XDG_STATE_HOME=$tmp/state LANG=C.UTF-8 $BIN watch --lang $lang \
	    --listen 127.0.0.1:0 2>$tmp/err.$lang; echo EXIT=\$?; sleep 30"
	s0=$(date +%s)
	if ! has 'amqp://127\.0\.0\.1:[0-9]+' 90; then
		# What a learner would have seen, then what went to stderr.
		cat "$tmp/err.$lang" >>"$tmp/screen"
		ko "watch-screen $lang: the screen came up with the address" "$tmp/screen"
		return
	fi
	port=$(grep -Eo 'amqp://127\.0\.0\.1:[0-9]+' "$tmp/screen" | head -1 | sed 's/.*://')
	ok "watch-screen $lang: the screen is up, listening on $port ($(($(date +%s) - s0)) s)"
	# The footer offers what acts on an application: e, not the lab's
	# own publish, pause, build or reset.
	t capture-pane -p -t w | tail -2 >"$tmp/footer"
	if grep -q 'e Spring' "$tmp/footer" &&
	    ! grep -Eq '\+ |P |D |R |< >' "$tmp/footer"; then
		ok "watch-screen $lang: the footer offers e and only the keys that act"
	else
		ko "watch-screen $lang: the footer offers e and only the keys that act" "$tmp/footer"
	fi
	timeout 90 $PY tests/live/watch_pika.py "$port" 20 >"$tmp/pika.$lang" 2>&1 ||
	    ko "watch-screen $lang: pika failed" "$tmp/pika.$lang"
	check "watch-screen $lang: the exchange and queue panes name pika's" \
	    'watch\.q' 10
	# What each language's screen says: the ledger row, the status after
	# K and after B.
	if [ "$lang" = en ]; then
		ledger='published +20 .*processed +14' down='broker down'
		up='broker +up'
	else
		ledger='已发布 +20 .*已处理 +14' down='节点已被 kill -9 杀掉'
		up='节点已恢复'
	fi
	check "watch-screen $lang: the ledger counts pika's 20 published, 14 processed" \
	    "$ledger" 10
	t send-keys -t w c
	check "watch-screen $lang: a toggle key is refused with the reason" \
	    'Refused: your application sets|不能执行：这项设置由你的应用' 5
	t send-keys -t w e
	check "watch-screen $lang: e shows the Spring properties from the frames" \
	    'publisher-confirm-type=correlated' 5
	t send-keys -t w e '?' End
	check "watch-screen $lang: ? lists what the failure keys do to the application" \
	    'the private node|私有节点' 5
	if grep -Eq 'publish one payment|发布一笔支付|pause or resume' "$tmp/screen"; then
		ko "watch-screen $lang: the help leaves out the keys the watch refuses" "$tmp/screen"
	else
		ok "watch-screen $lang: the help leaves out the keys the watch refuses"
	fi
	# A typed message id takes its digits (they are not refused answers).
	t send-keys -t w Escape '#' 1 2
	check "watch-screen $lang: # takes a message id's digits" '12_' 5
	# F and T choose among the queues it declared, or say there is
	# none left (pika's are auto-delete); the lab lives on.
	t send-keys -t w Escape F
	check "watch-screen $lang: F answers (a queue to choose, or none)" \
	    'Which queue|is full|nothing of that kind|哪个队列|已满|这类东西' 5
	t send-keys -t w Escape T
	check "watch-screen $lang: T answers (a queue to choose, or none)" \
	    'Which queue|message TTL|nothing of that kind|哪个队列|存活时间|这类东西' 5
	t send-keys -t w Escape K
	check "watch-screen $lang: K kills the node ($down)" "$down" 20
	t send-keys -t w B
	check "watch-screen $lang: B starts it again ($up)" "$up" 90
	t send-keys -t w q
	check "watch-screen $lang: q ends the watch with status 0" 'EXIT=0' 30
}

run_lang en
run_lang zh
finish
