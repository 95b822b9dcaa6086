#!/usr/bin/env bash
# Node host figure of issue 13 (scripts/bench-node.mjs): the npm package's wasm TrueConf
# client against a plain JavaScript handler on the same frames in one run, both fed through
# an in-memory WebSocket. Prints a markdown table; timings are reported, never asserted.
#
# Builds npm/dist from this worktree first with scripts/build-npm.sh (which installs its tool
# chain idempotently and rebuilds only what changed). Needs Node 20 or newer.
#
# Usage: scripts/bench-node.sh [--frames N] [--rounds R] [--rows]
#        (defaults: 100 000 frames, 5 rounds)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

log=$(mktemp /tmp/bench-node.XXXXXX.log)
trap 'rm -f "$log"' EXIT
nice -n 5 bash scripts/build-npm.sh >"$log" 2>&1 || { cat "$log" >&2; echo "bench-node: scripts/build-npm.sh failed" >&2; exit 1; }
exec nice -n 5 node scripts/bench-node.mjs "$@"
