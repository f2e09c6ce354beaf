#!/usr/bin/env bash
# `make fuzz-long`: each libFuzzer target (the script loader, the relay's
# frame parser) for FUZZ_LONG_SECONDS (default 600) in turn, with leak
# detection on, on a fresh copy of its seeds. Prints, per target, how many
# inputs it ran; fails if a target finds a crash or a leak, or if libFuzzer
# switched leak detection off on the way (it does so after too many inputs
# that allocate more than they free, which would hide a real leak for the
# rest of the run). Logs and any crashing input stay in BUILD/fuzz-long/.
set -u
cd "$(dirname "$0")/../.."

BUILD=${BUILD:-build}
secs=${FUZZ_LONG_SECONDS:-600}
case $secs in
'' | *[!0-9]*)
	echo "fuzz-long: FUZZ_LONG_SECONDS='$secs' is not a number of seconds" >&2
	exit 2
	;;
esac
out=$BUILD/fuzz-long
rm -rf "$out"
mkdir -p "$out"
pass=0
fail=0

# Runs target `bin` (label for the report) on a copy of the seed files.
fuzz_long() { # label name bin seeds...
	local label=$1 name=$2 bin=$3 dir log rc units
	shift 3
	dir=$out/$name.corpus
	log=$out/$name.log
	mkdir -p "$dir" && cp "$@" "$dir/"
	echo "fuzz-long: $label for ${secs}s (log: $log)"
	ASAN_OPTIONS=detect_leaks=1 \
	    LSAN_OPTIONS=suppressions=$PWD/tests/fuzz/lsan.supp \
	    "$bin" -max_total_time="$secs" -timeout=10 -print_final_stats=1 \
	    -artifact_prefix="$out/$name-" "$dir" >"$log" 2>&1
	rc=$?
	units=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		fail=$((fail + 1))
		echo "FAIL $label: exit $rc after ${units:-?} executed units"
		grep -E '^(==[0-9]+==ERROR|SUMMARY|artifact_prefix|Test unit written)' \
		    "$log" | head -10 | sed 's/^/    /'
	elif grep -q 'disabled leak detection' "$log"; then
		fail=$((fail + 1))
		echo "FAIL $label: libFuzzer switched leak detection off" \
		    "(${units:-?} executed units)"
		grep -B2 'disabled leak detection' "$log" | head -6 | sed 's/^/    /'
	else
		pass=$((pass + 1))
		echo "PASS $label: ${units:-?} executed units in ${secs}s," \
		    "leak detection on throughout"
	fi
}

for bin in "$BUILD/fuzz_script" "$BUILD/fuzz_relay" "$BUILD/fuzz_watch" \
    "$BUILD/fuzz_class"; do
	if [ ! -x "$bin" ]; then
		echo "fuzz-long: $bin is missing (make fuzz)" >&2
		exit 2
	fi
done
fuzz_long "script loader" script "$BUILD/fuzz_script" tests/fuzz/corpus/* \
    lessons/*.cfg
fuzz_long "relay frame parser" relay "$BUILD/fuzz_relay" \
    tests/fuzz/corpus_relay/*
fuzz_long "watch decoding path" watch "$BUILD/fuzz_watch" \
    tests/fuzz/corpus_watch/* tests/fuzz/corpus_relay/*
fuzz_long "class event decoder" class "$BUILD/fuzz_class" \
    tests/fuzz/corpus_class/*
echo "fuzz-long: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
