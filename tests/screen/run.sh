#!/usr/bin/env bash
# Screen tests: run the real program in a private tmux server, type keys
# (send-keys), read the screen (capture-pane) and look for specific text.
#
#   tests/screen/run.sh BIN
#
# BIN is the rabbitlab binary. Prints "PASS name" or "FAIL name" per check
# and ends with "N passed, N failed"; exits 1 if anything failed. Every wait
# is bounded (SCREEN_WAIT seconds, 5 by default). Only the tmux server this
# script starts (socket rabbitlab-test-PID) is ever killed.
set -u
cd "$(dirname "$0")/../.."

BIN=${1:?usage: tests/screen/run.sh BIN}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
WAIT=${SCREEN_WAIT:-5}
SOCK=rabbitlab-test-$$
L1=lessons/01-first-message.cfg
. tests/screen/lib.sh
screen_setup screen

. tests/screen/keys.sh


echo "== start-up"
start 80 24 "$BIN" lab $L1
check "start-up: four panes" has "Producer"
check "start-up: exchange, queue, consumer" \
    eval 'has "Exchange" && has "trade.pay.success" && has "Consumer"'
check "start-up: lesson title in the header" has "$(title_of $L1 | cut -c1-30)"
check "start-up: lesson pane at step 1" has "Lesson: step 1 of"
check "start-up: ledger" eval 'has "published" && has "lost silently"'
check "start-up: footer lists failures" eval 'has "N cut link" || has "N net"'
check "start-up: footer lists commands" has "? help"
screen
check "start-up: header on the first line" eval 'line 1 | grep -q "rabbitlab |"'
check "start-up: commands on the last line" eval 'line 24 | grep -q "? help"'

echo "== idle means asleep"
# The pane execs env, which execs the program: the pane's pid is ours.
pid=$(t display -p '#{pane_pid}')
sleep 0.5
cpu() { awk '{print $14 + $15}' "/proc/$1/stat" 2>/dev/null; }
if [ "$(readlink "/proc/$pid/exe")" = "$(readlink -f "$BIN")" ]; then
	a=$(cpu "$pid"); sleep 2; b=$(cpu "$pid")
	check "idle: under 3 ticks of CPU in 2 s" test $((b - a)) -le 3
else
	ko "idle: no /proc entry for the pane"
fi

echo "== lesson played by keys to its challenge"
check "lesson: every step played" \
    advance "Press space to start the challenge" 2 80
check "lesson: progress saved" eval 'grep -q "^lesson 01-first-message steps=" "$XDG_STATE_HOME/rabbitlab/progress"'
keys Space
check "lesson: challenge goal shown" has "Challenge:"
keys H
check "lesson: hint on request" has "Hint:"
keys Space
check "lesson: space on toggles not yet changed asks first" \
    has "Nothing changed yet"
keys Space
# A challenge run plays over time at 1x: give it longer on a loaded machine.
check "lesson: challenge judged not met" has "Not yet" 30
keys u
check "lesson: toggle for the challenge" has "queue durable = on"
keys Space
check "lesson: challenge met" has "Goal met!" 30
check "lesson: challenge recorded in progress" eval 'grep -q "challenge=1" "$XDG_STATE_HOME/rabbitlab/progress"'

echo "== predict, then observe"
start 80 24 "$BIN" lab $L1
has "Lesson: step 1 of" >/dev/null
advance "Press 1-" "" 10
check "question: choices numbered" eval 'has "Predict:" && has "1) " && has "2) "'
keys Space
check "question: space waits for a prediction" has "First predict"
keys N
check "question: a failure key waits for the answer" \
    eval 'has "Answer first (1-3)" && lacks "failure (connection_lost)" && lacks "net (N)"'
keys 2
check "question: verdict at once after the answer" has "You predicted 2"
check "question: space then reads on" eval 'keys G; sleep 0.3; keys Space; lacks "You predicted 2"' 

echo "== every toggle (sandbox)"
start 100 30 "$BIN" --sandbox lab $L1
has "Sandbox" >/dev/null
# The status names each toggle as its pane does, with the pane where two
# panes use one label.
while read -r key name; do
	[ -z "$key" ] && continue
	keys -l "$key"
	check "toggle $key $name" has "$name = "
done <<'TOGGLES'
c confirms
b batch
m mandatory
d persistent
y producer retry
y producer retry attempts
n producer 1st wait
p producer backoff
s resend
l reopen
h heartbeat
x exchange durable
e restart
t type
u queue durable
a ack
f prefetch
w work
r consumer retry
r consumer retry attempts
g consumer 1st wait
k consumer backoff
z max wait
o on failure
i idempotent
v recovery
j reconcile
j reconcile every
TOGGLES
keys BSpace
check "undo: the last toggle taken back" has "Undone."

echo "== every failure (sandbox, reset before each)"
while read -r key name; do
	[ -z "$key" ] && continue
	keys R y
	has "Back to the start." 2 >/dev/null
	keys -l "$key"
	check "failure $key $name" has "Failure: $name"
done <<'FAILURES'
N cut link
L blackhole
X no exchange
U unroutable
F queue full
K kill -9
O stop
C crash before work
A crash after work
E exception
T expiry
M chaos
FAILURES
keys R y
has "Back to the start." 2 >/dev/null
keys K
has "Failure: kill -9" >/dev/null
check "failure: the broker pane says down" hasre "broker +down"
keys B
check "broker started again" hasre "broker +up"

echo "== pacing, tokens and the message timeline"
keys R y
has "Back to the start." 2 >/dev/null
keys +
# At 1x each moment stays on screen: the token is seen on its way while
# nothing is processed yet.
seen=0
for _ in $(seq 1 40); do
	screen
	if grep -qE '[#~]1( |$|│)' "$tmp/screen" &&
	    grep -qE 'processed +0' "$tmp/screen"; then seen=1; break; fi
	sleep 0.1
done
check "pacing: the message is seen in flight" test $seen = 1
check "pacing: it is processed in the end" has "done #1" 8
keys Tab
check "select: Tab picks a message" has "Message 1 selected"
keys Enter
check "timeline: overlay with the fate" eval 'has "Message #1" && has "Fate: processed once"'
check "timeline: frames of the message" has "basic.publish"
keys Escape
check "timeline: Esc closes it" lacks "Message #1 ("
keys '#' 1 Enter
check "select: # and an id" has "Message #1"
keys Escape

echo "== mouse"
# An X10 mouse press on the producer's first toggle line.
has "c confirms" >/dev/null
ln=$(grep -n "c confirms" "$tmp/screen" | head -1 | cut -d: -f1)
before=$(grep -o "c confirms *[a-z]*" "$tmp/screen" | head -1)
if [ -n "$ln" ]; then
	keys -l "$(printf '\033[M %b%b' "\\$(printf %o $((32 + 3)))" "\\$(printf %o $((32 + ln)))")"
	check "mouse: a click steps the toggle" has "confirms = "
else
	ko "mouse: confirms line not found ($before)"
fi

echo "== help overlay"
start 80 24 "$BIN" lab $L1
has "Producer" >/dev/null
keys '?'
check "help: opens" has "Help: every key"
check "help: commands listed" eval 'has "Commands" && has "show or hide this help"'
keys End
check "help: scrolls to failures and marks" eval 'has "chaos" && has "Message tokens"'
keys Escape
check "help: Esc closes" lacks "Help: every key"
start 160 48 "$BIN" lab $L1
has "Producer" >/dev/null
keys '?'
check "help: toggles with values at 160x48" eval 'has "confirms=off" && has "mandatory=off"'
keys '?'

echo "== code overlay"
L5=lessons/05-confirms-returns.cfg
# fits W: no line of the screen is wider than W columns, and the overlay's
# right edge stands in the last column on every row between its corners.
fits() {
	screen -N
	python3 - "$tmp/screen" "$1" <<'PY'
import sys, unicodedata
def cols(s):
    return [sum(2 if unicodedata.east_asian_width(c) in "WF" else 1
                for c in s[:i]) for i in range(len(s) + 1)]
w = int(sys.argv[2])
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")
def width(s):
    return cols(s)[-1]
if any(width(r) > w for r in rows):
    sys.exit(1)
top = [i for i, r in enumerate(rows) if "┐" in r]
bot = [i for i, r in enumerate(rows) if "┘" in r]
if not top or not bot:
    sys.exit(1)
for r in rows[top[0]:bot[-1] + 1]:
    x = cols(r)
    edge = [x[i] for i, c in enumerate(r) if c in "│┐┤┘"]
    if w - 1 not in edge:
        sys.exit(1)
PY
}
start 80 24 "$BIN" lab $L5
has "Producer" >/dev/null
keys J
check "code: J opens it" has "Code for the toggles now (Esc closes)"
check "code: application.yml of the lesson's toggles" \
    eval 'has "# application.yml" && has "publisher-confirm-type: simple"'
check "code: fits 80x24, edges aligned" fits 80
# Toggle keys work under the overlay and the code follows them.
keys c
has "confirms = batch" >/dev/null
keys c
check "code: confirms async gives correlated" \
    eval 'has "confirms = async" && has "publisher-confirm-type: correlated"'
keys a
check "code: ack mode manual" has "acknowledge-mode: manual"
screen -e
check "code: the changed line is marked" \
    grep -qF $'\e[43macknowledge-mode: manual' "$tmp/screen"
check "code: scrolled to the change" hasre "lines [1-9][0-9]*-[0-9]+ of [0-9]+"
keys End
check "code: End shows the rabbitmq-c calls" \
    eval 'has "amqp_basic_consume" && has "amqp_basic_ack"'
check "code: manual ack in Java too" has "ch.basicAck(tag, false)"
keys Home
check "code: Home goes back to the top" eval 'has "# application.yml" && has "lines 1-"'
keys PageDown
check "code: PgDn scrolls" eval 'hasre "lines [1-9][0-9]-" && gone "# application.yml"'
keys PageUp
# Long lines are cut at the box with a mark; Right scrolls sideways.
keys End
check "code: a long line is cut, marked >" hasre 'user, password\)>│'
keys Right Right Right Right Right
check "code: Right scrolls sideways" eval 'has "password);" && hasre "│<"'
check "code: still fits after scrolling" fits 80
keys Left Left Left Left Left
keys Escape
check "code: Esc closes it" lacks "Code for the toggles now"
check "code: the toggles stay as set" hasre "ack +manual"
keys J
check "code: opens again at the top" has "# application.yml"
keys J
check "code: J closes it too" lacks "Code for the toggles now"
start 80 24 "$BIN" --lang zh lab $L5
has "生产者" >/dev/null
keys J
check "code zh: title translated" has "当前开关对应的代码（Esc 关闭）"
check "code zh: comments in Chinese" has "发送方调用 waitForConfirms"
check "code zh: fits 80x24, edges aligned" fits 80
keys a
check "code zh: ack mode manual" has "acknowledge-mode: manual"
keys End
check "code zh: scrolls" has "amqp_basic_consume"
check "code zh: still fits" fits 80
keys Escape
check "code zh: Esc closes it" lacks "当前开关对应的代码"

echo "== glossary overlay"
start 80 24 "$BIN" lab $L5
has "Producer" >/dev/null
keys V
check "glossary: V opens it" has "Glossary: English and Chinese"
check "glossary: English and Chinese terms" has "producer  生产者"
check "glossary: explanation in English" \
    eval 'has "The application that publishes messages" && gone "发送消息的应用"'
check "glossary: the lesson that shows it" has "lesson 1"
check "glossary: fits 80x24, edges aligned" fits 80
keys PageDown
check "glossary: PgDn scrolls" eval 'hasre "lines [0-9]+-[0-9]+ of" && gone "producer  生产者"'
keys End
check "glossary: End reaches the last section" has "reconciliation period"
keys /
keys -l prefetch
check "glossary: / searches" eval 'has "Search: prefetch_" && has "prefetch (basic.qos)"'
keys Enter
check "glossary: the search is kept" hasre '"prefetch": [0-9]+ of [0-9]+ terms'
check "glossary: only matches shown" lacks "producer  生产者"
keys Escape
check "glossary: Esc closes it" lacks "Glossary: English and Chinese"
keys V
check "glossary: opens again unfiltered" has "producer  生产者"
keys V
check "glossary: V closes it too" lacks "Glossary: English and Chinese"
start 80 24 "$BIN" --lang zh lab $L5
has "生产者" >/dev/null
keys V
check "glossary zh: title translated" has "术语表：中英对照"
check "glossary zh: explanation in Chinese" \
    eval 'has "发送消息的应用" && gone "The application that publishes"'
check "glossary zh: lesson tag" has "第 1 课"
check "glossary zh: fits 80x24, edges aligned" fits 80
keys /
keys -l 幂等
check "glossary zh: search in Chinese" eval 'has "搜索：幂等_" && has "幂等  idempotency"'
keys Escape
check "glossary zh: Esc clears the search" eval 'has "生产者  producer"'
keys Down Down Down
check "glossary zh: Down scrolls" eval 'gone "生产者  producer"'
check "glossary zh: still fits" fits 80
keys Escape
check "glossary zh: Esc closes it" lacks "术语表：中英对照"
start 80 24 RABBITLAB_LESSONS="$tmp/none" "$BIN" lab tests/facts/f01-missing-exchange.cfg
has "Producer" >/dev/null
keys V
check "glossary: missing file said in one clear line" has "No glossary: $tmp/none/GLOSSARY.md"
keys Escape
check "glossary: the lab goes on without it" eval 'has "Producer" && gone "No glossary"'
start 160 48 "$BIN" lab $L1
has "Producer" >/dev/null
check "footer: code and glossary keys at 160 columns" \
    eval 'has "J code" && has "V glossary"'
keys '?'
check "help: lists the code and glossary keys" \
    eval 'has "show the toggles now as Spring and rabbitmq-c code" && has "show the glossary of terms"'
keys '?'

echo "== 80x24 layout regressions"
# A question whose text does not fit beside the event log takes the whole
# width, and keeps all its choices and the answer prompt (lesson 9, step
# 11 once lost its last choice at 80x24).
start 80 24 "$BIN" lab lessons/09-idempotency.cfg
has "Lesson: step 1 of" >/dev/null
advance "step 5 of" 1 30
check "regression: a long question keeps every choice at 80x24" \
    eval 'has "3) Lost: their confirms never came" && has "Press 1-3 to answer."'
start 80 24 "$BIN" lab $L1
check "regression: short toggle labels, not cut words" \
    eval 'has "x dur." && has "e boot" && gone "durab "'
start 80 24 "$BIN" --lang zh lab $L1
check "regression: no Chinese label cut in half" \
    eval 'has "e 重启" && gone "自动重 "'
start 80 24 "$BIN" lab lessons/11-delayed.cfg
check "regression: queue names that differ at the end stay apart, whole" \
    eval 'has "│order.check.5s " && has "│order.check.wait " && has "│order.check  r0 u0│"'
check "regression: lesson 11's exchange names whole at 80x24" \
    eval 'has "│order.delay│" && has "│order.dlx  │" && has "│order.later│"'
# Names that would look the same when cut in the middle (order.delay.direct
# and order.direct both "ord..direct") keep the parts that differ.
sed 's/"order\.delay"/"order.delay.direct"/g; s/"order\.dlx"/"order.direct"/g;
    s/"order\.later"/"order.delayed"/g' lessons/11-delayed.cfg >"$tmp/clash.cfg"
start 80 24 "$BIN" lab "$tmp/clash.cfg"
check "regression: exchange names that would look the same when cut" \
    eval 'has "..ay.direct" && has "│..direct " && has "ord..elayed" && lacks "~de"'
start 80 24 "$BIN" lab lessons/06-broker.cfg
check "regression: a long title shows whole, the brand giving way" \
    eval 'has " Inside the broker: durable, persistent, lazy, quorum " && lacks "rabbitlab |"'
# The copies line of the ledger appears only where the lesson loses no
# line for it: after the fanout step of lesson 2 it shows at 100x30, and at
# 80x24 the lesson keeps the line instead.
start 100 30 "$BIN" lab lessons/02-exchanges.cfg
has "Lesson: step 1 of" >/dev/null
advance "Press 1-" "" 40
keys 3; sleep 0.2; keys G
has "Copies " >/dev/null
check "ledger: copies of a fanout counted at 100x30" hasre "Copies [0-9]+: processed [0-9]+"
t resize-window -x 80 -y 24
sleep 0.5
check "regression: copies line gives way to the lesson at 80x24" \
    eval 'lacks "Copies " && has "which nobody" && has "consumes here."'

echo "== resize"
start 160 48 "$BIN" lab $L1
check "resize: 160x48 shows the whole producer" has "h heartbeat"
t resize-window -x 80 -y 24
sleep 0.5
check "resize: 80x24 compact layout" eval 'has "Producer" && gone "h heartbeat"'
screen
check "resize: 80x24 footer on the last line" eval 'line 24 | grep -q "? help"'
t resize-window -x 70 -y 20
check "resize: below 80x24 asks to enlarge" has "Please enlarge the window"
t resize-window -x 100 -y 30
check "resize: back to the lab" has "Producer"

echo "== languages"
start 80 24 "$BIN" --lang zh lab $L1
check "zh: interface strings translated" eval 'has "生产者" && has "交换机" && has "消费者"'
check "zh: lesson text from the script" has "$(zh_title_of $L1 | cut -c1-12)"
check "zh: footer translated" has "帮助"
check "zh: catalogue found" lacks "No Chinese interface catalogue"
screen -N
# Box edges must line up under Chinese text: every line is 80 columns wide
# and the producer box's right edge sits in the same column on each row.
check "zh: no line wider than the terminal" python3 - "$tmp/screen" <<'PY'
import sys, unicodedata
def width(s):
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in s)
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")[:24]
sys.exit(0 if all(width(r) <= 80 for r in rows) else 1)
PY
check "zh: box edges aligned" python3 - "$tmp/screen" <<'PY'
import sys, unicodedata
def cols(s, chars):
    out, x = [], 0
    for c in s:
        if c in chars: out.append(x)
        x += 2 if unicodedata.east_asian_width(c) in "WF" else 1
    return out
rows = open(sys.argv[1], encoding="utf-8").read().split("\n")
top = cols(rows[1], "┐")
body = [cols(r, "│") for r in rows[2:10]]
sys.exit(0 if top and all(top[0] in b for b in body) else 1)
PY
start 80 24 LC_ALL=C "$BIN" --lang zh lab $L1
check "zh: works in the C locale (no zh_CN generated)" has "生产者"
start 80 24 "$BIN" --lang zh
check "zh: picker" eval 'has "课程" && has "未开始"'
start 80 24 "$BIN" lab $L1
check "en: English by default" eval 'has "Producer" && gone "生产者"'

echo "== colours"
start 80 24 "$BIN" lab $L1
has "Producer" >/dev/null
screen -e
check "colour: colours used by default" grep -qE $'\e\\[(3[0-7]|38;5;[0-9]+|4[0-7])m' "$tmp/screen"
start 80 24 NO_COLOR=1 "$BIN" lab $L1
has "Producer" >/dev/null
screen -e
check "NO_COLOR: no colour at all" eval "! grep -qE $'\\e\\\\[(3[0-7]|38;5;[0-9]+|4[0-7]|48;5;[0-9]+)m' \"\$tmp/screen\""
check "NO_COLOR: still drawn" grep -q "Producer" "$tmp/screen"
start 80 24 TERM=xterm-mono "$BIN" lab $L1
check "monochrome terminal" has "Producer"
start 80 24 LC_ALL=C "$BIN" lab $L1
check "ASCII lines outside UTF-8" has "+- Producer -"

echo "== picker and progress"
rm -rf "$XDG_STATE_HOME"
start 80 24 "$BIN"
check "picker: lessons listed" eval 'has "Lessons" && has "$(title_of $L1 | cut -c1-30)"'
keys Enter
check "picker: Enter opens the lesson" has "Lesson: step 1 of"
keys q
check "picker: q goes back to the list" has "Lessons"
keys q
mkdir -p "$XDG_STATE_HOME/rabbitlab"
echo "not a progress file" >"$XDG_STATE_HOME/rabbitlab/progress"
start 80 24 "$BIN"
check "progress: damaged file reported" has "damaged"
check "progress: damaged file kept aside" \
    eval 'ls "$XDG_STATE_HOME"/rabbitlab/progress.bad-* >/dev/null 2>&1'

echo "== autoplay and recording"
start 80 24 "$BIN" --autoplay=300 lab $L1
check "autoplay: steps advance by themselves" has "step 2 of" 8
start 80 24 "$BIN" --sandbox --record "$tmp/rec.cfg" lab $L1
has "Sandbox" >/dev/null
keys +
sleep 0.5
keys q
for _ in $(seq 1 30); do [ -s "$tmp/rec.cfg" ] && break; sleep 0.1; done
check "record: written on exit" grep -q 'do = "publish"' "$tmp/rec.cfg"
if "$BIN" --version >/dev/null 2>&1; then
	check "record: a script that check accepts" \
	    eval '"$BIN" check "$tmp/rec.cfg" >/dev/null 2>&1'
fi

echo "== terminal manners"
"$BIN" lab $L1 </dev/null >"$tmp/out" 2>"$tmp/err"
rc=$?
check "no terminal: exit 2" test $rc = 2
check "no terminal: points to replay" grep -q "rabbitlab replay" "$tmp/err"
t_fresh
t new-session -d -x 80 -y 24 -c "$PWD" \
    "TERM=no-such-terminal $BIN lab $L1; echo rc=\$?; sleep 30"
check "unknown TERM: clear error and exit 2" \
    eval 'has "rabbitlab replay" && has "rc=2"'
t_fresh
t new-session -d -x 80 -y 24 -c "$PWD" \
    "env XDG_STATE_HOME='$XDG_STATE_HOME' LANG=C.UTF-8 PS1='PROMPT\$ ' bash --norc --noprofile -i"
sleep 0.3
shell=$(t display -p '#{pane_pid}')
after="echo rc=\$?; stty -a | tr -s ' ' '\\n' | grep -x 'icanon\\|echo' | sort | tr '\\n' ,; echo"
keys "clear; $BIN lab $L1" Enter
has "Producer" >/dev/null
keys C-z
check "SIGTSTP: suspends to the shell" has "Stopped"
keys "fg" Enter
check "SIGCONT: the lab is drawn again" has "Producer"
keys C-c
has "PROMPT" >/dev/null
keys "$after" Enter
check "SIGINT: exits 0 with the terminal sane" eval 'has "rc=0" && has "echo,icanon,"'
keys "clear; $BIN lab $L1; $after" Enter
has "Producer" >/dev/null
kid=$(pgrep -P "$shell" | head -1)
if [ -n "$kid" ]; then kill -TERM "$kid"; fi
check "SIGTERM: exits 0 with the terminal sane" eval 'has "rc=0" && has "echo,icanon,"'

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
