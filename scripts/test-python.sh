#!/usr/bin/env bash
# Python tests of the UniFFI binding: builds and installs the wheel (scripts/build-python.sh),
# checks the checked-in Swift package is what the generator makes of today's Rust API
# (scripts/check-swift.sh), then runs pytest (bindings-uniffi/tests/python) over real sockets
# against `chatwire sim`. pytest's last line is the summary CI reads.
#
# Env: CHATWIRE_BIN  the chatwire binary hosting `chatwire sim` (default: this workspace's
#                    target/debug/chatwire, built here with `cargo build -p chatwire-cli`).
#      PYTEST_ARGS   extra pytest arguments (e.g. "-k tada -x").
set -euo pipefail
REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"

# check-swift.sh runs build-python.sh first (the wheel and the library it checks).
bash scripts/check-swift.sh -q

if [ -z "${CHATWIRE_BIN:-}" ]; then
    nice -n 5 cargo build -q -p chatwire-cli
    CHATWIRE_BIN=$REPO/target/debug/chatwire
fi
[ -x "$CHATWIRE_BIN" ] || { echo "test-python: no chatwire binary at $CHATWIRE_BIN" >&2; exit 1; }
export CHATWIRE_BIN

cd bindings-uniffi/tests/python
# shellcheck disable=SC2086
exec "$REPO/target/venv/bin/python" -m pytest -q -p no:cacheprovider ${PYTEST_ARGS:-}
