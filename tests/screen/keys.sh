# The screen tests' way of driving the program, sourced by tests/screen/run.sh
# and tests/screen/learn.sh after lib.sh's screen_setup: start a program in
# the private tmux server, type keys, read the screen, wait (bounded by
# $WAIT seconds) for text to appear, play a lesson step by step. Needs BIN,
# WAIT, tmp and t (lib.sh).

ko() {
	fail=$((fail + 1)); printf 'FAIL %s\n' "$1"
	if [ -s "$tmp/screen" ]; then sed 's/^/    | /' "$tmp/screen"; fi
	return 0
}

# start W H CMD...: a fresh server with one window running CMD.
start() {
	local w=$1 h=$2
	shift 2
	t_fresh
	t new-session -d -x "$w" -y "$h" -c "$PWD" \
	    "exec env XDG_STATE_HOME='$XDG_STATE_HOME' LANG=C.UTF-8 $*"
}
screen() { t capture-pane -p "$@" >"$tmp/screen" 2>/dev/null; }
keys() { t send-keys "$@"; }
# within SECONDS COMMAND...: reads the screen and runs COMMAND until it
# succeeds, for at most SECONDS.
within() {
	local end=$((SECONDS + $1))
	shift
	while :; do
		screen
		"$@" && return 0
		[ $SECONDS -ge "$end" ] && return 1
		sleep 0.1
	done
}
absent() { ! grep -qF -- "$1" "$tmp/screen"; }
# has TEXT [SECONDS]: waits until the screen shows TEXT (a fixed string);
# hasre REGEX [SECONDS]: an extended regular expression; gone TEXT
# [SECONDS]: until it no longer shows TEXT. $WAIT seconds by default.
has() { within "${2:-$WAIT}" grep -qF -- "$1" "$tmp/screen"; }
hasre() { within "${2:-$WAIT}" grep -qE -- "$1" "$tmp/screen"; }
gone() { within "${2:-$WAIT}" absent "$1"; }
# lacks TEXT: the screen does not show TEXT (after a short settle).
lacks() { sleep 0.3; screen; ! grep -qF -- "$1" "$tmp/screen"; }
check() { # name, then a command that must succeed
	local name=$1
	shift
	if "$@"; then ok "$name"; else ko "$name"; fi
}
# line N of the screen (1-based)
line() { sed -n "${1}p" "$tmp/screen"; }
# advance TEXT ANSWER TRIES: plays the lesson step by step (G finishes a
# step, space goes on) until TEXT is on the screen, answering every question
# with ANSWER (none if empty, so the loop stops at the first question when
# TEXT is "Press 1-"). Fails if TEXT has not come after TRIES steps.
advance() {
	for _ in $(seq 1 "$3"); do
		screen; grep -q -- "$1" "$tmp/screen" && return 0
		if [ -n "$2" ] && grep -q "Press 1-" "$tmp/screen"; then
			keys "$2"; sleep 0.2
		fi
		# A step that waits for the learner's key: S does it.
		if grep -q "Your turn" "$tmp/screen"; then
			keys S; sleep 0.2
		fi
		keys G; sleep 0.1; keys Space; sleep 0.3
	done
	screen; grep -q -- "$1" "$tmp/screen"
}

title_of() { sed -n 's/^title = { en = "\(.*\)";$/\1/p' "$1"; }
zh_title_of() { sed -n 's/^ *zh = "\(.*\)"; };$/\1/p' "$1" | head -1; }
