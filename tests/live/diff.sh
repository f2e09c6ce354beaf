#!/usr/bin/env bash
# The differential campaign: generated scenarios (rabbitlab gen) played on
# the simulated engine and on a real RabbitMQ, split over LANES private
# nodes at once (most of a scenario's time is waiting on real time).
#
#   tests/live/diff.sh BIN FIRST COUNT [OUT]
#
# Scenarios FIRST .. FIRST+COUNT-1. With OUT, each difference is shrunk to
# a minimal script written there (slow: a hundred comparisons or so each).
# Prints each lane's differences, then one line per lane and a total:
# "diff: scenarios N, agreeing A, differing D, errors E, minimal scripts
# written M". Exits 1 when a scenario differed or failed.
set -u
cd "$(dirname "$0")/../.."
. tests/live/lib.sh

BIN=${1:?usage: tests/live/diff.sh BIN FIRST COUNT [OUT]}
FIRST=${2:?first seed}
COUNT=${3:?how many}
OUT=${4:-}
LANES=${DIFF_LANES:-3}
needs_lab diff

scratch diff
nodes=""
# shellcheck disable=SC2317 # run on exit by scratch_exit (lib.sh)
cleanup() {
	for n in $nodes; do
		tests/live/node.sh stop "$n" >/dev/null 2>&1
	done
}

[ -n "$OUT" ] && mkdir -p "$OUT"
per=$(((COUNT + LANES - 1) / LANES))
for ((l = 0; l < LANES; l++)); do
	first=$((FIRST + l * per))
	n=$((FIRST + COUNT - first))
	[ "$n" -gt "$per" ] && n=$per
	[ "$n" -le 0 ] && break
	node=$tmp/node$l
	nodes="$nodes $node"
	(
		if ! tests/live/node.sh start "$node" >"$node.out" 2>&1; then
			echo "ERROR lane $l: the private node did not start"
			cat "$node.out"
			echo "scenarios $n, agreeing 0, differing 0, errors $n, minimal scripts written 0"
			exit 1
		fi
		RABBITLAB_NODE=$node "$BIN" diff --seed "$first" --count "$n" \
		    ${OUT:+--out="$OUT"} 2>&1
	) >"$tmp/lane$l" &
done
wait

total=(0 0 0 0 0)
for f in "$tmp"/lane*; do
	grep -v "^scenarios \|^same gen-" "$f"
	line=$(grep '^scenarios ' "$f" | tail -1)
	echo "lane: ${line:-no summary (the lane died)}"
	[ -z "$line" ] && total[3]=$((total[3] + 1))
	read -r -a v <<<"$(echo "$line" | tr -cs '0-9' ' ')"
	for i in 0 1 2 3 4; do total[i]=$((total[i] + ${v[i]:-0})); done
done
echo "diff: scenarios ${total[0]}, agreeing ${total[1]}, differing ${total[2]}, errors ${total[3]}, minimal scripts written ${total[4]}"
[ "${total[2]}" -eq 0 ] && [ "${total[3]}" -eq 0 ]
