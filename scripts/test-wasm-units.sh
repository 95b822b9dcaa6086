#!/usr/bin/env bash
# The wasm binding's own unit tests (bindings-wasm/src/wasm_units.rs: option parsing, error
# conversion, timer clamping, event conversion), compiled for wasm32-unknown-unknown with the
# same Debian tool chain as scripts/build-npm.sh and run in Node by wasm-bindgen-test-runner
# (installed at the crate's exact version by scripts/setup-wasm-bindgen.sh). Installs its
# tools first (idempotent). Dev profile, in the package build's target dir (target-wasm), so
# std is built once per profile and reused.
#
# Usage: scripts/test-wasm-units.sh [extra cargo test args, e.g. a test name filter]
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
bash scripts/setup-wasm-toolchain.sh
bash scripts/setup-wasm-bindgen.sh
command -v node >/dev/null || { echo "test-wasm-units: node not found on PATH" >&2; exit 1; }

# shellcheck source-path=SCRIPTDIR source=lib/wasm-cargo.sh
. "$REPO/scripts/lib/wasm-cargo.sh"
wasm_cargo \
    CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUNNER="${CARGO_HOME:-$HOME/.cargo}/bin/wasm-bindgen-test-runner" \
    CARGO_TARGET_DIR="$REPO/target-wasm" \
    test --locked -p chatwire-wasm --lib --target wasm32-unknown-unknown \
        -Zbuild-std=std,panic_abort "$@"
