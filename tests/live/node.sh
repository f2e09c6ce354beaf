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
# LAB_PID is the beam pid, found with rabbitmqctl eval 'os:getpid().'. Only
# that pid is ever signalled.
set -u

SERVER=/usr/lib/rabbitmq/bin/rabbitmq-server
CTL=/usr/lib/rabbitmq/bin/rabbitmqctl

free_ports() { # n
	python3 - "$1" <<'EOF'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
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
boot() {
	local dir=$1 pid i
	(
		load_env "$dir"
		cd "$dir" && setsid "$SERVER" >>"$dir/out.log" 2>&1 </dev/null &
	)
	# await_startup gives up at once while the node is not registered yet.
	for i in $(seq 90); do
		(load_env "$dir"; "$CTL" -n "$RABBITMQ_NODENAME" await_startup >/dev/null 2>&1) && break
		sleep 2
	done
	(load_env "$dir"; "$CTL" -n "$RABBITMQ_NODENAME" await_startup >/dev/null 2>&1) ||
	    { echo "node.sh: the node did not start; see $dir/out.log" >&2; return 1; }
	pid=$(load_env "$dir"; "$CTL" -n "$RABBITMQ_NODENAME" eval 'os:getpid().' 2>/dev/null | tr -dc 0-9)
	[ -n "$pid" ] || { echo "node.sh: no pid from rabbitmqctl eval" >&2; return 1; }
	echo "LAB_PID=$pid" >>"$dir/node.env"
	echo "$dir"
}

stop() {
	local dir=$1 pid i
	[ -f "$dir/node.env" ] || return 0
	(
		load_env "$dir"
		# The engine may have restarted the node: ask it for its pid.
		pid=$("$CTL" -n "$RABBITMQ_NODENAME" eval 'os:getpid().' 2>/dev/null | tr -dc 0-9)
		if [ -n "$pid" ] && tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null |
		    grep -qx "RABBITMQ_NODENAME=$RABBITMQ_NODENAME"; then
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
