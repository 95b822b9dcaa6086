#!/usr/bin/env bash
# Python host figures of issue 13 (scripts/bench-python.py): chatwire's UniFFI module against
# TrueConf's official SDK, python-trueconf-bot 1.5.4, on the same frames in one run. Prints a
# markdown table of frames per CPU-second and ratios; timings are reported, never asserted.
#
# Sets up what it needs, idempotently:
#   - the chatwire wheel, built from this worktree by scripts/build-python.sh (cargo and
#     maturin rebuild only what changed),
#   - a bench venv of its own, target/venv-bench-python, holding the pinned SDK and that
#     wheel: both must import in one interpreter, and the SDK's dependencies (mashumaro,
#     httpx2, python-magic, ...) stay out of the test venv target/venv. The SDK is installed
#     once (kept while it is that version); the wheel is reinstalled only when it changed.
#   - libmagic (the SDK imports python-magic, which loads it) via apt when missing, as
#     scripts/test-trueconf-interop.sh does.
#
# Usage: scripts/bench-python.sh [--frames N] [--rounds R] [--batch B] [--profile]
#        (defaults: 100 000 frames, 5 rounds, batches of 100; --profile: cProfile instead)
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

SDK_VERSION=1.5.4
VENV=$REPO/target/venv-bench-python
say() { echo "bench-python: $*" >&2; }

bash scripts/build-python.sh -q
wheel=$(ls target/wheels/chatwire-*.whl)
PYTHON=$(readlink -f target/venv/bin/python)

if ! "$VENV/bin/python" -c '' 2>/dev/null || [ "$(readlink -f "$VENV/bin/python")" != "$PYTHON" ]; then
    say "creating $VENV"
    "$PYTHON" -m venv --clear "$VENV"
fi
if ! "$VENV/bin/python" -c "import importlib.metadata as m, sys; sys.exit(m.version('python-trueconf-bot') != '$SDK_VERSION')" 2>/dev/null; then
    say "installing python-trueconf-bot==$SDK_VERSION into $VENV"
    nice -n 5 "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input "python-trueconf-bot==$SDK_VERSION"
fi
if ! "$VENV/bin/python" -c "import magic" >/dev/null 2>&1; then
    command -v apt-get >/dev/null 2>&1 || { say "the SDK needs libmagic (python-magic); install it and run this again"; exit 1; }
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq libmagic1 >/dev/null
fi
stamp=$VENV/.chatwire-wheel-sha256
sum=$(sha256sum "$wheel" | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$sum" ]; then
    "$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input --no-deps --force-reinstall "$wheel"
    echo "$sum" >"$stamp"
fi

exec nice -n 5 "$VENV/bin/python" scripts/bench-python.py "$@"
