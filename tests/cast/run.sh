#!/usr/bin/env bash
# Casts of the screen (tests/run.sh runs this): `rabbitlab replay --cast`
# must write valid asciicast v2 whose last frame shows the ledger the
# replay printed (tests/cast/check.py plays it into pyte, a terminal
# emulator), in English and Chinese at 80x24 and at a larger size; it
# needs no terminal and writes nothing to the caller's; the same lesson
# gives the same file; and `lab --cast` records the screen played in tmux.
# Prints PASS/FAIL lines and ends with "N passed, N failed".
#
#   bash tests/cast/run.sh [BIN]
set -u
cd "$(dirname "$0")/../.."
BIN=${1:-build/rabbitlab}
pass=0
fail=0
tmp=$(mktemp -d)
SOCK=rabbitlab-cast-$$
trap 'tmux -L "$SOCK" kill-server 2>/dev/null; rm -rf "$tmp"' EXIT

ok() { pass=$((pass + 1)); printf 'PASS %s\n' "$1"; }
ko() {
	fail=$((fail + 1)); printf 'FAIL %s\n' "$1"
	[ -n "${2:-}" ] && [ -s "$2" ] && sed -n "1,${3:-20}p" "$2" | sed 's/^/    /'
	return 0
}

# Debian's pyte is for Debian's python3 (another python3 may come first).
PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
if ! "$PY" -c 'import pyte' 2>/dev/null; then
	ko "python3-pyte is installed (make deps)"
	echo "$pass passed, $fail failed"
	exit 1
fi

# A cast of one lesson, checked against the transcript of the same run.
cast_case() { # label cols rows lang lesson [option...]
	local label=$1 cols=$2 rows=$3 lang=$4 lesson=$5
	shift 5
	"$BIN" replay -q --lang "$lang" --size "${cols}x$rows" \
	    --cast "$tmp/$label.cast" "$@" "$lesson" \
	    >"$tmp/$label.out" 2>"$tmp/$label.err" </dev/null
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		echo "exit $rc" >>"$tmp/$label.err"
		ko "cast $label: replay --cast exits 0" "$tmp/$label.err"
	elif "$PY" tests/cast/check.py "$tmp/$label.cast" "$tmp/$label.out" \
	    "$cols" "$rows" "$lang" >"$tmp/$label.chk" 2>&1; then
		ok "cast $label: valid asciicast v2, last frame's ledger as replayed ($(cut -c1-60 "$tmp/$label.chk"))"
	else
		ko "cast $label" "$tmp/$label.chk"
	fi
}

cast_case en-80x24 80 24 en lessons/01-first-message.cfg
cast_case zh-80x24 80 24 zh lessons/02-exchanges.cfg
cast_case en-132x43 132 43 en lessons/03-payment-story.cfg --autoplay=3000 \
    --speed=2x

# The screen went to the cast file, not to the caller's output.
if grep -q $'\x1b' "$tmp/en-80x24.out" "$tmp/en-80x24.err"; then
	ko "cast: no escape sequence on standard output or error"
else
	ok "cast: no escape sequence on standard output or error"
fi

# No timestamp in a replay's cast: the same lesson, the same bytes.
"$BIN" replay -q --size 80x24 --cast "$tmp/again.cast" \
    lessons/01-first-message.cfg >/dev/null 2>&1 </dev/null
if cmp -s "$tmp/en-80x24.cast" "$tmp/again.cast"; then
	ok "cast: the same lesson gives the same file"
else
	ko "cast: the same lesson gives the same file"
fi

# lab --cast: the screen played in tmux (80x24) is recorded at 100x30.
if command -v tmux >/dev/null; then
	export XDG_STATE_HOME=$tmp/state LANG=C.UTF-8
	tmux -L "$SOCK" -f /dev/null new-session -d -x 80 -y 24 \
	    "$BIN --size 100x30 --cast $tmp/lab.cast lab lessons/01-first-message.cfg; echo rc=\$?; sleep 30"
	pane_has() { # text: waits up to 5 s for it in the pane
		for _ in $(seq 1 50); do
			tmux -L "$SOCK" capture-pane -p | grep -q "$1" && return 0
			sleep 0.1
		done
		return 1
	}
	pane_has "step 1 of"
	tmux -L "$SOCK" send-keys Space
	pane_has "Press 1-"
	tmux -L "$SOCK" send-keys 2
	pane_has "You predicted 2"
	tmux -L "$SOCK" send-keys q
	pane_has "rc="
	tmux -L "$SOCK" capture-pane -p >"$tmp/lab.pane"
	if grep -q "rc=0" "$tmp/lab.pane" &&
	    "$PY" tests/cast/check.py "$tmp/lab.cast" - 100 30 en \
	    >"$tmp/lab.chk" 2>&1 && grep -q "You predicted 2" "$tmp/lab.chk"; then
		ok "cast: lab --cast records the screen as played (100x30)"
	else
		cat "$tmp/lab.pane" >>"$tmp/lab.chk"
		ko "cast: lab --cast records the screen as played" "$tmp/lab.chk" 80
	fi
fi

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
