#!/usr/bin/env bash
# Rewrites tests/golden/json/NAME.jsonl from `rabbitlab replay --json` of
# every lesson and fact script (default seed). Run it only when a change is
# meant to alter the transcripts, and say in the commit which change and why.
set -eu
cd "$(dirname "$0")/../.."
BIN=${BIN:-build/rabbitlab}
for f in lessons/*.cfg tests/facts/*.cfg; do
	"$BIN" replay --json "$f" >"tests/golden/json/$(basename "$f" .cfg).jsonl" 2>/dev/null || true
done
