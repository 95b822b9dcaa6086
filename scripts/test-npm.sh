#!/usr/bin/env bash
# Tests of the npm package `chatwire` (npm/, built from bindings-wasm/): builds it, checks
# its TypeScript declarations against the Rust types, runs the binding's wasm-bindgen-test
# units in Node (scripts/test-wasm-units.sh), runs the node:test suites against
# `chatwire sim` over real sockets (all three protocols and the echo bot), installs the
# `npm pack` tarball in a fresh folder and runs it there, and drives the web demo in
# headless Chromium (two users, each protocol; screenshots kept in target/npm-test/) and the
# trap guard there (npm/test/browser/trap.mjs). Installs its tools first (idempotent). Ends
# with one line: `N passed, N failed` (exit status 1 on failures).
#
# Env: CHATWIRE_BIN   the `chatwire` binary serving `sim` (default: built here, target/debug)
#      SKIP_BROWSER=1 skip the Chromium tests
set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
cd "$REPO"
ART="$REPO/target/npm-test"
mkdir -p "$ART"
passed=0 failed=0
step() { printf '\n== %s\n' "$*"; }
finish() {
    echo
    echo "$passed passed, $failed failed"
    [ "$failed" -eq 0 ] && exit 0
    exit 1
}
check() { # check NAME COMMAND...: one pass or one failure
    if "${@:2}"; then passed=$((passed + 1)); else
        echo "test-npm: FAILED: $1" >&2
        failed=$((failed + 1))
    fi
}

step "build the package"
if ! bash scripts/build-npm.sh; then
    failed=$((failed + 1))
    finish
fi

if [ -z "${CHATWIRE_BIN:-}" ]; then
    step "build the simulator (chatwire sim)"
    if nice -n 5 cargo build -q -p chatwire-cli; then
        CHATWIRE_BIN="$REPO/target/debug/chatwire"
    else
        echo "test-npm: cannot build chatwire-cli; set CHATWIRE_BIN to a chatwire binary" >&2
        failed=$((failed + 1))
        finish
    fi
fi
export CHATWIRE_BIN

step "TypeScript declarations match the Rust types"
check "samples from the Rust types are current" nice -n 5 cargo test -q -p chatwire-wasm --test typescript
check "tsc: samples fit index.d.ts and cover it" tools/node_modules/.bin/tsc -p npm/test

step "clippy for wasm32 (the code the host lint does not see)"
check "wasm lint" bash scripts/lint-wasm.sh

step "the binding's own units as wasm in Node (wasm-bindgen-test)"
check "wasm units" bash scripts/test-wasm-units.sh

step "node:test against chatwire sim"
node --test --test-reporter=tap npm/test/node/*.test.mjs >"$ART/node-test.tap" 2>&1
grep -E '^# (tests|pass|fail|duration_ms)' "$ART/node-test.tap" || true
p=$(awk '/^# pass /{print $3}' "$ART/node-test.tap")
f=$(awk '/^# fail /{print $3}' "$ART/node-test.tap")
passed=$((passed + ${p:-0}))
failed=$((failed + ${f:-1}))
if [ "${f:-1}" != 0 ]; then grep -A30 '^not ok' "$ART/node-test.tap" | head -100; fi

step "npm pack installs in a fresh folder and runs there"
check "npm pack" bash scripts/lib/npm-pack-check.sh "$ART/pack"

if [ -z "${SKIP_BROWSER:-}" ]; then
    step "web demo and trap guard in headless Chromium"
    bash scripts/setup-chromium.sh
    check "browser" node npm/test/browser/web-demo.mjs "$ART"
    check "browser trap guard" node npm/test/browser/trap.mjs "$ART"
fi

finish
