#!/usr/bin/env bash
# The whole screen in Chinese: plays every lesson with --lang zh in tmux at
# 80x24 and at 132x40 (two windows fed the same keys), steps through it,
# flips every toggle, triggers every failure, opens the message timeline,
# the glossary and the help, captures the screen after each key, and fails
# on any English word that is neither in tests/screen/zh-allow.txt (AMQP
# and Spring names, key names) nor a name the lesson's topology defines.
# Each offending word is printed with the screen line it was on.
#
#   tests/screen/zh.sh BIN
#
# With ZH_SCREENS=DIR, every captured screen is also kept in DIR/ID.screens.
# Prints "PASS name" or "FAIL name" per lesson and ends with "N passed, N
# failed". Only the tmux server this script starts is ever killed.
set -u
cd "$(dirname "$0")/../.."

BIN=${1:?usage: tests/screen/zh.sh BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
ALLOW=$PWD/tests/screen/zh-allow.txt
SOCK=rabbitlab-zh-$$
. tests/screen/lib.sh
screen_setup "zh screen"
ko() { fail=$((fail + 1)); printf 'FAIL %s\n' "$1"; }

SIZES="80x24 132x40"
# start CMD...: one session per size, each running CMD.
start() {
	t_fresh
	for s in $SIZES; do
		t new-session -d -s "s$s" -x "${s%x*}" -y "${s#*x}" -c "$PWD" \
		    "exec env XDG_STATE_HOME='$XDG_STATE_HOME' LANG=C.UTF-8 $*"
	done
}
# snap LABEL: appends every session's screen to $out (one tmux call).
snap() {
	local cmd=() s
	for s in $SIZES; do
		cmd+=(display-message -p -t "s$s" "=== $s after $1" \;
		    capture-pane -p -t "s$s" \;)
	done
	t "${cmd[@]}" >>"$out" 2>/dev/null
}
# key KEY [SECONDS [WHAT]]: sends KEY (a tmux key name) to every session,
# waits, captures; WHAT names the screen ("glossary").
key() {
	local cmd=() s
	for s in $SIZES; do cmd+=(send-keys -t "s$s" "$1" \;); done
	t "${cmd[@]}"
	sleep "${2:-0.06}"
	snap "$1 ${3:-}"
}
# step: presses space, captures (a question then shows whole), and
# answers 1 if a question waits.
step() {
	local cmd=() s
	for s in $SIZES; do cmd+=(send-keys -t "s$s" Space G \;); done
	t "${cmd[@]}"
	sleep 0.06
	snap step
	cmd=()
	for s in $SIZES; do cmd+=(send-keys -t "s$s" 1 \;); done
	t "${cmd[@]}"
}
# waitfor TEXT: until the first session shows TEXT (at most 5 s).
waitfor() {
	local end=$((SECONDS + 5))
	until t capture-pane -p -t "s${SIZES%% *}" | grep -qF -- "$1"; do
		[ $SECONDS -ge $end ] && return 1
		sleep 0.1
	done
}

# The words a lesson's topology names (exchanges, queues, consumers, keys,
# failure targets), whole and split at dots (a narrow pane shortens
# "trade.pay.success" to "trade..success").
names() {
	grep -oE '(name|exchange|queue|key|target|dlx|dlrk) = "[^"]*"' "$1" |
	    sed 's/.*"\(.*\)"/\1/' | tr '.' '\n'
	grep -oE '(name|exchange|queue|key|target|dlx|dlrk) = "[^"]*"' "$1" |
	    sed 's/.*"\(.*\)"/\1/'
	# Header arguments of bindings and messages: names and values.
	grep -E '(args|headers) = \{' "$1" | grep -oE '[A-Za-z_-]+ = "[^"]*"' |
	    sed 's/ = "/\n/; s/"$//'
}
# The English terms of the glossary: allowed on the glossary's screens only.
gloss_names() {
	awk -F'|' '/^\| / && $2 !~ /English/ { print $2 }' lessons/GLOSSARY.md |
	    tr ' /():' '\n\n\n\n\n'
}

# check_words FILE NAMES: prints "word | line" for every English word on a
# screen that is not allowed; exit status 1 if there was one. Screens whose
# label says "glossary" may also show the glossary's English terms.
check_words() {
	gloss_names >"$tmp/gloss"
	LC_ALL=C awk -v allowf="$ALLOW" -v namesf="$2" -v glossf="$tmp/gloss" '
	BEGIN {
		while ((getline w < allowf) > 0) {
			sub(/#.*/, "", w); sub(/^[ \t]+/, "", w)
			sub(/[ \t]+$/, "", w)
			if (w ~ / /) phrase[w] = 1
			else if (w != "") allow[w] = 1
		}
		while ((getline w < namesf) > 0) if (w != "") name[w] = 1
		while ((getline w < glossf) > 0) if (w != "") gloss[w] = 1
	}
	# A piece of an allowed word cut by a pane edge or an overlay border.
	function piece_ok(tok,   n) {
		if (length(tok) < 2) return 1
		for (n in name) if (index(n, tok)) return 1
		for (n in allow) if (index(n, tok)) return 1
		return 0
	}
	function allowed(tok) {
		if (length(tok) <= 1) return 1
		if (tok ~ /^m[0-9]+$/ || tok ~ /^x[0-9.]+$/) return 1
		if (tok in allow || tok in name) return 1
		if (where ~ /glossary/ && tok in gloss) return 1
		if (tok ~ /^spring\.rabbitmq\./) return 1
		return 0
	}
	/^=== / { where = $0; next }
	{
		line = $0
		for (p in phrase) gsub(p, "", line)
		# The elision mark of the panes (DRAW_ELIDE) cuts a name as "~" did.
		gsub(/\.\./, "~", line)
		prev = ""
		while (match(line, /[A-Za-z][A-Za-z0-9_.\/+-]*/)) {
			tok = substr(line, RSTART, RLENGTH)
			before = RSTART > 1 ? substr(line, RSTART - 1, 1) : ""
			line = substr(line, RSTART + RLENGTH)
			sub(/[.\/+-]+$/, "", tok)
			# (bytes: the last byte of a box-drawing character
			# or of U+FFFD, as a pane edge or a cut leaves it)
			edge = before == "" || before ~ /[\200-\277~]/ ||
			    line == "" || line ~ /^(\342|~|\.\.\.| *\342|  +$)/
			if (allowed(tok) || (edge && piece_ok(tok)))
				continue
			if (before == "/")
				continue # a path
			bad++
			if (!(tok in seen)) {
				seen[tok] = 1
				printf "    %s | %s  [%s]\n", tok, $0, where
			}
		}
	}
	END { exit bad > 0 }' "$1"
}

# check_choices FILE: every screen that asks "按 1-N 作答" shows its N
# choices ("N) ..." lines): none below the lesson pane's fold. A screen
# counts only when the next one of its size shows the same (a capture taken
# while the lab redraws can catch half a frame: ci37 saw one such, the next
# frame whole). Prints the first such screen; exit status 1 then.
check_choices() {
	awk '
	function verdict() {
		if (where == "") return
		size = where
		sub(/^=== /, "", size); sub(/ .*/, "", size)
		short = want > 0 && got < want
		if (short && prev[size] && !shown) {
			printf "    %d of %d choices shown [%s]\n", got, want, where
			printf "%s", screen
			shown = 1
			bad = 1
		}
		prev[size] = short
	}
	/^=== / { verdict(); where = $0; screen = ""; want = 0; got = 0; next }
	{
		screen = screen "    | " $0 "\n"
		if (match($0, /1-[0-9]+ 作答/)) {
			n = substr($0, RSTART + 2)
			want = n + 0
		}
		if ($0 ~ /^ [1-9]\) / || $0 ~ /│ [1-9]\) /) got++
	}
	END { verdict(); exit bad }' "$1"
}

# Units glued to numbers are not words: strip "50ms", "2s", "1x", "x1.5".
units() {
	sed -E 's/(^|[^A-Za-z0-9_.])[0-9]+(\.[0-9]+)?(ms|s|x)\b/\1N/g; s/\bt=/N=/g' "$1"
}

TOGGLES="c c c c b m d y y y y y n p s l h x e t t t u a a a f w r r r r r g k z o o o i i i v j j j j j j j"
FAILS="N L X U F K B O B C A E T M"

# play FILE [all]: one lesson, step by step (answering 1 to every
# question), then a burst and the first message's timeline. With "all",
# also every toggle, every failure, the glossary and the help, which read
# the same in every lesson.
play() {
	local f=$1 id steps
	id=$(basename "$f" .cfg)
	out=$tmp/$id.screens
	: >"$out"
	start "$BIN" --lang zh lab "$f"
	if ! waitfor "rabbitlab |"; then
		ko "zh $id: the lab did not start"
		return
	fi
	snap start
	# As many spaces as the lesson has steps ("共 N 步"), and a few more.
	steps=$(t capture-pane -p -t "s${SIZES##* }" |
	    sed -n 's/.*共 \([0-9]*\) 步.*/\1/p' | head -1)
	for _ in $(seq 1 $((${steps:-40} + 2))); do
		step
	done
	# The challenge (started by the last spaces): a hint and the solution.
	key h; key S
	key G 0.3
	if [ "${2:-}" = all ]; then
		for k in $TOGGLES; do key "$k" 0.03; done
		for k in $FAILS; do key "$k" 0.1; done
	fi
	key + 0.3
	key '*' 0.6
	key Up; key Down
	key Tab 0.1
	key Enter 0.2
	key NPage 0.1
	key Escape 0.1
	if [ "${2:-}" = all ]; then
		key V 0.2 glossary
		for _ in 1 2 3 4 5 6 7 8; do key NPage 0.06 glossary; done
		key Escape 0.1
		key '?' 0.2
		for _ in 1 2 3 4 5; do key NPage 0.06; done
		key Escape 0.1
	fi
	# Leaving saves the progress the picker shows at the end (tmux then
	# says the pane is dead: no capture).
	for s in $SIZES; do t send-keys -t "s$s" q; done
	sleep 0.2
	names "$f" >"$tmp/names"
	[ -n "${ZH_SCREENS:-}" ] && mkdir -p "$ZH_SCREENS" && cp "$out" "$ZH_SCREENS/"
	units "$out" >"$out.u"
	if check_words "$out.u" "$tmp/names" >"$tmp/bad"; then
		ok "zh $id: no English on $(grep -c '^===' "$out") screens"
	else
		ko "zh $id: English on screen (word | line)"
		head -40 "$tmp/bad"
	fi
	if check_choices "$out" >"$tmp/bad"; then
		ok "zh $id: every question shows all its choices ($(grep -c '作答' "$out") screens)"
	else
		ko "zh $id: a question's choices below the fold"
		head -40 "$tmp/bad"
	fi
}

for f in "${@:2}"; do play "$f" all; done
if [ $# -lt 2 ]; then
	for f in lessons/[0-9]*.cfg; do
		case $f in */12-*) play "$f" all ;; *) play "$f" ;; esac
	done
	# The picker and the progress screen.
	out=$tmp/picker.screens
	: >"$out"
	start "$BIN" --lang zh
	waitfor "rabbitlab" && sleep 0.3
	snap picker
	key Down; key Down; key '?' 0.3; key Escape; key Tab 0.3; key Tab 0.3
	: >"$tmp/names"
	units "$out" >"$out.u"
	if check_words "$out.u" "$tmp/names" >"$tmp/bad"; then
		ok "zh picker: no English"
	else
		ko "zh picker: English on screen (word | line)"
		head -40 "$tmp/bad"
	fi
fi
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
