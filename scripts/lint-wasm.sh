#!/usr/bin/env bash
# clippy for wasm32-unknown-unknown, warnings denied: the host lint in scripts/test.sh never
# sees the code behind `cfg(target_arch = "wasm32")` (the binding's JS transports, timers and
# trap guard, and the core's wasm-only paths), so it is linted here with Debian's
# rust-web-clippy, the clippy of the rustc-web tool chain the package is built with
# (installed by scripts/setup-wasm-toolchain.sh). The core is linted as a library only: its
# dev-dependencies (proptest's getrandom) do not build for wasm32. In the package build's
# target dir, so std is checked once and reused.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
bash scripts/setup-wasm-toolchain.sh

# shellcheck source-path=SCRIPTDIR source=lib/wasm-cargo.sh
. "$REPO/scripts/lib/wasm-cargo.sh"
lint() {
    wasm_cargo CARGO_TARGET_DIR="$REPO/target-wasm" \
        clippy -q --locked --target wasm32-unknown-unknown -Zbuild-std=std,panic_abort "$@" -- -D warnings
}
lint -p chatwire --lib
lint -p chatwire-wasm --all-targets
echo "lint-wasm: clippy clean for wasm32 (chatwire, chatwire-wasm)"
