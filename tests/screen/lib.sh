# Shared setup of the screen tests, sourced by tests/screen/run.sh and
# tests/screen/zh.sh from the top of the source tree.
#
#   SOCK=name; . tests/screen/lib.sh; screen_setup NAME
#
# screen_setup sets the counters pass and fail to 0, makes a temporary
# directory $tmp (removed on exit) holding the program's state
# (XDG_STATE_HOME) and a tmux.conf, points RABBITLAB_LESSONS at lessons/,
# clears the locale to C.UTF-8, and defines t, tmux on the private server
# $SOCK, which is killed on exit (no other server is touched), and
# t_fresh, which kills it and waits until it is gone. Without
# tmux it prints "FAIL NAME: tmux is not installed" and "0 passed, 1
# failed", and exits 1. ok NAME counts and prints a pass.

screen_setup() {
	pass=0
	fail=0
	tmp=$(mktemp -d)
	export XDG_STATE_HOME=$tmp/state
	export RABBITLAB_LESSONS=$PWD/lessons
	unset NO_COLOR LANGUAGE LC_ALL LC_MESSAGES
	export LANG=C.UTF-8

	printf 'set -g remain-on-exit on\nset -g history-limit 100\n' \
		>"$tmp/tmux.conf"
	trap 'screen_cleanup' EXIT

	if ! command -v tmux >/dev/null; then
		echo "FAIL $1: tmux is not installed"
		echo "0 passed, 1 failed"
		exit 1
	fi
}

t() { tmux -L "$SOCK" -f "$tmp/tmux.conf" "$@"; }
# t_fresh: kills the server and waits (at most 5 s) until it no longer
# answers, so that the next new-session starts a server of its own instead
# of joining the one on its way out (and dying with it).
t_fresh() {
	local i
	t kill-server 2>/dev/null
	for i in $(seq 50); do
		t list-sessions >/dev/null 2>&1 || return 0
		sleep 0.1
	done
}
screen_cleanup() { t kill-server 2>/dev/null; rm -rf "$tmp"; }
ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
