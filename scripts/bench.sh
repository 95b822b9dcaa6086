#!/usr/bin/env bash
# Prints the performance figures of issue 13 as one table of ratios, each measured side by side
# within one run (see BENCHMARKS.md for what each row means and where the time goes).
#
# Native: `cargo bench -p chatwire --bench ratios` (release; its own harness, thread CPU time,
# 21 rounds with the variants rotated in each). Hosts: scripts/bench-python.sh (the UniFFI
# module against python-trueconf-bot 1.5.4's own receive path on the same TrueConf frames) and
# scripts/bench-node.sh (the wasm client against a plain JavaScript handler); their rows join
# the same table, each skipped with a message when its toolchain is missing.
#
# Usage: scripts/bench.sh [--quick] [--only NAME]   (from any directory)
#   --quick       5 rounds and 10x smaller scale states, 10 000 host frames (a smoke run, not a
#                 figure to quote)
#   --only NAME   only the rows whose name contains NAME (e.g. scale, trueconf, python, node,
#                 memory)
# Not part of scripts/test.sh: timings are reported, never asserted.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

# Progress goes to stderr; the table to stdout.
nice -n 5 cargo bench -p chatwire --bench ratios -- "$@"

# Host figures (Python, Node): rows appended to the same table, each skipped with a message
# when its toolchain is missing. Their ratio is chatwire's time per frame over the other's,
# like the native rows (the fps multiple in brackets). See "Host figures: Python and Node" in
# BENCHMARKS.md; each runs alone as scripts/bench-python.sh / scripts/bench-node.sh.
host_quick=
host_only=
while [ $# -gt 0 ]; do
    case $1 in
        --quick) host_quick=1 ;;
        --only) host_only=${2:-}; shift ;;
    esac
    shift
done
host_args=(--rows)
memory_args=()
[ -z "$host_quick" ] || memory_args+=(--quick)
[ -z "$host_quick" ] || host_args+=(--frames 10000 --rounds 3)
host_wanted() { [ -z "$host_only" ] || [[ ${1,,} == *"${host_only,,}"* ]]; }

# Memory at scale: its own table (peak RSS after 10^4 and 10^6 messages, each cell in a child
# process of its own, a few minutes per protocol).
if host_wanted "memory"; then
    echo "bench: memory at scale (cargo bench --bench memory)…" >&2
    nice -n 5 cargo bench -p chatwire --bench memory -- "${memory_args[@]}"
fi

if host_wanted "Python: TrueConf incoming"; then
    if command -v python3 >/dev/null 2>&1 && command -v cargo >/dev/null 2>&1; then
        echo "bench: Python host figures (scripts/bench-python.sh)…" >&2
        bash scripts/bench-python.sh "${host_args[@]}" ||
            echo "bench: the Python host figures failed (see above); the other rows stand" >&2
    else
        echo "bench: skipping the Python host rows: python3 (3.9+) and cargo are needed" >&2
    fi
fi
if host_wanted "Node: TrueConf incoming"; then
    if command -v node >/dev/null 2>&1 && node -e 'process.exit(Number(process.versions.node.split(".")[0]) < 20 ? 1 : 0)'; then
        echo "bench: Node host figure (scripts/bench-node.sh)…" >&2
        bash scripts/bench-node.sh "${host_args[@]}" ||
            echo "bench: the Node host figure failed (see above); the other rows stand" >&2
    else
        echo "bench: skipping the Node host row: Node 20 or newer is needed (node on PATH)" >&2
    fi
fi
