#!/usr/bin/env bash
# Prints the performance figures of issue 13 as one table of ratios, each measured side by side
# within one run (see BENCHMARKS.md for what each row means and where the time goes).
#
# Native: `cargo bench -p chatwire --bench ratios` (release; its own harness, thread CPU time,
# 21 rounds with the variants rotated in each). The Python and Node host figures join this
# script as they land.
#
# Usage: scripts/bench.sh [--quick] [--only NAME]   (from any directory)
#   --quick       5 rounds and 10x smaller scale states (a smoke run, not a figure to quote)
#   --only NAME   only the rows whose name contains NAME (e.g. scale, trueconf)
# Not part of scripts/test.sh: timings are reported, never asserted.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

# Progress goes to stderr; the table to stdout.
nice -n 5 cargo bench -p chatwire --bench ratios -- "$@"
