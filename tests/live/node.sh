#!/usr/bin/env bash
# A private RabbitMQ node for the live tests, shared by every rabbitlab run
# of a test session through RABBITLAB_NODE=<dir>.
#
#   tests/live/node.sh start DIR   start a node in DIR (created), print DIR
#   tests/live/node.sh stop DIR    stop that node, its epmd, remove DIR
#   tests/live/node.sh ctl DIR ARG...   rabbitmqctl ARG... on that node
#   tests/live/node.sh restart DIR   start DIR's node again after it was
#                                    killed (same ports and data)
#
# Everything listens on loopback: AMQP, Erlang distribution and a private
# epmd, on free ports. DIR/node.env holds the node's environment as KEY=VALUE
# lines (the format the live engine reads to crash and restart the node);
# LAB_PID is the beam pid: the beam.smp process whose environment names
# this node (/proc), read once the node is up. Only that pid is ever
# signalled. Each rabbitmqctl call boots an Erlang VM (about a second of
# CPU), so the node's boot is watched on its AMQP port, as the live engine
# watches its own node (live_broker.c), and rabbitmqctl await_startup is
# asked once, when the port answers.
set -u

SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
CTL=/usr/lib/rabbitmq/bin/rabbitmqctl

# n free loopback ports below the ephemeral range (as live_broker.c picks
# them): a node's port must still be free when it comes back after kill -9,
# and a connection made meanwhile (a client retrying to this very port
# included) may be given any free ephemeral port (ci44: a node restarted in
# class_done.sh was never reachable again).
free_ports() { # n
	python3 - "$1" <<'EOF'
import random, socket, sys
try:
    lo = int(open("/proc/sys/net/ipv4/ip_local_port_range").read().split()[0])
except (OSError, ValueError, IndexError):
    lo = 32768
n = int(sys.argv[1])
cands = list(range(max(10000, lo - 16384), lo))
random.shuffle(cands)
socks = []
for port in cands:
    if len(socks) == n:
        break
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        s.close()
        continue
    socks.append(s)
while len(socks) < n:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
EOF
}

load_env() { # dir
	local line
	while IFS= read -r line; do
		case $line in ''|'#'*) continue ;; esac
		export "${line?}"
	done <"$1/node.env"
}

start() {
	local dir=$1 amqp dist epmd pid i
	mkdir -p "$dir" || exit 1
	dir=$(cd "$dir" && pwd)
	read -r amqp dist epmd <<<"$(free_ports 3)"
	echo '[].' >"$dir/plugins"
	cat >"$dir/node.env" <<EOF
# The private RabbitMQ node of the live tests: KEY=VALUE lines.
HOME=$dir
RABBITMQ_NODENAME=labt$$@localhost
RABBITMQ_NODE_PORT=$amqp
RABBITMQ_NODE_IP_ADDRESS=127.0.0.1
RABBITMQ_DIST_PORT=$dist
ERL_EPMD_PORT=$epmd
ERL_EPMD_ADDRESS=127.0.0.1
RABBITMQ_MNESIA_BASE=$dir/mnesia
RABBITMQ_LOG_BASE=$dir/log
RABBITMQ_ENABLED_PLUGINS_FILE=$dir/plugins
RABBITMQ_CONFIG_FILE=$dir/rabbitmq
RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}
EOF
	boot "$dir"
}

# Starts DIR's node from its node.env, waits for it and appends its pid.
# The pid of DIR's beam: the beam.smp whose environment names its node.
beam_pid() { # dir
	(
		load_env "$1"
		for p in /proc/[0-9]*; do
			[ "$(cat "$p/comm" 2>/dev/null)" = beam.smp ] || continue
			tr '\0' '\n' <"$p/environ" 2>/dev/null |
			    grep -qx "RABBITMQ_NODENAME=$RABBITMQ_NODENAME" &&
			    { echo "${p#/proc/}"; break; }
		done
	)
}

boot() {
	local dir=$1 pid i
	(
		load_env "$dir"
		cd "$dir" || exit 1
		# Only the server holds the caller's output: a waiting subshell
		# would keep `$(node.sh start DIR)` open until the node stops.
		exec setsid "$SERVER" >>"$dir/out.log" 2>&1 </dev/null &
	)
	# Up to 180 s: the AMQP listener opens at the end of the boot.
	for i in $(seq 900); do
		(load_env "$dir"; exec 3<>"/dev/tcp/127.0.0.1/$RABBITMQ_NODE_PORT") \
		    2>/dev/null && break
		sleep 0.2
	done
	(load_env "$dir"; "$CTL" -n "$RABBITMQ_NODENAME" await_startup >/dev/null 2>&1) ||
	    { echo "node.sh: the node did not start; see $dir/out.log" >&2; return 1; }
	pid=$(beam_pid "$dir")
	[ -n "$pid" ] || { echo "node.sh: no beam.smp names the node" >&2; return 1; }
	echo "LAB_PID=$pid" >>"$dir/node.env"
	echo "$dir"
}

stop() {
	local dir=$1 pid i
	[ -f "$dir/node.env" ] || return 0
	pid=$(beam_pid "$dir")
	(
		load_env "$dir"
		if [ -n "$pid" ]; then
			kill -TERM "$pid"
			for i in $(seq 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
			kill -KILL "$pid" 2>/dev/null
		fi
		/usr/bin/epmd -kill >/dev/null 2>&1
	)
	rm -rf -- "$dir"
}

ctl() {
	local dir=$1
	shift
	(load_env "$dir"; "$CTL" -n "$RABBITMQ_NODENAME" "$@")
}

case ${1:-} in
start) start "${2:?which directory?}" ;;
stop) stop "${2:?which directory?}" ;;
ctl) dir=${2:?which directory?}; shift 2; ctl "$dir" "$@" ;;
restart)
	dir=${2:?which directory?}
	sed -i '/^LAB_PID=/d' "$dir/node.env" && boot "$dir" >/dev/null ;;
*) echo "usage: $0 start|stop|restart|ctl DIR [ARG...]" >&2; exit 2 ;;
esac
