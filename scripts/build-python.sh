#!/usr/bin/env bash
# Build the Python wheel of the UniFFI binding (bindings-uniffi/, maturin with
# `bindings = "uniffi"`) into target/wheels/ and install it into target/venv (made by
# scripts/setup-python.sh, which this runs first). Idempotent: cargo and maturin rebuild only
# what changed; the install is a forced reinstall of the one wheel (no dependencies fetched:
# the venv already has websockets and aiohttp).
#
# The generator is the workspace's own binary `uniffi-bindgen` (crate
# chatwire-uniffi-bindgen, UniFFI's `cli` feature), built here and found by maturin.
#
# Usage: scripts/build-python.sh [-q]
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
quiet=
[ "${1:-}" = -q ] && quiet=1

bash scripts/setup-python.sh >/dev/null
VENV=$REPO/target/venv
log=$(mktemp /tmp/build-python.XXXXXX.log)
trap 'rm -f "$log"' EXIT

nice -n 5 cargo build -q -p chatwire-uniffi-bindgen >"$log" 2>&1 || { cat "$log" >&2; exit 1; }
# maturin runs `uniffi-bindgen` from PATH when the workspace one is not picked up.
export PATH=$REPO/target/debug:$VENV/bin:$PATH
rm -f target/wheels/chatwire-*.whl
nice -n 5 "$VENV/bin/maturin" build --release -m bindings-uniffi/Cargo.toml --out target/wheels >"$log" 2>&1 ||
    { cat "$log" >&2; echo "build-python: maturin build failed" >&2; exit 1; }
wheel=$(ls target/wheels/chatwire-*.whl)
"$VENV/bin/python" -m pip install -q --disable-pip-version-check --no-input --no-deps --force-reinstall "$wheel" >"$log" 2>&1 ||
    { cat "$log" >&2; echo "build-python: pip install $wheel failed" >&2; exit 1; }
[ -n "$quiet" ] || echo "build-python: built and installed $wheel into $VENV"
