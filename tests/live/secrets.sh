#!/usr/bin/env bash
# Broker passwords on a live run, and the vhost a URL names.
#
#   tests/live/secrets.sh build/rabbitlab
#
# Starts its own private node (tests/live/node.sh, stopped on exit whatever
# happens) with a user whose password is $SECRET, then:
#   - runs the lab with --broker amqp://USER:$SECRET@... and samples its
#     /proc/PID/cmdline and `ps -ww -o args` every 20 ms for the whole run:
#     once it has started (see sampled) no sample may show the password
#     (the lab scrubs it from its argv), the run must still log in with it,
#     and stderr carries a one-line notice pointing at RABBITLAB_URL and
#     the config file;
#   - logs in through $RABBITLAB_URL and through the config file, whose
#     mode draws a warning when others may read it (0644, 0640) and none
#     when it is 0600 or holds no password;
#   - a URL ending in '/' names the vhost "" (AMQP URI spec): the broker's
#     530 comes back as a message naming the vhost and the fix; /%2F works.
# No output of any run may hold the password. Prints PASS or FAIL per check
# and ends with "N passed, N failed"; exits 1 if anything failed.
set -u
BIN=${1:?usage: tests/live/secrets.sh path/to/rabbitlab}
case $BIN in /*) ;; *) BIN=$PWD/$BIN ;; esac
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

SECRET=SECRETWORD
LUSER=labsecret
LESSON=lessons/02-exchanges.cfg
needs_lab secrets

# Only the URLs given here: no node, URL or config file from outside.
scratch secrets
node=$tmp/node
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() { tests/live/node.sh stop "$node" >/dev/null 2>&1; }
cfg=$XDG_CONFIG_HOME/rabbitlab/config
mkdir -p "$(dirname "$cfg")"

t0=$SECONDS
if tests/live/node.sh start "$node" >"$tmp/node.out" 2>&1 &&
    tests/live/node.sh ctl "$node" add_user "$LUSER" "$SECRET" \
    >>"$tmp/node.out" 2>&1 &&
    tests/live/node.sh ctl "$node" set_permissions -p / "$LUSER" \
    '.*' '.*' '.*' >>"$tmp/node.out" 2>&1; then
	ok "private node with user $LUSER ($((SECONDS - t0)) s)"
else
	ko "private node with user $LUSER" "$tmp/node.out"
	finish
fi
port=$(sed -n 's/^RABBITMQ_NODE_PORT=//p' "$node/node.env")
url="amqp://$LUSER:$SECRET@127.0.0.1:$port"

# Whether the password is anywhere in the files given.
leaked() { grep -qF -- "$SECRET" "$@"; }

# Runs the lab with the arguments given in the background and samples its
# command line twice every 20 ms until it exits (at most 40 s); its output
# goes to $tmp/s.out and $tmp/s.err, its status to rc.
#
# A sample counts once it is the lab's own command line (the shell forks
# before it execs). Until main() has run, the password is in argv and
# nothing can hide it: the dynamic loader alone takes milliseconds, tens on
# a loaded machine. So the samples taken before the lab's first output
# (which it writes only after scrubbing its argv) are counted apart as
# start-up samples, and reported; every later sample must be clean. Sets
# samples, cmd_leaks and ps_leaks (after the first output), and early and
# early_leaks (before it).
sampled() {
	local pid c a out s0=$SECONDS
	samples=0 cmd_leaks=0 ps_leaks=0 early=0 early_leaks=0
	# Emptied here: the child truncates them only after the fork, and
	# the last run's output would pass for this one's.
	: >"$tmp/s.out"
	: >"$tmp/s.err"
	"$BIN" "$@" >"$tmp/s.out" 2>"$tmp/s.err" &
	pid=$!
	while :; do
		# First whether it has written, then what it shows.
		out=0
		[ -s "$tmp/s.out" ] || [ -s "$tmp/s.err" ] && out=1
		c=$(tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline")
		a=$(ps -ww -o args= -p "$pid" 2>/dev/null)
		# A zombie's cmdline is empty: the run is over.
		[ -n "$c" ] || break
		case $c in
		"$BIN "*--broker*)
			if [ "$out" -eq 0 ]; then
				early=$((early + 1))
				case $c$a in *"$SECRET"*)
					early_leaks=$((early_leaks + 1)) ;;
				esac
			else
				samples=$((samples + 1))
				case $c in *"$SECRET"*)
					cmd_leaks=$((cmd_leaks + 1)) ;;
				esac
				case $a in *"$SECRET"*)
					ps_leaks=$((ps_leaks + 1)) ;;
				esac
			fi
			;;
		esac
		if [ $((SECONDS - s0)) -gt 40 ]; then
			kill -TERM "$pid"
			break
		fi
		sleep 0.02
	done
	wait "$pid"
	rc=$?
}

# The figures of the last sampled run, for a label.
figures() {
	printf '%d samples; cmdline %d, ps %d showed it; start-up %d, %d showed it' \
	    "$samples" "$cmd_leaks" "$ps_leaks" "$early" "$early_leaks"
}

echo "== the password on the command line"
sampled --engine=live --broker "$url" replay -q \
    "$LESSON" "$LESSON" "$LESSON" "$LESSON"
label="--broker URL: password in no /proc/PID/cmdline or ps sample ($(figures))"
if [ "$samples" -ge 10 ] && [ "$cmd_leaks" -eq 0 ] && [ "$ps_leaks" -eq 0 ]
then
	ok "$label"
else
	ko "$label; wanted at least 10 samples, none showing it"
fi
if [ "$rc" -eq 0 ] && ! leaked "$tmp/s.out" "$tmp/s.err"; then
	ok "--broker URL: the run logs in with the password, never prints it"
else
	echo "exit $rc; wanted 0 and no password" >>"$tmp/s.err"
	ko "--broker URL: the run logs in with the password, never prints it" \
	    "$tmp/s.err"
fi
if [ "$(grep -c 'RABBITLAB_URL' "$tmp/s.err")" -eq 1 ] &&
    grep -q 'config' "$tmp/s.err" && ! grep -q 'RABBITLAB_URL' "$tmp/s.out"
then
	ok "--broker URL: one notice on stderr, none on stdout"
else
	ko "--broker URL: one notice on stderr, none on stdout" "$tmp/s.err"
fi

sampled --engine=live --broker="$url" replay -q "$LESSON" "$LESSON"
label="--broker=URL: password in no sample ($(figures))"
if [ "$rc" -eq 0 ] && [ "$samples" -ge 2 ] && [ "$cmd_leaks" -eq 0 ] &&
    [ "$ps_leaks" -eq 0 ] && ! leaked "$tmp/s.out" "$tmp/s.err"; then
	ok "$label"
else
	echo "exit $rc; wanted 0, at least 2 samples, none showing it" \
	    >>"$tmp/s.err"
	ko "$label" "$tmp/s.err"
fi

echo "== the password in the environment and in the config file"
# A run of the lab on one lesson; rc and its output in $tmp/o.*.
run() { # env-assignment...
	env "$@" "$BIN" --engine=live replay -q "$LESSON" \
	    >"$tmp/o.out" 2>"$tmp/o.err"
	rc=$?
}
run RABBITLAB_URL="$url"
if [ "$rc" -eq 0 ] && ! grep -q 'RABBITLAB_URL\|chmod' "$tmp/o.err" &&
    ! leaked "$tmp/o.out" "$tmp/o.err"; then
	ok "RABBITLAB_URL: logs in, no notice, no password shown"
else
	echo "exit $rc; wanted 0, no notice, no password" >>"$tmp/o.err"
	ko "RABBITLAB_URL: logs in, no notice, no password shown" "$tmp/o.err"
fi

# The config file at `mode` holding `u`: the run must log in, say
# `chmod 600 FILE` and the mode when `warn` is 1, and stay quiet otherwise.
config_check() { # mode url warn label
	local mode=$1 u=$2 warn=$3 label=$4 said=0
	printf 'broker = "%s";\n' "$u" >"$cfg"
	chmod "$mode" "$cfg"
	run
	grep -qF "chmod 600 $cfg" "$tmp/o.err" && grep -qF "$mode" "$tmp/o.err" &&
	    said=1
	if [ "$rc" -eq 0 ] && [ "$said" -eq "$warn" ] &&
	    { [ "$warn" -eq 1 ] || ! grep -q 'chmod' "$tmp/o.err"; } &&
	    ! leaked "$tmp/o.out" "$tmp/o.err"; then
		ok "$label"
	else
		echo "exit $rc; wanted 0, warning $warn, no password" \
		    >>"$tmp/o.err"
		ko "$label" "$tmp/o.err"
	fi
}
config_check 0644 "$url" 1 "config file 0644 with a password: warns, chmod 600"
config_check 0640 "$url" 1 "config file 0640 with a password: warns, chmod 600"
config_check 0600 "$url" 0 "config file 0600 with a password: no warning"
config_check 0644 "amqp://127.0.0.1:$port" 0 \
    "config file 0644 without a password: no warning"
rm -f "$cfg"

echo "== the vhost a URL names"
# A run refused with exit 2 whose stderr has every `want` and no `not`.
refused() { # label url not want...
	local label=$1 u=$2 not=$3 w miss=0
	shift 3
	env RABBITLAB_URL="$u" timeout -k 5 30 "$BIN" --engine=live replay \
	    -q "$LESSON" >"$tmp/o.out" 2>"$tmp/o.err"
	rc=$?
	for w in "$@"; do
		grep -qF -- "$w" "$tmp/o.err" || miss=1
	done
	[ -n "$not" ] && grep -qF -- "$not" "$tmp/o.err" && miss=1
	if [ "$rc" -eq 2 ] && [ "$miss" -eq 0 ] &&
	    ! leaked "$tmp/o.out" "$tmp/o.err"; then
		ok "$label"
	else
		echo "exit $rc; wanted exit 2 and $*, no password" >>"$tmp/o.err"
		ko "$label" "$tmp/o.err"
	fi
}
refused "trailing '/': vhost '' named, the fix given" "$url/" "" "530" \
    "vhost '' (the URL ends with '/')" \
    "amqp://$LUSER:PASSWORD@127.0.0.1:$port (no slash)" \
    "amqp://$LUSER:PASSWORD@127.0.0.1:$port/%2F for the default vhost '/'"
refused "missing vhost: named in quotes" "$url/no-such-vhost" \
    "ends with '/'" "530" "vhost 'no-such-vhost'"
run RABBITLAB_URL="$url/%2F"
if [ "$rc" -eq 0 ] && ! leaked "$tmp/o.out" "$tmp/o.err"; then
	ok "'/%2F' names the default vhost '/'"
else
	echo "exit $rc; wanted 0" >>"$tmp/o.err"
	ko "'/%2F' names the default vhost '/'" "$tmp/o.err"
fi

echo "($((SECONDS - t0)) s)"
finish
