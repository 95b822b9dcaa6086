#!/usr/bin/env bash
# Prints the performance figures of issue 13 as one table of ratios, each measured side by side
# within one run (see BENCHMARKS.md for what each row means and where the time goes).
#
# Native: `cargo bench -p chatwire --bench ratios` (release; its own harness, thread CPU time,
# 21 rounds with the variants rotated in each). Python: scripts/bench_python.py, the UniFFI
# module against python-trueconf-bot 1.5.4 on the same TrueConf frames (process CPU time, 3
# rounds of 100 000 frames); its rows join the same table. The Node figure is not measured yet.
#
# Usage: scripts/bench.sh [--quick] [--only NAME]   (from any directory)
#   --quick       5 rounds and 10x smaller scale states, 1 Python round of 10 000 frames (a smoke
#                 run, not a figure to quote)
#   --only NAME   only the rows whose name contains NAME (e.g. scale, trueconf, python)
# Sets up what the Python rows need, idempotently: the chatwire wheel (scripts/build-python.sh,
# into target/venv) and the SDK in a venv of its own (target/venv-trueconf-interop, as the
# interop test makes it). Not part of scripts/test.sh: timings are reported, never asserted.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

quick=
only=
args=("$@")
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1 ;;
        --only) only=${2:-}; shift ;;
    esac
    shift
done

# Progress goes to stderr; the table to stdout.
native=1
python=1
case "python-incoming python-incoming-batch" in *"$only"*) ;; *) python= ;; esac
if [ -n "$only" ] && [ -n "$python" ]; then
    # A name that only Python rows carry skips the native run.
    case "$only" in python*) native= ;; esac
fi
[ -z "$native" ] || nice -n 5 cargo bench -p chatwire --bench ratios -- "${args[@]}"
[ -n "$python" ] || exit 0

SDK_VERSION=1.5.4
SDK_VENV=target/venv-trueconf-interop
echo "python: building the chatwire wheel and the SDK venv…" >&2
bash scripts/build-python.sh -q
if [ ! -x "$SDK_VENV/bin/python" ]; then
    python3 -m venv "$SDK_VENV"
fi
if ! "$SDK_VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('python-trueconf-bot') != '$SDK_VERSION')" 2>/dev/null; then
    "$SDK_VENV/bin/python" -m pip install --quiet --disable-pip-version-check "python-trueconf-bot==$SDK_VERSION"
fi
# Only the chatwire package of its venv is put on the path, so the SDK keeps its own
# dependencies (both venvs are the same python3).
site=$(target/venv/bin/python -c 'import chatwire, os; print(os.path.dirname(os.path.dirname(chatwire.__file__)))')
path=$(mktemp -d /tmp/bench-python.XXXXXX)
trap 'rm -rf "$path"' EXIT
ln -s "$site/chatwire" "$path/chatwire"
if [ -n "$quick" ]; then py_args=(--frames 10000 --rounds 1); else py_args=(); fi
if [ -z "$native" ]; then
    echo "| path | base | base time | chatwire | chatwire time | ratio | target | allocs/input base → chatwire | bytes/input base → chatwire |"
    echo "|---|---|---|---|---|---|---|---|---|"
fi
PYTHONPATH=$path nice -n 5 "$SDK_VENV/bin/python" scripts/bench_python.py "${py_args[@]}"
