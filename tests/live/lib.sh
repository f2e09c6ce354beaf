# shellcheck shell=bash
# What the live test scripts share: sourced by tests/live/run.sh,
# secrets.sh, shared.sh and lifetime.sh once they are in the repository's
# root, never run on its own.
#
# The checks' tally. ok and ko print one line per check, "PASS name" or
# "FAIL name", a failure followed by the first KO_LINES lines of its
# detail file indented by four spaces; finish prints "N passed, N failed"
# after an empty line and exits 1 if anything failed, 0 otherwise.
# needs_lab ends the script with one failure unless rabbitmq-server and
# the rabbitlab binary $BIN are installed.

SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
KO_LINES=30 # a script may set more or fewer after sourcing this
pass=0
fail=0

ok() { # name
	pass=$((pass + 1))
	printf 'PASS %s\n' "$1"
}

ko() { # name [detail-file]
	fail=$((fail + 1))
	printf 'FAIL %s\n' "$1"
	[ -n "${2:-}" ] && [ -s "$2" ] && sed -n "1,${KO_LINES}p" "$2" | sed 's/^/    /'
	return 0
}

finish() {
	echo
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
	exit $?
}

# Prints the PASS and FAIL lines of `file` (the output of checks run in a
# subshell, whose tally is lost) with the rest of it, and adds them to ours.
tally() { # file
	cat "$1"
	pass=$((pass + $(grep -c '^PASS ' "$1")))
	fail=$((fail + $(grep -c '^FAIL ' "$1")))
}

# Fails the check "`who`: ..." and finishes unless $SERVER and $BIN are
# there to run.
needs_lab() { # who
	if [ ! -x "$SERVER" ]; then
		ko "$1: $SERVER is not installed (make deps installs rabbitmq-server)"
		finish
	fi
	if [ ! -x "$BIN" ]; then
		ko "$1: no rabbitlab binary at $BIN"
		finish
	fi
}

# Makes the script's scratch directory $tmp (rabbitlab-`name`.XXXXXX in
# TMPDIR) and keeps the labs it runs from the caller's broker and
# settings: no RABBITLAB_URL or RABBITLAB_NODE, XDG_CONFIG_HOME in $tmp,
# LC_ALL=C. On exit, however it comes, the script's own `cleanup` runs if
# it has one, then $tmp is removed; SIGINT or SIGTERM exit with 130.
scratch() { # name
	tmp=$(mktemp -d "${TMPDIR:-/tmp}/rabbitlab-$1.XXXXXX")
	trap scratch_exit EXIT
	trap 'exit 130' INT TERM
	unset RABBITLAB_URL RABBITLAB_NODE
	export XDG_CONFIG_HOME=$tmp/config LC_ALL=C
}

scratch_exit() {
	if declare -F cleanup >/dev/null; then
		cleanup
	fi
	rm -rf "$tmp"
}

# Starts a private node in `dir` (tests/live/node.sh) and sets port (its
# AMQP port) and pid (its beam's); on failure, fails the check "`who`: a
# private node" with node.sh's output and finishes.
start_node() { # who dir
	if ! tests/live/node.sh start "$2" >"$tmp/node.out" 2>&1; then
		ko "$1: a private node" "$tmp/node.out"
		finish
	fi
	port=$(sed -n 's/^RABBITMQ_NODE_PORT=//p' "$2/node.env")
	pid=$(sed -n 's/^LAB_PID=//p' "$2/node.env")
}

# Looks up to 100 times, 0.2 s apart, for queue `q` (in vhost `vhost`,
# default /) on the node in `dir` to hold no message (a dashboard has then
# taken everything sent).
queue_drained() { # dir q [vhost]
	local n
	for _ in $(seq 100); do
		n=$(tests/live/node.sh ctl "$1" list_queues -q -p "${3:-/}" name messages 2>/dev/null |
		    awk -v q="$2" '$1 == q { print $2 }')
		[ "$n" = 0 ] && return 0
		sleep 0.2
	done
	return 1
}
